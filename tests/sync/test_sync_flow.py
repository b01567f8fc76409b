"""Roster sync through the real stack: admin API → Cloud Tasks emulator → task handlers →
Firestore emulator, against a local OneRoster SIS. Assertions compare Firestore with the SIS."""

from __future__ import annotations

import datetime as dt
from typing import Any

import requests

from shared.ids import safe_id
from tests.conftest import SyncHarness, active
from tools.oneroster_sis.harness import RunningSis


def expected_classes(running: RunningSis, school: str | None = None) -> dict[str, dict[str, Any]]:
    """The oracle: sections with a current teacher, their owner and current students."""
    today = dt.date.today()
    store = running.sis.store
    out: dict[str, dict[str, Any]] = {}
    for section in store.all("classes"):
        if section["status"] != "active":
            continue
        if school and section["school"]["sourcedId"] != school:
            continue
        rows = [
            e
            for e in store.all("enrollments")
            if e["class"]["sourcedId"] == section["sourcedId"]
            and e["status"] == "active"
            and not (e.get("endDate") and dt.date.fromisoformat(e["endDate"]) < today)
        ]
        teachers = sorted(
            (e for e in rows if e["role"] == "teacher"),
            key=lambda e: (not e.get("primary"), e["user"]["sourcedId"]),
        )
        if not teachers:
            continue
        out[f"sis-{safe_id(section['sourcedId'])}"] = {
            "title": section["title"],
            "owner": teachers[0]["user"]["sourcedId"],
            "students": {e["user"]["sourcedId"] for e in rows if e["role"] == "student"},
        }
    return out


def assert_matches_sis(harness: SyncHarness, district: str, running: RunningSis, **kw) -> None:
    classes = harness.classes(district)
    expected = expected_classes(running, **kw)
    assert set(classes) == set(expected)
    for class_id, want in expected.items():
        got = classes[class_id]
        assert got["sis"]["title"] == want["title"]
        assert got["owner"]["sis_user_id"] == want["owner"]
        assert active(got["students"]) == want["students"], class_id


def _warnings(harness: Any, district: str, status: dict[str, Any], code: str) -> list[Any]:
    """Every warning of one kind of a run, through the paged warnings endpoint."""
    found, cursor = [], ""
    while True:
        path = f"/runs/{status['run_id']}/warnings?code={code}&limit=200{cursor}"
        page = harness.admin("GET", district, path).json()
        found += page["warnings"]
        if not page["next_cursor"]:
            return found
        cursor = f"&cursor={page['next_cursor']}"


def test_full_sync_offers_every_taught_section_with_its_roster(make_sis, sync_harness) -> None:
    running = make_sis(students=120, schools=2)
    district = sync_harness.register(running)
    status = sync_harness.sync(district)
    assert status["state"] in ("succeeded", "succeeded_with_warnings"), status
    assert_matches_sis(sync_harness, district, running)
    classes = sync_harness.classes(district)
    assert {c["offer_state"] for c in classes.values()} == {"pending"}
    assert status["counts"]["classes_offered"] == len(classes)
    assert status["progress"]["pages_done"] == status["progress"]["pages_known"] > 0
    without_teacher = {
        w["sourced_id"]
        for w in _warnings(sync_harness, district, status, "section_without_teacher")
    }
    untaught = {
        s["sourcedId"]
        for s in running.sis.store.all("classes")
        if not any(
            e["class"]["sourcedId"] == s["sourcedId"] and e["role"] == "teacher"
            for e in running.sis.store.all("enrollments")
        )
    }
    assert without_teacher == untaught


def test_unchanged_resync_writes_no_record_documents(make_sis, sync_harness) -> None:
    running = make_sis(students=80)
    district = sync_harness.register(running)
    first = sync_harness.sync(district)
    before = sync_harness.classes(district)
    second = sync_harness.sync(district)
    assert sync_harness.pages_written(district, first["run_id"]) > 0
    assert sync_harness.pages_written(district, second["run_id"]) == 0
    assert second["counts"]["students_added"] == 0
    assert sync_harness.classes(district) == before
    assert {s.get("quiet") for s in second["schools"].values()} == {True}  # nothing was planned


def test_delta_sync_applies_changes_and_tobedeleted(make_sis, sync_harness) -> None:
    running = make_sis(students=80)
    district = sync_harness.register(running)
    full = sync_harness.sync(district)
    store = running.sis.store
    section = expected_classes(running)
    class_id, info = next(iter(section.items()))
    section_id = class_id.removeprefix("sis-")
    store.patch("classes", section_id, {"title": "Renamed in the SIS"})
    leaving = next(
        e
        for e in store.all("enrollments")
        if e["class"]["sourcedId"] == section_id and e["role"] == "student"
    )
    store.mark_tobedeleted("enrollments", leaving["sourcedId"])
    joining = next(
        u["sourcedId"]
        for u in store.all("users")
        if u["roles"][0]["role"] == "student" and u["sourcedId"] not in info["students"]
    )
    store.upsert(
        "enrollments",
        {
            "sourcedId": "enr-new-1",
            "user": {"sourcedId": joining, "type": "user"},
            "class": {"sourcedId": section_id, "type": "class"},
            "school": {"sourcedId": "sch-0001", "type": "org"},
            "role": "student",
            "primary": False,
        },
    )
    delta = sync_harness.sync(district, kind="delta")
    assert delta["state"] in ("succeeded", "succeeded_with_warnings"), delta
    assert delta["progress"]["pages_done"] < full["progress"]["pages_done"]
    got = sync_harness.classes(district)[class_id]
    assert got["name"] == got["sis"]["title"] == "Renamed in the SIS"
    assert got["students"][safe_id(leaving["user"]["sourcedId"])]["status"] == "removed"
    assert got["students"][safe_id(joining)]["status"] == "active"
    assert_matches_sis(sync_harness, district, running)
    marks = sync_harness.district(district).collection("watermarks").stream()
    assert all(m.to_dict()["value"] >= "2026" for m in marks)


def test_teacher_changes_survive_later_syncs(make_sis, sync_harness) -> None:
    running = make_sis(students=60)
    district = sync_harness.register(running)
    sync_harness.sync(district)
    class_id, info = next(iter(expected_classes(running).items()))
    ref = sync_harness.district(district).collection("classes").document(class_id)
    kept_out = sorted(info["students"])[0]
    ref.update(
        {
            "offer_state": "accepted",
            "name": "Room 12 Algebra",
            "name_source": "teacher",
            f"students.`{safe_id(kept_out)}`.status": "removed",
            f"students.`{safe_id(kept_out)}`.removed_by": "teacher",
            "students.`manual-kid`": {
                "sis_user_id": "manual-kid",
                "status": "active",
                "source": "manual",
                "account_id": None,
                "removed_by": None,
            },
        }
    )
    running.sis.store.patch("classes", class_id.removeprefix("sis-"), {"title": "New SIS title"})
    status = sync_harness.sync(district)
    assert status["state"] in ("succeeded", "succeeded_with_warnings")
    got = ref.get().to_dict()
    assert got["offer_state"] == "accepted"
    assert (got["name"], got["name_source"]) == ("Room 12 Algebra", "teacher")
    assert got["sis"]["title"] == "New SIS title"
    assert got["students"][safe_id(kept_out)]["status"] == "removed"
    assert got["students"]["manual-kid"]["status"] == "active"


def test_removed_section_archives_and_mass_removal_is_held_until_approved(
    make_sis, sync_harness
) -> None:
    running = make_sis(students=120)
    district = sync_harness.register(running)
    sync_harness.sync(district)
    store = running.sis.store
    sections = sorted(expected_classes(running))
    gone = sections[0].removeprefix("sis-")
    store.delete("classes", gone)
    emptied = {s.removeprefix("sis-") for s in sections[1:6]}
    for enrollment in list(store.all("enrollments")):
        if enrollment["class"]["sourcedId"] in emptied and enrollment["role"] == "student":
            store.delete("enrollments", enrollment["sourcedId"])
    status = sync_harness.sync(district)
    assert status["state"] == "held", status
    school = next(iter(status["schools"].values()))
    assert school["held_counts"]["students_removed"] > 25
    classes = sync_harness.classes(district)
    assert classes[sections[0]]["archived"] is True  # 1 archive is under the threshold
    for class_id in sections[1:6]:
        assert active(classes[class_id]["students"])  # held: nobody removed yet
    decided = sync_harness.admin(
        "POST", district, f"/runs/{status['run_id']}/decision", {"decision": "approve"}
    )
    assert decided.status_code == 200, decided.text
    classes = sync_harness.classes(district)
    for class_id in sections[1:6]:
        assert not active(classes[class_id]["students"])
        assert classes[class_id]["students"]  # marked removed, never deleted


def test_failed_fetch_fails_the_run_with_reason_and_removes_nothing(make_sis, sync_harness) -> None:
    running = make_sis(students=60)
    district = sync_harness.register(running)
    sync_harness.sync(district)
    before = sync_harness.classes(district)
    running.sis.issuer.set_clients({"test-client": "rotated-secret"})
    running.sis.issuer.expire_all()
    status = sync_harness.sync(district)
    assert status["state"] == "failed"
    assert "secret" in status["failure"]["reason"]
    assert status["failure"]["where"]
    assert sync_harness.classes(district) == before


def test_empty_response_is_suspect_and_removes_nothing(make_sis, sync_harness) -> None:
    running = make_sis(students=60)
    district = sync_harness.register(running)
    sync_harness.sync(district)
    before = sync_harness.classes(district)
    for enrollment in list(running.sis.store.all("enrollments")):
        running.sis.store.delete("enrollments", enrollment["sourcedId"])
    status = sync_harness.sync(district)
    assert status["state"] == "failed"
    assert "suspect" in status["failure"]["reason"]
    assert sync_harness.classes(district) == before


def test_dry_run_stores_the_plan_and_applies_nothing(make_sis, sync_harness) -> None:
    running = make_sis(students=60)
    district = sync_harness.register(running)
    status = sync_harness.sync(district, dry_run=True)
    assert status["dry_run"] is True
    school = next(iter(status["schools"].values()))
    assert school["state"] == "planned"
    assert school["counts"]["classes_offered"] == len(expected_classes(running))
    assert sync_harness.classes(district) == {}


def test_only_selected_schools_sync(make_sis, sync_harness) -> None:
    running = make_sis(students=120, schools=2)
    district = sync_harness.register(running, selected_schools=["sch-0002"])
    status = sync_harness.sync(district)
    assert list(status["schools"]) == ["sch-0002"]
    assert_matches_sis(sync_harness, district, running, school="sch-0002")


def test_faults_and_duplicate_deliveries_converge(make_sis, sync_harness) -> None:
    from tools.oneroster_sis.faults import settings_from_mapping

    running = make_sis(students=80)
    running.sis.faults.configure(
        settings_from_mapping(
            {"seed": 4, "rate_5xx": 0.15, "rate_429": 0.1, "rate_malformed": 0.05}
        )
    )
    district = sync_harness.register(running)
    status = sync_harness.sync(district)
    assert status["state"] in ("succeeded", "succeeded_with_warnings"), status
    assert sum(running.sis.faults.counts().values()) > 0
    assert_matches_sis(sync_harness, district, running)
    before = sync_harness.classes(district)
    run = sync_harness.district(district).collection("runs").document(status["run_id"])
    lanes = run.get().to_dict()["lanes"]
    tasks = [
        {
            "step": "page",
            "district_id": district,
            "run_id": status["run_id"],
            "lane": lane,
            "item_index": 0,
            "page_index": 0,
            "request": {"resource": "ignored"},
        }
        for lane in lanes
    ] + [
        {
            "step": "school",
            "district_id": district,
            "run_id": status["run_id"],
            "school_id": "sch-0001",
        }
    ]
    for task in tasks + tasks:  # every step delivered twice more
        response = requests.post(
            f"{sync_harness.functions}/sync_task",
            json=task,
            headers=sync_harness.task_headers("sync_task"),
            timeout=60,
        )
        assert response.status_code == 200, response.text
    assert sync_harness.classes(district) == before


def test_accounts_are_matched_by_email_case_insensitively(make_sis, sync_harness) -> None:
    running = make_sis(students=60, rate_missing_email=0.0, rate_duplicate_email=0.0)
    teacher = next(u for u in running.sis.store.all("users") if u["roles"][0]["role"] == "teacher")
    district = sync_harness.register(running)
    sync_harness.district(district).collection("accounts").document("acc-teacher").set(
        {"match_keys": {"email": teacher["email"].lower()}, "display_name": "T"}
    )
    running.sis.store.patch("users", teacher["sourcedId"], {"email": teacher["email"].upper()})
    status = sync_harness.sync(district)
    link = (
        sync_harness.district(district)
        .collection("account_links")
        .document(safe_id(teacher["sourcedId"]))
        .get()
        .to_dict()
    )
    assert (link["account_id"], link["matched_by"]) == ("acc-teacher", "email")
    owned = [
        c
        for c in sync_harness.classes(district).values()
        if c["owner"]["sis_user_id"] == teacher["sourcedId"]
    ]
    assert owned and all(c["owner"]["account_id"] == "acc-teacher" for c in owned)
    unmatched = {
        w["sourced_id"] for w in _warnings(sync_harness, district, status, "no_matching_account")
    }
    assert teacher["sourcedId"] not in unmatched and unmatched


def test_account_creation_generates_unique_usernames(make_sis, sync_harness) -> None:
    running = make_sis(students=40, rate_duplicate_email=0.0, rate_missing_email=0.1)
    district = sync_harness.register(running, accounts={"create_accounts": True})
    sync_harness.sync(district)
    accounts = [
        a.to_dict() for a in sync_harness.district(district).collection("accounts").stream()
    ]
    usernames = [a["username"] for a in accounts]
    assert len(accounts) == len(running.sis.store.all("users"))
    assert len(set(usernames)) == len(usernames)
    assert all(u.isalnum() and u.isascii() for u in usernames)


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
