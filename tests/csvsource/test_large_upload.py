"""A 200 MB upload through the real path: the admin API's upload session on the Cloud Storage
emulator, one streamed PUT from disk, the stack's event delivery, the stage step. The package holds
a small roster and a 200 MB file the binding does not name; the import reads only the roster
files (the zip's central directory tells where they are), notes the extra file, and syncs. The
size is the upload's, not the roster's: what matters is that nothing reads the object whole."""

from __future__ import annotations

import io
import random
import time
import zipfile
from pathlib import Path

import requests

from tests.conftest import SyncHarness
from tests.csvsource.test_uploads_api import new_district, package_zip

EXTRA_BYTES = 200 * 1000 * 1000
CHUNK = 4 * 1024 * 1024


def big_package(path: Path) -> int:
    """The roster of a small district plus a stored (uncompressed) 200 MB entry."""
    roster = zipfile.ZipFile(io.BytesIO(package_zip(students=12, seed=11)))
    noise = random.Random(7)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for name in roster.namelist():
            out.writestr(name, roster.read(name))
        info = zipfile.ZipInfo("attachments/export-log.bin")
        with out.open(info, "w", force_zip64=True) as extra:
            for start in range(0, EXTRA_BYTES, CHUNK):
                extra.write(noise.randbytes(min(CHUNK, EXTRA_BYTES - start)))
    return path.stat().st_size


def landed_run(harness: SyncHarness, district: str, package_id: str) -> str:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        package = harness.admin("GET", district, f"/packages/{package_id}").json()
        if package.get("run_id"):
            return str(package["run_id"])
        time.sleep(0.2)
    raise AssertionError(f"no run started for package {package_id}: {package}")


def test_a_200_mb_upload_imports_reading_only_the_roster(
    sync_harness: SyncHarness, tmp_path: Path
) -> None:
    district = new_district(sync_harness)
    path = tmp_path / "district-export.zip"
    size = big_package(path)
    assert size > EXTRA_BYTES
    asked = {"filename": path.name, "size": size}
    session = sync_harness.admin("POST", district, "/packages", asked).json()
    with path.open("rb") as body:
        put = requests.put(
            session["upload_url"], data=body, headers=session["headers"], timeout=120
        )
    assert put.status_code in (200, 201), put.text[:300]
    run_id = landed_run(sync_harness, district, session["package_id"])
    run = sync_harness.wait(district, run_id, timeout=90)
    assert run["state"] in ("succeeded", "succeeded_with_warnings"), run
    assert run["package"]["size"] == size
    assert sync_harness.classes(district)
    warnings = sync_harness.admin("GET", district, f"/runs/{run_id}/warnings").json()
    ignored = [w for w in warnings["warnings"] if w["code"] == "csv_files_ignored"]
    assert ignored and "attachments/export-log.bin" in ignored[0]["reason"]
