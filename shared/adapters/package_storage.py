"""The PackageStorage port (shared/csvsource/ports.py) on Cloud Storage.

In production the client uses default credentials (the functions' service account). Locally
``emulator_host`` (STORAGE_EMULATOR_HOST, with its scheme: http://127.0.0.1:PORT) points the same
client at the stack's emulator, with anonymous credentials, as the other adapters do for theirs.
"""

from __future__ import annotations

import json
import threading
from typing import TYPE_CHECKING, Any, BinaryIO, cast

from shared.csvsource.ports import ObjectNotFound, StoredObject, compact_json

if TYPE_CHECKING:
    from google.cloud.storage import Blob, Bucket, Client

# zipfile reads the central directory at the end, then each member from its local header on:
# 4 MiB ranges keep the requests few and the memory bounded (a multiple of 256 KiB, as the
# client requires).
READ_CHUNK = 4 * 1024 * 1024


def make_storage_client(project_id: str, emulator_host: str | None) -> Client:
    from google.cloud import storage

    if not emulator_host:
        return storage.Client(project=project_id or None)
    from google.api_core.client_options import ClientOptions
    from google.auth.credentials import AnonymousCredentials

    return storage.Client(
        project=project_id or "local",
        credentials=AnonymousCredentials(),  # type: ignore[no-untyped-call]
        client_options=ClientOptions(api_endpoint=emulator_host),
    )


def _stored(blob: Blob) -> StoredObject:
    return StoredObject(
        bucket=str(blob.bucket.name),
        name=str(blob.name),
        generation=str(blob.generation),
        size=int(blob.size or 0),
        content_type=blob.content_type,
    )


class GcsPackageStorage:
    def __init__(self, project_id: str, emulator_host: str | None = None) -> None:
        self._project = project_id
        self._emulator_host = emulator_host
        self._client: Client | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"GcsPackageStorage(project={self._project!r})"

    def _bucket(self, bucket: str) -> Bucket:
        with self._lock:
            if self._client is None:
                self._client = make_storage_client(self._project, self._emulator_host)
            return self._client.bucket(bucket)

    def _existing(self, bucket: str, name: str) -> Blob:
        blob = self._bucket(bucket).get_blob(name)
        if blob is None:
            raise ObjectNotFound(f"gs://{bucket}/{name} does not exist")
        return blob

    def open_read(self, bucket: str, name: str) -> BinaryIO:
        """Reads the generation that exists now, in READ_CHUNK ranges, even if a new upload
        replaces the object meanwhile (the blob carries its generation)."""
        reader = self._existing(bucket, name).open("rb", chunk_size=READ_CHUNK)
        return cast(BinaryIO, reader)

    def info(self, bucket: str, name: str) -> StoredObject | None:
        blob = self._bucket(bucket).get_blob(name)
        return None if blob is None else _stored(blob)

    def write_json(self, bucket: str, name: str, value: Any) -> None:
        from google.cloud.storage.retry import DEFAULT_RETRY

        blob = self._bucket(bucket).blob(name)
        # Rewriting the same staged object is harmless, so a failed write may be retried.
        blob.upload_from_string(
            compact_json(value), content_type="application/json", retry=DEFAULT_RETRY
        )

    def read_json(self, bucket: str, name: str) -> Any:
        from google.api_core.exceptions import NotFound

        try:
            data = self._bucket(bucket).blob(name).download_as_bytes()
        except NotFound:
            raise ObjectNotFound(f"gs://{bucket}/{name} does not exist") from None
        return json.loads(data)

    def upload_session(self, bucket: str, name: str, size: int, content_type: str) -> str:
        """Starts a resumable upload with the functions' own credentials; the session URL is the
        capability (no signing key is needed). Cloud Storage refuses bytes beyond ``size``; the
        emulator does not, so the stage step checks the size it reads."""
        blob = self._bucket(bucket).blob(name)
        url = blob.create_resumable_upload_session(content_type=content_type, size=size)
        return str(url)

    def delete_prefix(self, bucket: str, prefix: str) -> int:
        from google.api_core.exceptions import NotFound

        handle = self._bucket(bucket)
        deleted = 0
        for blob in handle.client.list_blobs(handle, prefix=prefix):
            try:
                blob.delete()
            except NotFound:  # deleted meanwhile (a repeated clean-up)
                continue
            deleted += 1
        return deleted
