"""Where CSV packages and a run's staged pages are kept: the `PackageStorage` port, implemented on
Cloud Storage by shared/adapters/package_storage.py, and `MemoryPackageStorage`, the in-memory
one the step tests use. Names are object names inside a bucket (``districts/d1/inbox/a.zip``)."""

from __future__ import annotations

import io
import itertools
import json
import threading
from dataclasses import dataclass
from typing import Any, BinaryIO, Protocol

from shared.errors import NotFound


class ObjectNotFound(NotFound):
    """The object (or its bucket) does not exist."""


@dataclass(frozen=True)
class StoredObject:
    """One generation of an object: a new upload under the same name is a new generation."""

    bucket: str
    name: str
    generation: str
    size: int
    content_type: str | None


class PackageStorage(Protocol):
    def open_read(self, bucket: str, name: str) -> BinaryIO:
        """A seekable reader of the object (zipfile reads the end first); raises ObjectNotFound.
        It reads in chunks, so a package is never whole in memory."""
        ...

    def info(self, bucket: str, name: str) -> StoredObject | None: ...

    def write_json(self, bucket: str, name: str, value: Any) -> None:
        """Writes ``value`` as compact JSON, replacing any object of that name."""
        ...

    def read_json(self, bucket: str, name: str) -> Any:
        """The JSON value of the object; raises ObjectNotFound."""
        ...

    def upload_session(self, bucket: str, name: str, size: int, content_type: str) -> str:
        """The URL of a resumable upload session for the object: whoever holds it may PUT the
        bytes (the URL is the capability; it expires after a week). The declared size is not
        enforced everywhere (the local emulator ignores it): readers check ``info().size``."""
        ...

    def delete_prefix(self, bucket: str, prefix: str) -> int:
        """Deletes every object whose name starts with ``prefix``; returns how many."""
        ...


def compact_json(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


@dataclass(frozen=True)
class _Blob:
    data: bytes
    generation: str
    content_type: str | None


@dataclass(frozen=True)
class UploadSession:
    bucket: str
    name: str
    size: int
    content_type: str


class MemoryPackageStorage:
    """PackageStorage in memory, for tests: thread-safe; every write is a new generation.
    ``put`` stands for a file arriving (a gateway drop); ``finish_upload`` for the PUT of an
    upload session's bytes."""

    def __init__(self) -> None:
        self._objects: dict[tuple[str, str], _Blob] = {}
        self._sessions: dict[str, UploadSession] = {}
        self._generations = itertools.count(1_000_001)
        self._lock = threading.Lock()

    def put(
        self, bucket: str, name: str, data: bytes, content_type: str | None = "application/zip"
    ) -> StoredObject:
        with self._lock:
            blob = _Blob(bytes(data), str(next(self._generations)), content_type)
            self._objects[(bucket, name)] = blob
        return StoredObject(bucket, name, blob.generation, len(blob.data), content_type)

    def _get(self, bucket: str, name: str) -> _Blob:
        with self._lock:
            blob = self._objects.get((bucket, name))
        if blob is None:
            raise ObjectNotFound(f"gs://{bucket}/{name} does not exist")
        return blob

    def open_read(self, bucket: str, name: str) -> BinaryIO:
        return io.BytesIO(self._get(bucket, name).data)

    def info(self, bucket: str, name: str) -> StoredObject | None:
        with self._lock:
            blob = self._objects.get((bucket, name))
        if blob is None:
            return None
        return StoredObject(bucket, name, blob.generation, len(blob.data), blob.content_type)

    def write_json(self, bucket: str, name: str, value: Any) -> None:
        self.put(bucket, name, compact_json(value), "application/json")

    def read_json(self, bucket: str, name: str) -> Any:
        return json.loads(self._get(bucket, name).data)

    def upload_session(self, bucket: str, name: str, size: int, content_type: str) -> str:
        with self._lock:
            url = f"memory://upload/{bucket}/{name}?session={len(self._sessions) + 1}"
            self._sessions[url] = UploadSession(bucket, name, size, content_type)
        return url

    def finish_upload(self, url: str, data: bytes) -> StoredObject:
        """What a PUT of ``data`` to the session URL does; like the emulator (not production),
        it keeps bytes of any size, so callers must check the size they read."""
        with self._lock:
            session = self._sessions.pop(url, None)
        if session is None:
            raise ObjectNotFound("no such upload session (finished already, or never made)")
        return self.put(session.bucket, session.name, data, session.content_type)

    def delete_prefix(self, bucket: str, prefix: str) -> int:
        with self._lock:
            doomed = [k for k in self._objects if k[0] == bucket and k[1].startswith(prefix)]
            for key in doomed:
                del self._objects[key]
        return len(doomed)

    def names(self, bucket: str, prefix: str = "") -> list[str]:
        with self._lock:
            return sorted(n for b, n in self._objects if b == bucket and n.startswith(prefix))
