"""The PackageStorage port: the Cloud Storage adapter against the stack's emulator and the
in-memory fake the step tests use pass the same round trip, so the fake behaves as the real one."""

from __future__ import annotations

import io
import random
import threading
import uuid
import zipfile
from collections.abc import Callable

import pytest
import requests

from shared.adapters import package_storage
from shared.adapters.package_storage import GcsPackageStorage
from shared.csvsource.ports import (
    MemoryPackageStorage,
    ObjectNotFound,
    PackageStorage,
    StoredObject,
)
from shared.errors import NotFound
from shared.settings import Settings
from tools.localstack import LocalStack

Upload = Callable[[str, bytes], None]  # (session URL, bytes): what the uploader's PUT does


def a_package(members: int = 40) -> bytes:
    """A zip of about 700 KB (several 256 KiB read chunks), members stored and deflated."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("manifest.csv", "propertyName,value\nmanifest.version,1.0\n")
        package.writestr("noise.bin", random.Random(7).randbytes(600_000))
        for n in range(members):
            method = zipfile.ZIP_DEFLATED if n % 2 else zipfile.ZIP_STORED
            package.writestr(f"users{n}.csv", f"sourcedId,n\nu{n},{n}\n" * 50, method)
    return buffer.getvalue()


def round_trip(storage: PackageStorage, bucket: str, upload: Upload) -> None:
    prefix = f"t-{uuid.uuid4().hex[:8]}/"
    assert storage.info(bucket, f"{prefix}none.zip") is None
    with pytest.raises(ObjectNotFound):
        storage.open_read(bucket, f"{prefix}none.zip")
    with pytest.raises(NotFound):  # a domain NotFound, whatever the backend
        storage.read_json(bucket, f"{prefix}none.json")

    value = {"rows": [{"sourcedId": "u1", "name": "Zoë"}], "n": 1}
    storage.write_json(bucket, f"{prefix}pages/a.json", value)
    storage.write_json(bucket, f"{prefix}pages/b.json", [1, 2])
    assert storage.read_json(bucket, f"{prefix}pages/a.json") == value
    assert storage.info(bucket, f"{prefix}pages/a.json").content_type == "application/json"

    data = a_package()
    name = f"{prefix}districts/d1/uploads/p1.zip"
    url = storage.upload_session(bucket, name, len(data), "application/zip")
    upload(url, data)
    stored = storage.info(bucket, name)
    assert isinstance(stored, StoredObject)
    assert (stored.bucket, stored.name, stored.size) == (bucket, name, len(data))
    assert stored.content_type == "application/zip" and stored.generation.isdigit()

    reader = storage.open_read(bucket, name)
    assert reader.seekable()
    with zipfile.ZipFile(reader) as package:
        assert package.read("users39.csv").startswith(b"sourcedId,n\nu39,39\n")
        assert len(package.namelist()) == 42
        assert package.read("noise.bin") == random.Random(7).randbytes(600_000)

    again = storage.upload_session(bucket, name, len(data), "application/zip")
    upload(again, data)
    newer = storage.info(bucket, name)
    assert newer is not None and newer.generation != stored.generation

    assert storage.delete_prefix(bucket, f"{prefix}pages/") == 2
    assert storage.info(bucket, f"{prefix}pages/a.json") is None
    assert storage.delete_prefix(bucket, f"{prefix}pages/") == 0
    assert storage.info(bucket, name) is not None


def test_cloud_storage_adapter_round_trip(
    local_stack: LocalStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(package_storage, "READ_CHUNK", 256 * 1024)  # several ranged reads
    settings = Settings.from_env(local_stack.env())
    storage = GcsPackageStorage(settings.project_id, settings.storage_emulator_host)

    def put(url: str, data: bytes) -> None:
        assert url.startswith(settings.storage_emulator_host or "-")
        response = requests.put(
            url, data=data, headers={"Content-Type": "application/zip"}, timeout=10
        )
        assert response.status_code in (200, 201), response.text

    round_trip(storage, settings.staging_bucket, put)
    round_trip(storage, settings.packages_bucket, put)


def test_memory_storage_round_trip() -> None:
    storage = MemoryPackageStorage()
    round_trip(storage, "staging", lambda url, data: storage.finish_upload(url, data))
    with pytest.raises(ObjectNotFound):  # a session takes one upload
        storage.finish_upload("memory://upload/staging/x.zip?session=1", b"")


def test_memory_storage_is_thread_safe() -> None:
    storage = MemoryPackageStorage()

    def write(n: int) -> None:
        for i in range(50):
            storage.write_json("b", f"runs/{n}/{i}.json", {"i": i})

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    generations = {storage.info("b", name).generation for name in storage.names("b")}
    assert len(generations) == 400
    assert storage.delete_prefix("b", "runs/3/") == 50
    assert len(storage.names("b", "runs/")) == 350


def test_settings_name_the_buckets_and_bound_the_package_size() -> None:
    settings = Settings.from_env({"GOOGLE_CLOUD_PROJECT": "p"})
    assert settings.packages_bucket == "p-rostersync-packages"
    assert settings.staging_bucket == "p-rostersync-staging"
    assert settings.max_package_bytes == 512 * 1024 * 1024
    chosen = Settings.from_env({"ROSTERSYNC_MAX_PACKAGE_BYTES": "1_048_576"})
    assert chosen.max_package_bytes == 1024 * 1024
    for bad in ("inf", "nan", "-1", "1e9", "12", str(10**20), "²"):
        with pytest.raises(ValueError, match="ROSTERSYNC_MAX_PACKAGE_BYTES"):
            Settings.from_env({"ROSTERSYNC_MAX_PACKAGE_BYTES": bad})
