"""A school whose plan cannot have moved skips reading its mirror, linking and planning, and
records the same warnings again (shared/sync/quiet.py, issue 17): every input that can move a
plan makes the school plan again, and the end state is the one a full plan gives."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest

from shared.store import layout
from shared.sync.current_warnings import district_records
from shared.sync.runs import create_run, load_run
from shared.sync.warning_sets import run_warnings
from tests.conftest import StepWorld
from tools.oneroster_sis.harness import RunningSis

SCHOOLS = ("sch-0001", "sch-0002")


@pytest.fixture
def world(make_sis, step_world: StepWorld) -> tuple[StepWorld, str, RunningSis]:
    running = make_sis(students=60, schools=2)
    return step_world, step_world.register(running), running


def _sync(world: StepWorld, district: str, kind: str = "full", **drain: Any) -> str:
    run_id = create_run(world.ports, district, kind=kind, dry_run=False, requested_by="t@x.org")
    world.drain(**drain)
    assert load_run(world.store, district, run_id)["state"] in (
        "succeeded",
        "succeeded_with_warnings",
    )
    return run_id


def _quiet(world: StepWorld, district: str, run_id: str) -> dict[str, bool]:
    folder = layout.run_part(district, run_id, "schools")
    return {doc.id: bool(doc.data.get("quiet")) for doc in world.store.query(folder)}


def _warnings(world: StepWorld, district: str, run_id: str) -> dict[str, dict[str, Any]]:
    return {w["key"]: w for w in run_warnings(world.store, district, run_id)}


def _classes(world: StepWorld, district: str) -> dict[str, dict[str, Any]]:
    return {doc.id: doc.data for doc in world.store.query(layout.classes(district))}


def test_an_unchanged_resync_plans_no_school_and_records_the_same_warnings(world) -> None:
    step_world, district, _ = world
    first = _sync(step_world, district)
    classes = _classes(step_world, district)
    again = _sync(step_world, district, copies=2, parallel=True)
    assert _quiet(step_world, district, first) == dict.fromkeys(SCHOOLS, False)
    assert _quiet(step_world, district, again) == dict.fromkeys(SCHOOLS, True)
    assert _warnings(step_world, district, again) == _warnings(step_world, district, first)
    assert _classes(step_world, district) == classes
    runs = [load_run(step_world.store, district, r) for r in (first, again)]
    assert runs[0]["counts"]["warnings"] == runs[1]["counts"]["warnings"] > 0
    counted = {r["runs_seen"] for r in district_records(step_world.store, district)}
    assert counted == {2}  # each warning counted once per run, duplicates and all
    assert _quiet(step_world, district, _sync(step_world, district, "delta")) == dict.fromkeys(
        SCHOOLS, True
    )


def test_a_changed_record_or_a_teachers_change_makes_only_that_school_plan(world) -> None:
    step_world, district, running = world
    _sync(step_world, district)
    section = next(
        c for c in running.sis.store.all("classes") if c["school"]["sourcedId"] == SCHOOLS[0]
    )
    running.sis.store.patch("classes", section["sourcedId"], {"title": "Renamed in the SIS"})
    run_id = _sync(step_world, district)
    assert _quiet(step_world, district, run_id) == {SCHOOLS[0]: False, SCHOOLS[1]: True}
    assert _classes(step_world, district)[f"sis-{section['sourcedId']}"]["sis"]["title"] == (
        "Renamed in the SIS"
    )
    other = next(
        (i, d)
        for i, d in _classes(step_world, district).items()
        if d["sis"]["school_id"] == SCHOOLS[1]
    )
    step_world.store.set(layout.class_doc(district, other[0]), {"name": "Our name"}, merge=True)
    assert _quiet(step_world, district, _sync(step_world, district)) == {
        SCHOOLS[0]: True,
        SCHOOLS[1]: False,
    }


def test_a_removed_record_makes_its_school_plan_and_remove_it(world) -> None:
    step_world, district, running = world
    _sync(step_world, district)
    leaving = next(
        e
        for e in running.sis.store.all("enrollments")
        if e["role"] == "student" and e["school"]["sourcedId"] == SCHOOLS[1]
    )
    running.sis.store.delete("enrollments", leaving["sourcedId"])
    run_id = _sync(step_world, district)
    assert _quiet(step_world, district, run_id) == {SCHOOLS[0]: True, SCHOOLS[1]: False}
    cls = _classes(step_world, district)[f"sis-{leaving['class']['sourcedId']}"]
    member = next(
        m for m in cls["students"].values() if m["sis_user_id"] == leaving["user"]["sourcedId"]
    )
    assert member["status"] == "removed"


def test_an_account_created_in_the_app_is_linked_by_the_next_run(world) -> None:
    step_world, district, running = world
    first = _sync(step_world, district)
    unmatched = [
        w
        for w in _warnings(step_world, district, first).values()
        if w["code"] == "no_matching_account"
    ]
    assert unmatched, "the district has no accounts yet, so every user is unmatched"
    user = next(
        u for u in running.sis.store.all("users") if u["sourcedId"] == unmatched[0]["sourced_id"]
    )
    step_world.store.set(
        f"{layout.accounts(district)}/app-1", {"match_keys": {"email": user["email"].lower()}}
    )
    run_id = _sync(step_world, district)
    school = unmatched[0]["school_id"]
    assert _quiet(step_world, district, run_id)[school] is False
    link = step_world.store.get(layout.account_link(district, user["sourcedId"])) or {}
    assert link.get("account_id") == "app-1"


def test_a_date_the_plan_turns_on_makes_the_school_plan_again(world) -> None:
    step_world, district, _ = world
    _sync(step_world, district)
    state = step_world.store.get(layout.school_state(district, SCHOOLS[0])) or {}
    boundary = state["quiet"]["valid_until"]
    assert boundary, "terms end, so the plan turns on a later date"
    later = dt.datetime.combine(dt.date.fromisoformat(boundary), dt.time(12), tzinfo=dt.UTC)
    step_world.ports = dataclasses.replace(step_world.ports, clock=lambda: later)
    run_id = _sync(step_world, district)
    assert _quiet(step_world, district, run_id)[SCHOOLS[0]] is False


def test_a_dry_run_and_a_held_school_leave_no_state_to_skip_on(world) -> None:
    step_world, district, _ = world
    create_run(step_world.ports, district, kind="full", dry_run=True, requested_by="t@x.org")
    step_world.drain()
    for school in SCHOOLS:
        assert (step_world.store.get(layout.school_state(district, school)) or {}).get(
            "quiet"
        ) is None


def test_a_value_no_longer_shared_links_the_user_of_the_other_school(make_sis, step_world) -> None:
    shared = "shared.address@students.rusd.example.org"
    running = make_sis(students=60, schools=2, rate_missing_email=0.0, rate_duplicate_email=0.0)
    first, second = "stu-000001", "stu-000031"  # one student of each school
    for student in (first, second):
        running.sis.store.patch("users", student, {"email": shared})
    district = step_world.register(running)
    emails = {u["email"].lower() for u in running.sis.store.all("users") if u.get("email")}
    for number, email in enumerate(sorted(emails)):
        path = f"{layout.accounts(district)}/acc-{number:04d}"
        step_world.store.set(path, {"match_keys": {"email": email}})
    _sync(step_world, district)
    _sync(step_world, district)  # a school the other school's step unlinked a user of plans again
    assert _quiet(step_world, district, _sync(step_world, district)) == dict.fromkeys(SCHOOLS, True)
    running.sis.store.patch("users", second, {"email": "own.address@students.rusd.example.org"})
    # The school that releases the claim may run after the other one: as without the quiet
    # check, the other school's user is then linked by the next run.
    runs = [_sync(step_world, district) for _ in range(2)]
    assert not all(_quiet(step_world, district, r)[SCHOOLS[0]] for r in runs)
    link = step_world.store.get(layout.account_link(district, first)) or {}
    assert link.get("account_id"), "the first school's user is linked once the value is its own"


def test_an_unchanged_page_reads_no_record_of_the_mirror(world, monkeypatch) -> None:
    step_world, district, running = world
    asked: list[str] = []
    get_many = step_world.store.get_many

    def counting(paths, fields=None):
        asked.extend(p for p in paths if "/sis_" in p)
        return get_many(paths, fields)

    monkeypatch.setattr(step_world.store, "get_many", counting)
    _sync(step_world, district)
    assert asked == []  # a first sync looks up nothing (test_mirror_lookups.py)
    _sync(step_world, district)
    assert asked == []  # two reads a page instead of one per record
    student = next(u for u in running.sis.store.all("users") if u["roles"][0]["role"] == "student")
    running.sis.store.patch("users", student["sourcedId"], {"givenName": "Renamed"})
    _sync(step_world, district)
    # the page with the change, and the school's pages after it (its state is cleared)
    records = sum(len(running.sis.store.all(kind)) for kind in ("classes", "users", "enrollments"))
    assert 0 < len(asked) < records


def test_a_quiet_school_reads_its_classes_only_when_one_was_written(world, monkeypatch) -> None:
    """Their versions are compared first; a write that leaves the plan's inputs as they were
    (the mark export's bookkeeping) makes the school read them once, and it stays quiet."""
    from shared.sync import quiet

    step_world, district, _ = world
    read: list[str] = []
    whole = quiet.school_class_snapshot

    def counting(store, district_id, school_id):
        read.append(school_id)
        return whole(store, district_id, school_id)

    monkeypatch.setattr(quiet, "school_class_snapshot", counting)
    _sync(step_world, district)
    read.clear()  # the first sync planned both schools, and remembered their classes
    run_id = _sync(step_world, district)
    assert _quiet(step_world, district, run_id) == dict.fromkeys(SCHOOLS, True)
    assert read == []
    class_id = next(
        i for i, d in _classes(step_world, district).items() if d["sis"]["school_id"] == SCHOOLS[1]
    )
    exported = {"export": {"state": "done", "counts": {"sent": 3}}}
    step_world.store.set(layout.class_doc(district, class_id), exported, merge=True)
    for kind in ("delta", "full", "full"):
        run_id = _sync(step_world, district, kind)
        assert _quiet(step_world, district, run_id) == dict.fromkeys(SCHOOLS, True), kind
    assert read == [SCHOOLS[1]]  # once, by the delta; the versions it read are compared next


def test_a_school_that_planned_reads_its_classes_by_query_once(world, monkeypatch) -> None:
    """Before planning, by query (once: the school's class listing is complete then); after
    applying, those its plan named, by path: the state it remembers is the one the next run
    compares with."""
    step_world, district, _ = world
    queried: list[str] = []
    query = step_world.store.query

    def counting(collection, *filters, **kwargs):
        queried.append(collection)
        return query(collection, *filters, **kwargs)

    monkeypatch.setattr(step_world.store, "query", counting)
    _sync(step_world, district)
    assert queried.count(layout.classes(district)) == len(SCHOOLS)
    run_id = _sync(step_world, district)
    assert _quiet(step_world, district, run_id) == dict.fromkeys(SCHOOLS, True)


def test_an_unchanged_page_is_compared_with_the_contents_the_quiet_state_keeps(
    world, monkeypatch
) -> None:
    """After a full run, a school's quiet state keeps its pages' content hashes: the next full
    run's page steps read no page record of the earlier run."""
    step_world, district, running = world
    first = _sync(step_world, district)
    asked: list[str] = []
    get_many = step_world.store.get_many

    def counting(paths, fields=None):
        asked.extend(p for p in paths if f"/runs/{first}/pages/" in p)
        return get_many(paths, fields)

    monkeypatch.setattr(step_world.store, "get_many", counting)
    run_id = _sync(step_world, district)
    assert _quiet(step_world, district, run_id) == dict.fromkeys(SCHOOLS, True)
    assert asked == []
    student = next(u for u in running.sis.store.all("users") if u["roles"][0]["role"] == "student")
    running.sis.store.patch("users", student["sourcedId"], {"givenName": "Renamed"})
    run_id = _sync(step_world, district)  # the changed page is told apart, and written
    assert not all(_quiet(step_world, district, run_id).values())


def test_after_applying_a_school_reads_again_only_the_classes_its_plan_changed(
    world, monkeypatch
) -> None:
    """The others are remembered as read to plan; the next run finds the school quiet."""
    step_world, district, running = world
    _sync(step_world, district)
    section = next(
        c for c in running.sis.store.all("classes") if c["school"]["sourcedId"] == SCHOOLS[0]
    )
    running.sis.store.patch("classes", section["sourcedId"], {"title": "Renamed in the SIS"})
    read: list[list[str]] = []  # the class documents of each batched read
    get_many, folder = step_world.store.get_many, layout.classes(district) + "/"

    def recording(paths, fields=None):
        ids = [p.removeprefix(folder) for p in paths if p.startswith(folder)]
        if ids:
            read.append(sorted(ids))
        return get_many(paths, fields)

    monkeypatch.setattr(step_world.store, "get_many", recording)
    run_id = _sync(step_world, district, "delta")
    assert _quiet(step_world, district, run_id) == {SCHOOLS[0]: False, SCHOOLS[1]: True}
    renamed = layout.class_id_for(section["sourcedId"])
    assert len(read[0]) > 1 and read[-1] == [renamed]  # to plan, then after applying
    assert _classes(step_world, district)[renamed]["sis"]["title"] == "Renamed in the SIS"
    run_id = _sync(step_world, district, "delta")
    assert _quiet(step_world, district, run_id) == dict.fromkeys(SCHOOLS, True)
