"""A CSV package's run on the local stack: the zip in the Cloud Storage emulator, the run started
with the real ports (Firestore emulator, Cloud Tasks, the storage adapter), its tasks delivered
to the functions; classes and members land in Firestore and the bad rows' warnings name their
line."""

from __future__ import annotations

import time
import uuid

from shared.adapters.package_storage import GcsPackageStorage, make_storage_client
from shared.csvsource.runs import start_csv_run
from shared.ids import safe_id
from shared.runtime import Runtime
from shared.settings import Settings
from tests.conftest import ADMIN, SyncHarness, active
from tests.csvsource.build import package_zip
from tests.csvsource.test_stage import district_files


def test_a_package_in_the_bucket_syncs_through_the_stack(sync_harness: SyncHarness) -> None:
    district_id = f"csv-{uuid.uuid4().hex[:8]}"
    sync_harness.district(district_id).collection("staff").document(safe_id(ADMIN)).set(
        {"role": "admin"}
    )
    connected = sync_harness.admin("PUT", district_id, "/connection", {"source": "csv"})
    assert connected.status_code == 200, connected.text
    settings_body = {"schedule": {"enabled": False}, "accounts": {"create_accounts": True}}
    assert sync_harness.admin("PATCH", district_id, "/settings", settings_body).status_code == 200

    files = district_files()
    files["users"][2] = {**files["users"][2], "enabledUser": "maybe"}  # st2: users.csv line 4
    settings = Settings.from_env(sync_harness.stack.env())
    name = f"tests/{district_id}/export.zip"  # outside districts/: csv_landed ignores it
    blob = make_storage_client(settings.project_id, settings.storage_emulator_host)
    blob.bucket(settings.packages_bucket).blob(name).upload_from_string(
        package_zip("1.2", files), content_type="application/zip"
    )
    storage = GcsPackageStorage(settings.project_id, settings.storage_emulator_host)
    obj = storage.info(settings.packages_bucket, name)
    assert obj is not None
    ports = Runtime(settings).sync_ports()
    started = time.monotonic()
    run_id = start_csv_run(ports, district_id, obj, requested_by="test")
    assert start_csv_run(ports, district_id, obj, requested_by="test") == run_id

    run = sync_harness.wait(district_id, run_id, timeout=60)
    assert run["state"] == "succeeded_with_warnings", run
    assert time.monotonic() - started < 30
    classes = sync_harness.classes(district_id)
    members = {c: active(d["students"]) for c, d in classes.items()}
    assert members == {"sis-c1": {"st1"}, "sis-c2": {"st3"}, "sis-c3": set()}
    assert {d["owner"]["sis_user_id"] for d in classes.values()} == {"ta"}
    answer = sync_harness.admin("GET", district_id, f"/runs/{run_id}/warnings?limit=100")
    assert answer.status_code == 200, answer.text  # the contract hook checks the answer
    warnings = answer.json()["warnings"]
    (bad,) = [w for w in warnings if w["sourced_id"] == "st2" and w["code"].startswith("csv_")]
    assert bad["location"] == "users.csv line 4, column enabledUser", bad
    assert (bad["field"], bad["value"]) == ("enabledUser", "maybe")
    shown = sync_harness.admin("GET", district_id, f"/runs/{run_id}").json()
    assert shown["source"] == "csv" and shown["package"]["version"] == "1.2"
