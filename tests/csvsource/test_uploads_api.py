"""Admin uploads of CSV packages through the real stack: the admin API makes a resumable upload
session on the Cloud Storage emulator, the zip is PUT to it with requests, the stack's event
delivery (tools/storage_events.py) calls csv_landed, the package records its run, and the run
ends as a REST run would. Refusals come at once (0 bytes, over the limit, not a .zip name, not a
CSV district); a file that is not a zip fails its run with the reason and changes no class."""

from __future__ import annotations

import io
import time
from typing import Any

import requests

from shared.ids import safe_id
from tests.conftest import ADMIN, SyncHarness
from tools.oneroster_sis.csvexport import write_package
from tools.oneroster_sis.generator import DistrictSpec, generate_district


def package_zip(students: int = 12, seed: int = 7) -> bytes:
    out = io.BytesIO()
    write_package(generate_district(DistrictSpec(seed=seed, students=students)), out)
    return out.getvalue()


def new_district(harness: SyncHarness, csv: bool = True) -> str:
    district = f"csv-{time.time_ns() % 10**12}"
    harness.district(district).collection("staff").document(safe_id(ADMIN)).set({"role": "admin"})
    if csv:
        connected = harness.admin("PUT", district, "/connection", {"source": "csv"})
        assert connected.status_code == 200, connected.text
        assert connected.json()["inbox"].endswith(f"/districts/{district}/inbox/")
    return district


def upload(harness: SyncHarness, district: str, data: bytes, **body: Any) -> dict[str, Any]:
    """The package after its run started: session, one PUT of the bytes, poll for run_id."""
    asked = {"filename": "roster.zip", "size": len(data), **body}
    session = harness.admin("POST", district, "/packages", asked)
    assert session.status_code == 201, session.text
    answer = session.json()
    put = requests.put(answer["upload_url"], data=io.BytesIO(data), headers=answer["headers"],
                       timeout=30)  # fmt: skip
    assert put.status_code in (200, 201), put.text
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        package = harness.admin("GET", district, f"/packages/{answer['package_id']}").json()
        if package.get("run_id"):
            return package
        time.sleep(0.2)
    raise AssertionError(f"no run started for package {answer['package_id']}: {package}")


def test_an_uploaded_package_syncs_and_a_broken_one_fails_changing_nothing(
    sync_harness: SyncHarness,
) -> None:
    district = new_district(sync_harness)
    package = upload(sync_harness, district, package_zip())
    run = sync_harness.wait(district, package["run_id"], timeout=60)
    classes = sync_harness.classes(district)
    listed = sync_harness.admin("GET", district, "/packages").json()["packages"]
    refused = sync_harness.admin("POST", district, "/runs", {"kind": "full"})
    assert run["state"] in ("succeeded", "succeeded_with_warnings"), run
    assert package["state"] == "landed" and package["requested_by"] == ADMIN
    assert classes and listed[0]["package_id"] == package["package_id"]
    assert refused.status_code == 409 and "/packages" in refused.json()["detail"]
    assert f"/districts/{district}/inbox/" in refused.json()["detail"]

    broken = upload(sync_harness, district, b"this is a CSV export, honest\n" * 10)
    failed = sync_harness.wait(district, broken["run_id"], timeout=30)
    assert failed["state"] == "failed" and "zip" in failed["failure"]["reason"], failed
    assert sync_harness.classes(district) == classes


def test_empty_oversized_misnamed_and_rest_uploads_are_refused_at_once(
    sync_harness: SyncHarness,
) -> None:
    district, rest = new_district(sync_harness), new_district(sync_harness, csv=False)

    def ask(body: dict[str, Any], where: str = district) -> requests.Response:
        return sync_harness.admin("POST", where, "/packages", body)

    limit = ask({"filename": "a.zip", "size": 10}).json()["max_bytes"]
    empty = ask({"filename": "a.zip", "size": 0})
    over = ask({"filename": "big.zip", "size": limit + 1})
    misnamed = ask({"filename": "users.csv", "size": 10})
    elsewhere = ask({"filename": "a.zip", "size": 10}, rest)
    assert empty.status_code == 400 and empty.json()["detail"].startswith("size: the file is empty")
    assert over.status_code == 413 and over.json()["detail"].startswith("size:")
    assert f"{limit + 1:,}" in over.json()["detail"] and f"{limit:,}" in over.json()["detail"]
    assert misnamed.status_code == 400 and misnamed.json()["detail"].startswith("filename:")
    assert elsewhere.status_code == 409 and '{"source": "csv"}' in elsewhere.json()["detail"]
    assert sync_harness.admin("GET", district, "/packages/nope").status_code == 404
