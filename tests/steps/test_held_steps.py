"""Held runs on in-memory ports against a real local SIS (issue 16, rows 5-7): a held run changes
nothing it held until the admin decides, the decision is taken once, and a discarded removal is
not applied by a later delta sync."""

from __future__ import annotations

from typing import Any

import pytest

from shared.errors import Conflict
from shared.ids import safe_id
from shared.store import layout
from shared.sync.holds import decide_held
from shared.sync.runs import create_run, load_run
from tests.conftest import StepWorld
from tests.held_runs_sis import (
    OwnerChange,
    empty_sections,
    replace_primary_teacher,
    taught_sections,
)
from tools.oneroster_sis.harness import RunningSis

HIGH_GUARDS = {"max_count": 100_000, "max_fraction": 1.0}


def _sync(world: StepWorld, district_id: str, kind: Any = "full") -> dict[str, Any]:
    run_id = create_run(
        world.ports, district_id, kind=kind, dry_run=False, requested_by="t@example.org"
    )
    world.drain()
    return {**load_run(world.store, district_id, run_id), "run_id": run_id}


def _dry_run(world: StepWorld, district_id: str) -> None:
    create_run(world.ports, district_id, kind="full", dry_run=True, requested_by="t@example.org")
    world.drain()


def _class(world: StepWorld, district_id: str, class_id: str) -> dict[str, Any]:
    doc = world.store.get(layout.class_doc(district_id, class_id))
    assert doc is not None, class_id
    return doc


def _active_students(world: StepWorld, district_id: str, section_ids: list[str]) -> int:
    return sum(
        1
        for section_id in section_ids
        for member in _class(world, district_id, layout.class_id_for(section_id))[
            "students"
        ].values()
        if member["status"] == "active"
    )


def _decide(world: StepWorld, district_id: str, run_id: str, decision: Any) -> dict[str, Any]:
    return decide_held(world.ports, district_id, run_id, decision, "admin@example.org")


def _set_guards(world: StepWorld, district_id: str, guards: dict[str, Any]) -> None:
    world.store.set(layout.district(district_id), {"guards": guards}, merge=True)


def _held_owner_change(
    world: StepWorld, running: RunningSis, district_id: str
) -> tuple[OwnerChange, dict[str, Any]]:
    """A full sync, then an SIS where one section changed its primary teacher and five others
    lost their students: the next full sync holds."""
    _sync(world, district_id)
    sections = taught_sections(running)
    owner = replace_primary_teacher(running, sections[0])
    assert empty_sections(running, sections[1:6]) > 25
    held = _sync(world, district_id)
    assert held["state"] == "held", held
    return owner, held


def test_a_held_run_leaves_the_owner_in_place_until_the_admin_approves(
    make_sis, step_world
) -> None:
    running = make_sis(students=120)
    district = step_world.register(running, accounts={"create_accounts": True})
    owner, held = _held_owner_change(step_world, running, district)
    assert _class(step_world, district, owner.class_id)["owner"]["sis_user_id"] == owner.former
    assert held["held_counts"]["owners_changed"] == 1
    _decide(step_world, district, held["run_id"], "approve")
    got = _class(step_world, district, owner.class_id)["owner"]
    link = step_world.store.get(f"{layout.account_links(district)}/{safe_id(owner.new)}")
    assert got == {"sis_user_id": owner.new, "account_id": link and link["account_id"]}
    assert got["account_id"]


def test_a_discarded_run_never_changes_the_owner(make_sis, step_world) -> None:
    running = make_sis(students=120)
    district = step_world.register(running)
    owner, held = _held_owner_change(step_world, running, district)
    _decide(step_world, district, held["run_id"], "discard")
    assert _class(step_world, district, owner.class_id)["owner"]["sis_user_id"] == owner.former


def test_a_delta_after_a_discarded_full_sync_removes_nobody_even_below_the_thresholds(
    make_sis, step_world
) -> None:
    running = make_sis(students=120)
    district = step_world.register(running)
    _sync(step_world, district)
    emptied = taught_sections(running)[:5]
    empty_sections(running, emptied)
    held = _sync(step_world, district)
    assert held["state"] == "held"
    _decide(step_world, district, held["run_id"], "discard")
    _set_guards(step_world, district, HIGH_GUARDS)
    delta = _sync(step_world, district, kind="delta")
    assert delta["state"] in ("succeeded", "succeeded_with_warnings"), delta
    assert delta["counts"]["students_removed"] == 0
    assert _active_students(step_world, district, emptied) > 25
    again = _sync(step_world, district)  # a full sync sees the SIS still lacks them
    assert again["counts"]["students_removed"] > 25
    assert _active_students(step_world, district, emptied) == 0


def test_a_delta_while_a_full_sync_waits_for_the_decision_removes_nobody(
    make_sis, step_world
) -> None:
    running = make_sis(students=120)
    district = step_world.register(running)
    _sync(step_world, district)
    emptied = taught_sections(running)[:5]
    empty_sections(running, emptied)
    held = _sync(step_world, district)
    _set_guards(step_world, district, HIGH_GUARDS)
    delta = _sync(step_world, district, kind="delta")
    assert delta["counts"]["students_removed"] == 0
    assert _active_students(step_world, district, emptied) > 25
    _decide(step_world, district, held["run_id"], "approve")
    assert _active_students(step_world, district, emptied) == 0


def test_a_dry_run_full_sync_leaves_no_removal_for_the_next_delta(make_sis, step_world) -> None:
    running = make_sis(students=120)
    district = step_world.register(running)
    _sync(step_world, district)
    emptied = taught_sections(running)[:1]
    assert empty_sections(running, emptied) > 0
    _dry_run(step_world, district)
    delta = _sync(step_world, district, kind="delta")
    assert delta["counts"]["students_removed"] == 0
    assert _active_students(step_world, district, emptied) > 0


def test_a_delta_applies_the_removals_the_sis_sends(make_sis, step_world) -> None:
    running = make_sis(students=120)
    district = step_world.register(running)
    _sync(step_world, district)
    section = taught_sections(running)[0]
    leaving = next(
        e
        for e in running.sis.store.all("enrollments")
        if e["class"]["sourcedId"] == section and e["role"] == "student"
    )
    running.sis.store.mark_tobedeleted("enrollments", leaving["sourcedId"])
    delta = _sync(step_world, district, kind="delta")
    assert delta["counts"]["students_removed"] == 1
    students = _class(step_world, district, layout.class_id_for(section))["students"]
    assert students[safe_id(leaving["user"]["sourcedId"])]["status"] == "removed"


def test_a_held_run_is_decided_once_and_the_other_answer_is_refused(make_sis, step_world) -> None:
    running = make_sis(students=120)
    district = step_world.register(running)
    _sync(step_world, district)
    emptied = taught_sections(running)[:5]
    empty_sections(running, emptied)
    held = _sync(step_world, district)
    _decide(step_world, district, held["run_id"], "discard")
    with pytest.raises(Conflict, match=r"already discarded by admin@example\.org"):
        _decide(step_world, district, held["run_id"], "approve")
    assert _active_students(step_world, district, emptied) > 25
    assert load_run(step_world.store, district, held["run_id"])["hold_decision"]["decision"] == (
        "discard"
    )


def test_a_decision_cut_off_midway_is_finished_by_sending_it_again(make_sis, step_world) -> None:
    running = make_sis(students=120)
    district = step_world.register(running)
    _sync(step_world, district)
    emptied = taught_sections(running)[:5]
    empty_sections(running, emptied)
    held = _sync(step_world, district)
    path = layout.run(district, held["run_id"])
    claim = {"decision": "approve", "by": "first@example.org", "at": held["finished_at"]}
    step_world.store.update(path, {"state": "deciding", "hold_decision": claim})  # then a crash
    with pytest.raises(Conflict, match="already approved"):
        _decide(step_world, district, held["run_id"], "discard")
    _decide(step_world, district, held["run_id"], "approve")
    run = load_run(step_world.store, district, held["run_id"])
    assert run["state"] in ("succeeded", "succeeded_with_warnings")
    assert run["hold_decision"]["by"] == "first@example.org"
    assert _active_students(step_world, district, emptied) == 0
