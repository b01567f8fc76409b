"""Held runs through the real stack (issue 16, rows 5-7): a held run changes nothing it held until
the admin decides, a discarded removal does not come back with the next delta, and approve and
discard sent at once are decided once."""

from __future__ import annotations

import threading
from typing import Any

import requests

from tests.conftest import SyncHarness, active
from tests.held_runs_sis import empty_sections, replace_primary_teacher, taught_sections
from tools.oneroster_sis.harness import RunningSis


def _decide(harness: SyncHarness, district: str, run_id: str, decision: str) -> requests.Response:
    return harness.admin("POST", district, f"/runs/{run_id}/decision", {"decision": decision})


def _active_students(harness: SyncHarness, district: str, class_ids: list[str]) -> int:
    classes = harness.classes(district)
    return sum(len(active(classes[c]["students"])) for c in class_ids)


def _hold(harness: SyncHarness, running: RunningSis, *districts: str) -> dict[str, Any]:
    """Empties five sections in the SIS; the next full sync of each district holds. Returns the
    held runs by district."""
    empty_sections(running, taught_sections(running)[1:6])
    held = {district: harness.sync(district) for district in districts}
    assert {run["state"] for run in held.values()} == {"held"}, held
    return held


def test_a_held_run_leaves_the_owner_in_place_until_the_admin_approves(
    make_sis, sync_harness
) -> None:
    running = make_sis(students=120)
    district = sync_harness.register(running)
    sync_harness.sync(district)
    owner = replace_primary_teacher(running, taught_sections(running)[0])
    held = _hold(sync_harness, running, district)[district]
    got = sync_harness.classes(district)[owner.class_id]["owner"]
    assert got["sis_user_id"] == owner.former
    assert held["held_counts"]["owners_changed"] == 1
    assert _decide(sync_harness, district, held["run_id"], "approve").status_code == 200
    assert sync_harness.classes(district)[owner.class_id]["owner"]["sis_user_id"] == owner.new


def test_a_delta_after_a_discarded_full_sync_changes_nothing_and_a_full_sync_asks_again(
    make_sis, sync_harness
) -> None:
    running = make_sis(students=120)
    district = sync_harness.register(running)
    sync_harness.sync(district)
    emptied = [f"sis-{s}" for s in taught_sections(running)[1:6]]
    held = _hold(sync_harness, running, district)[district]
    before = _active_students(sync_harness, district, emptied)
    assert _decide(sync_harness, district, held["run_id"], "discard").status_code == 200
    delta = sync_harness.sync(district, kind="delta")
    assert delta["state"] in ("succeeded", "succeeded_with_warnings"), delta
    assert delta["counts"].get("students_removed", 0) == 0
    assert _active_students(sync_harness, district, emptied) == before > 25
    again = sync_harness.sync(district)
    assert again["state"] == "held"
    assert again["held_counts"]["students_removed"] == held["held_counts"]["students_removed"]


def _race(harness: SyncHarness, district: str, run_id: str) -> dict[str, requests.Response]:
    """Sends approve and discard of the same run at the same moment."""
    start = threading.Barrier(2)
    answers: dict[str, requests.Response] = {}

    def send(decision: str) -> None:
        start.wait()
        answers[decision] = _decide(harness, district, run_id, decision)

    threads = [threading.Thread(target=send, args=(d,)) for d in ("approve", "discard")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def test_approve_and_discard_sent_at_once_are_decided_once(make_sis, sync_harness) -> None:
    running = make_sis(students=120)
    districts = [sync_harness.register(running) for _ in range(2)]
    for district in districts:
        sync_harness.sync(district)
    emptied = [f"sis-{s}" for s in taught_sections(running)[1:6]]
    held = _hold(sync_harness, running, *districts)
    for district, run in held.items():
        answers = _race(sync_harness, district, run["run_id"])
        codes = sorted(a.status_code for a in answers.values())
        assert codes == [200, 409], {d: a.text for d, a in answers.items()}
        winner = next(d for d, a in answers.items() if a.status_code == 200)
        loser = next(a for a in answers.values() if a.status_code == 409)
        assert f"already {winner}" in loser.json()["error"]["message"]
        status = sync_harness.admin("GET", district, f"/runs/{run['run_id']}").json()
        assert status["hold_decision"]["decision"] == winner
        assert status["state"] in ("succeeded", "succeeded_with_warnings")
        removed = _active_students(sync_harness, district, emptied) == 0
        assert removed == (winner == "approve"), (winner, status)
        holds = sync_harness.district(district).collection("runs").document(run["run_id"])
        states = {h.to_dict()["state"] for h in holds.collection("holds").stream()}
        assert states == {"approved" if winner == "approve" else "discarded"}
