"""How roster syncs are started, through the real stack (admin API → Cloud Tasks emulator →
task handlers → Firestore emulator, against a local OneRoster SIS): the admin API refuses
strangers, unsigned calls and bad input, and the scheduler starts each due sync once a day."""

from __future__ import annotations

import datetime as dt

import requests


def test_admin_api_refuses_strangers_and_bad_input(make_sis, sync_harness) -> None:
    running = make_sis(students=30)
    district = sync_harness.register(running)
    stranger = sync_harness.admin("POST", district, "/runs", {"kind": "full"}, email="x@y.org")
    assert stranger.status_code == 404  # another district's: no existence leak
    bad = sync_harness.admin("POST", district, "/runs", {"kind": "weekly"})
    assert bad.status_code == 400 and "kind" in bad.json()["error"]["message"]
    unsigned = requests.post(
        f"{sync_harness.functions}/sync_admin/districts/{district}/runs", json={}, timeout=10
    )
    assert unsigned.status_code == 401
    wrong = sync_harness.admin(
        "PUT",
        district,
        "/connection",
        {
            "version": "1.2",
            "rostering_base_url": running.base_url("1.2"),
            "token_url": running.token_url,
            "client_id": "test-client",
            "client_secret": "wrong",
            "local_dev": True,
        },
    )
    assert wrong.status_code == 400
    assert "wrong" not in wrong.text and "secret" in wrong.text
    task = requests.post(f"{sync_harness.functions}/sync_task", json={}, timeout=10)
    assert task.status_code == 401  # no token: not signed in


def test_scheduler_starts_due_syncs_once_per_day(make_sis, sync_harness) -> None:
    running = make_sis(students=30)
    today = dt.datetime.now(dt.UTC)
    district = sync_harness.register(
        running,
        schedule={
            "timezone": "UTC",
            "window_start_hour": 0,
            "window_end_hour": 24,
            "full_weekday": today.weekday(),
        },
    )
    tick = sync_harness.task_headers("sync_schedule")
    first = requests.post(f"{sync_harness.functions}/sync_schedule", headers=tick, timeout=60)
    assert first.status_code == 200, first.text
    started = [s for s in first.json()["started"] if s["district_id"] == district]
    assert [s["kind"] for s in started] == ["full"]
    status = sync_harness.wait(district, started[0]["run_id"])
    assert status["state"] in ("succeeded", "succeeded_with_warnings")
    again = requests.post(f"{sync_harness.functions}/sync_schedule", headers=tick, timeout=60)
    assert district not in {s["district_id"] for s in again.json()["started"]}
    unsigned = requests.post(f"{sync_harness.functions}/sync_schedule", timeout=60)
    assert unsigned.status_code == 401
