"""The functions as Cloud Functions runs them (functions-framework's create_app), in process,
against the Firestore emulator: what each entry point answers, and what Cloud Tasks then does."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from functions_framework import create_app
from google.cloud import firestore

from shared.store import layout
from tests.conftest import SyncHarness
from tools.oneroster_sis.faults import settings_from_mapping

SOURCE = str(Path(__file__).resolve().parents[2] / "functions" / "main.py")


def client(target: str) -> Any:
    return create_app(target, SOURCE, "http").test_client()


def _running_run(db: firestore.Client, district_id: str, run_id: str, item: str) -> None:
    db.document(layout.run(district_id, run_id)).set(
        {"state": "running", "kind": "full", "lanes": {"0": [item]}, "school_count": 1}
    )


def _page_task(district_id: str, run_id: str) -> dict[str, Any]:
    return {
        "step": "page",
        "district_id": district_id,
        "run_id": run_id,
        "lane": "0",
        "item_index": 0,
        "page_index": 0,
        "request": {"resource": "schools/sch-0001/classes", "limit": 40},
    }


def test_a_configuration_error_found_mid_run_is_recorded_and_answered_200(
    sync_harness: SyncHarness,
) -> None:
    district_id, run_id = "broken-settings", "r1"
    sync_harness.db.document(layout.district(district_id)).set(
        {"connection": {"vendor": "generic"}, "connected": True}
    )
    _running_run(sync_harness.db, district_id, run_id, layout.item_key("s1", "classes"))
    response = client("sync_task").post(
        "/", json=_page_task(district_id, run_id), headers=sync_harness.task_headers()
    )
    run = sync_harness.db.document(layout.run(district_id, run_id)).get().to_dict()
    assert response.status_code == 200, response.get_json()
    assert run["state"] == "failed" and "rostering_base_url" in run["failure"]["reason"]


@pytest.mark.parametrize("header", ["X-CloudTasks-TaskRetryCount", "x-cloudtasks-taskretrycount"])
def test_the_last_delivery_of_a_failing_page_records_the_failure_whatever_the_header_case(
    make_sis, sync_harness: SyncHarness, header: str
) -> None:
    running = make_sis(students=20)
    district_id = sync_harness.register(running)
    running.sis.faults.configure(settings_from_mapping({"rate_429": 1.0, "retry_after_seconds": 0}))
    item = layout.item_key("sch-0001", "classes")
    _running_run(sync_harness.db, district_id, "r1", item)
    task = _page_task(district_id, "r1")
    tasks = client("sync_task")
    signed = {k: v for k, v in sync_harness.task_headers().items() if "RetryCount" not in k}
    retried = tasks.post("/", json=task, headers={**signed, header: "0"})
    final = tasks.post("/", json=task, headers={**signed, header: "12"})
    fetch = sync_harness.db.document(f"{layout.run_part(district_id, 'r1', 'fetches')}/{item}")
    assert (retried.status_code, final.status_code) == (503, 200), final.get_json()
    assert fetch.get().to_dict()["state"] == "failed"


def test_an_unknown_function_path_names_the_endpoint(sync_harness: SyncHarness) -> None:
    response = client("sync_admin").get(
        "/nowhere", headers=sync_harness.headers("admin@district.example.org")
    )
    assert response.status_code == 404
    assert response.get_json()["error"]["message"] == "no endpoint GET /nowhere"
