"""The admin endpoints through the real stack (issue 11, item 3): runs list, warnings, run and
school detail, cancel, disconnect and reconnect, schools, settings, the audit trail, and the
discard of a held run."""

from __future__ import annotations

from typing import Any

import requests

from shared.ids import safe_id
from tests.conftest import ADMIN, SyncHarness, active, connection_body
from tests.held_runs_sis import empty_sections, taught_sections

TEACHER = "teacher@district.example.org"


def _get(harness: SyncHarness, district: str, path: str) -> Any:
    response = harness.admin("GET", district, path)
    assert response.status_code == 200, response.text
    return response.json()


def _all_pages(harness: SyncHarness, district: str, path: str, key: str) -> list[Any]:
    found: list[Any] = []
    cursor = ""
    while True:
        page = _get(harness, district, f"{path}{cursor}")
        found += page[key]
        if not page["next_cursor"]:
            return found
        cursor = f"&cursor={page['next_cursor']}"


def test_the_runs_list_pages_newest_first_and_filters_by_kind(make_sis, sync_harness) -> None:
    district = sync_harness.register(make_sis(students=30))
    runs = [sync_harness.sync(district, kind=k)["run_id"] for k in ("full", "delta", "full")]
    listed = _all_pages(sync_harness, district, "/runs?limit=1", "runs")
    fulls = _get(sync_harness, district, "/runs?kind=full")["runs"]
    assert [r["run_id"] for r in listed] == runs[::-1]
    assert [r["run_id"] for r in fulls] == [runs[2], runs[0]]
    assert all(r["state"].startswith("succeeded") for r in listed)


def test_a_bad_filter_or_cursor_is_a_400_naming_it(make_sis, sync_harness) -> None:
    district = sync_harness.register(make_sis(students=10))
    answers = {
        q: sync_harness.admin("GET", district, f"/runs?{q}")
        for q in ("state=done", "cursor=xyz", "limit=0", "colour=red")
    }
    assert {q: a.status_code for q, a in answers.items()} == dict.fromkeys(answers, 400)
    for query, answer in answers.items():
        assert query.split("=")[0] in answer.json()["error"]["message"]


def test_warnings_page_filter_by_kind_and_school_and_group_with_the_fix(
    make_sis, sync_harness
) -> None:
    district = sync_harness.register(make_sis(students=120))
    run = sync_harness.sync(district)
    path = f"/runs/{run['run_id']}/warnings"
    every = _all_pages(sync_harness, district, f"{path}?limit=7", "warnings")
    summary = _get(sync_harness, district, f"{path}/summary")
    kind = summary["kinds"][0]
    school = next(w["school_id"] for w in every if w["code"] == kind["code"] and w["school_id"])
    one = _get(sync_harness, district, f"{path}?code={kind['code']}&school_id={school}&limit=200")
    assert "warnings" not in run and len(every) == run["warnings_total"] == summary["total"]
    assert len({(w["code"], w["school_id"], w["sourced_id"]) for w in every}) == len(every)
    assert kind["count"] == sum(1 for w in every if w["code"] == kind["code"]) and kind["fix"]
    assert one["warnings"] and {(w["code"], w["school_id"]) for w in one["warnings"]} == {
        (kind["code"], school)
    }


def test_the_district_warnings_are_those_of_its_latest_full_run(make_sis, sync_harness) -> None:
    district = sync_harness.register(make_sis(students=60))
    assert sync_harness.admin("GET", district, "/warnings").status_code == 404
    full = sync_harness.sync(district)
    sync_harness.sync(district, kind="delta")
    answer = _get(sync_harness, district, "/warnings/summary")
    assert (answer["run_id"], answer["total"]) == (full["run_id"], full["warnings_total"])


def test_the_run_detail_has_rate_and_timing_and_the_school_its_plan_sample(
    make_sis, sync_harness
) -> None:
    district = sync_harness.register(make_sis(students=40))
    run = sync_harness.sync(district)
    school_id = next(iter(run["schools"]))
    school = _get(sync_harness, district, f"/runs/{run['run_id']}/schools/{school_id}")
    assert run["rate"]["pages_per_second"] > 0 and run["queued_seconds"] >= 0
    assert school["state"] == "applied" and school["school_id"] == school_id
    assert school["sample"] and school["holds"] == []


def test_a_cancelled_run_stays_cancelled_and_is_audited(make_sis, sync_harness) -> None:
    district = sync_harness.register(make_sis(students=400), page_size=10)
    started = sync_harness.admin("POST", district, "/runs", {"kind": "full"}).json()
    cancelled = sync_harness.admin("POST", district, f"/runs/{started['run_id']}/cancel")
    final = sync_harness.wait(district, started["run_id"])
    again = sync_harness.admin("POST", district, f"/runs/{started['run_id']}/cancel")
    audit = _get(sync_harness, district, "/audit")["entries"]
    assert cancelled.status_code == 200, cancelled.text
    assert (final["state"], final["cancelled_by"]) == ("cancelled", ADMIN)
    assert again.status_code == 409 and "is cancelled" in again.json()["error"]["message"]
    assert [e["action"] for e in audit[:2]] == ["run.cancel", "run.start"]


def _teacher_of(sync_harness: SyncHarness, district: str) -> str:
    class_id, cls = next(iter(sync_harness.classes(district).items()))
    staff = sync_harness.district(district).collection("staff").document(safe_id(TEACHER))
    staff.set({"role": "teacher", "sis_user_id": cls["owner"]["sis_user_id"]})
    return class_id


def _export(sync_harness: SyncHarness, district: str, class_id: str) -> requests.Response:
    url = f"{sync_harness.functions}/export_teacher/districts/{district}/classes/{class_id}/export"
    return requests.post(url, headers=sync_harness.headers(TEACHER), timeout=30)


def test_a_disconnected_district_neither_syncs_nor_exports_and_keeps_its_classes(
    make_sis, sync_harness
) -> None:
    district = sync_harness.register(make_sis(students=30))
    sync_harness.sync(district)
    class_id = _teacher_of(sync_harness, district)
    before = sync_harness.classes(district)
    gone = sync_harness.admin("DELETE", district, "/connection")
    sync = sync_harness.admin("POST", district, "/runs", {"kind": "delta"})
    export = _export(sync_harness, district, class_id)
    assert gone.status_code == 200 and gone.json()["connected"] is False
    assert sync.status_code == 409
    assert "disconnected; reconnect with PUT /connection" in sync.json()["error"]["message"]
    assert export.status_code == 409 and "disconnected" in export.json()["error"]["message"]
    assert sync_harness.classes(district) == before


def test_disconnecting_cancels_a_running_run(make_sis, sync_harness) -> None:
    district = sync_harness.register(make_sis(students=400), page_size=10)
    started = sync_harness.admin("POST", district, "/runs", {"kind": "full"}).json()
    gone = sync_harness.admin("DELETE", district, "/connection").json()
    assert gone["cancelled_runs"] == [started["run_id"]]
    assert sync_harness.wait(district, started["run_id"])["state"] == "cancelled"


def test_reconnecting_with_put_connection_syncs_again(make_sis, sync_harness) -> None:
    running = make_sis(students=30)
    district = sync_harness.register(running)
    sync_harness.admin("DELETE", district, "/connection")
    body = connection_body(running)
    reconnected = sync_harness.admin("PUT", district, "/connection", body)
    assert reconnected.status_code == 200, reconnected.text
    assert _get(sync_harness, district, "/settings")["connected"] is True
    assert sync_harness.sync(district)["state"].startswith("succeeded")


def test_settings_show_what_is_stored_without_the_secret(make_sis, sync_harness) -> None:
    district = sync_harness.register(make_sis(students=10))
    patch = {
        "export": {"default_category": "Homework"},
        "filters": {"term_ids": ["term-1"], "course_code_patterns": ["MATH*"]},
    }
    assert sync_harness.admin("PATCH", district, "/settings", patch).status_code == 200
    shown = _get(sync_harness, district, "/settings")
    assert shown["export"] == {"default_category": "Homework"}
    assert shown["filters"] == patch["filters"] and shown["connected"] is True
    assert "secret_name" not in shown and "secret" not in str(shown).lower()


def test_the_schools_list_names_each_school_and_whether_it_is_selected(
    make_sis, sync_harness
) -> None:
    district = sync_harness.register(make_sis(students=40, schools=2))
    sync_harness.sync(district)
    ids = [s["id"] for s in _get(sync_harness, district, "/schools")["schools"]]
    sync_harness.admin("PATCH", district, "/settings", {"selected_schools": [ids[0]]})
    schools = _get(sync_harness, district, "/schools")["schools"]
    assert {s["id"]: s["selected"] for s in schools} == {ids[0]: True, ids[1]: False}
    assert all(s["name"] for s in schools)


def test_the_audit_trail_lists_admin_actions_newest_first(make_sis, sync_harness) -> None:
    district = sync_harness.register(make_sis(students=10))
    entries = _all_pages(sync_harness, district, "/audit?limit=1", "entries")
    assert [e["action"] for e in entries] == ["settings.update", "connection.connect"]
    assert {e["actor"] for e in entries} == {ADMIN} and all(e["at"] for e in entries)


def test_discarding_a_held_run_through_the_api_keeps_the_students_and_shows_the_holds(
    make_sis, sync_harness
) -> None:
    running = make_sis(students=120)
    district = sync_harness.register(running)
    sync_harness.sync(district)
    emptied = [f"sis-{s}" for s in taught_sections(running)[1:6]]
    empty_sections(running, taught_sections(running)[1:6])
    held = sync_harness.sync(district)
    school_id = next(s for s, v in held["schools"].items() if v["state"] == "held")
    school = _get(sync_harness, district, f"/runs/{held['run_id']}/schools/{school_id}")
    discard = sync_harness.admin(
        "POST", district, f"/runs/{held['run_id']}/decision", {"decision": "discard"}
    )
    classes = sync_harness.classes(district)
    removals = [c for h in school["holds"] for c in h["changes"] if c.get("remove_students")]
    assert held["state"] == "held" and school["holds"][0]["state"] == "held"
    assert {c["class_id"] for c in removals} >= set(emptied) & {c["class_id"] for c in removals}
    assert removals and discard.status_code == 200, discard.text
    assert all(len(active(classes[c]["students"])) > 0 for c in emptied)
    assert _get(sync_harness, district, f"/runs/{held['run_id']}")["state"].startswith("succeeded")
