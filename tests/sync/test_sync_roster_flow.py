"""Roster sync through the real stack: admin API → Cloud Tasks emulator → task handlers →
Firestore emulator, against a local OneRoster SIS. Full, delta, unchanged, dry-run and one-school
syncs, and syncs through SIS faults and duplicate task deliveries, leave Firestore matching the SIS;
a teacher's own changes survive later syncs."""

from __future__ import annotations

import requests

from shared.ids import safe_id
from tests.conftest import SyncHarness, active
from tests.sync.sync_checks import expected_classes
from tests.sync.sync_checks import run_warnings as _warnings
from tools.oneroster_sis.harness import RunningSis


def assert_matches_sis(harness: SyncHarness, district: str, running: RunningSis, **kw) -> None:
    classes = harness.classes(district)
    expected = expected_classes(running, **kw)
    assert set(classes) == set(expected)
    for class_id, want in expected.items():
        got = classes[class_id]
        assert got["sis"]["title"] == want["title"]
        assert got["owner"]["sis_user_id"] == want["owner"]
        assert active(got["students"]) == want["students"], class_id


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
