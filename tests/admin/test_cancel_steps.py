"""Cancelling a run on the in-memory ports: its remaining tasks apply nothing, and a failure
that comes later does not overwrite the cancellation."""

from __future__ import annotations

import pytest

from shared.errors import Conflict
from shared.store import layout
from shared.sync.runs import cancel_run, create_run, fail_run, load_run
from tests.conftest import StepWorld


def _start(step_world: StepWorld, district: str) -> str:
    return create_run(
        step_world.ports, district, kind="full", dry_run=False, requested_by="a@example.org"
    )


def test_a_run_cancelled_before_its_tasks_ran_writes_no_class(make_sis, step_world) -> None:
    district = step_world.register(make_sis(students=40))
    run_id = _start(step_world, district)
    cancel_run(step_world.store, district, run_id, "a@example.org", step_world.ports.clock())
    step_world.drain()
    assert load_run(step_world.store, district, run_id)["state"] == "cancelled"
    assert step_world.store.paths(layout.classes(district)) == []


def test_a_run_cancelled_after_its_pages_ran_applies_no_school(make_sis, step_world) -> None:
    district = step_world.register(make_sis(students=40))
    run_id = _start(step_world, district)
    while (tasks := step_world.queue.take()) and not all(t["step"] == "school" for t in tasks):
        for task in tasks:
            step_world.deliver(task)
    cancel_run(step_world.store, district, run_id, "a@example.org", step_world.ports.clock())
    for task in tasks:
        step_world.deliver(task)
    step_world.drain()
    assert load_run(step_world.store, district, run_id)["state"] == "cancelled"
    assert step_world.store.paths(layout.classes(district)) == []


def test_a_failure_after_the_cancellation_leaves_the_run_cancelled(make_sis, step_world) -> None:
    district = step_world.register(make_sis(students=10))
    run_id = _start(step_world, district)
    cancel_run(step_world.store, district, run_id, "a@example.org", step_world.ports.clock())
    fail_run(step_world.ports, district, run_id, "the SIS went away", "page step")
    assert load_run(step_world.store, district, run_id)["state"] == "cancelled"


def test_an_ended_run_cannot_be_cancelled_and_the_refusal_names_its_state(
    make_sis, step_world
) -> None:
    district = step_world.register(make_sis(students=10))
    run_id = _start(step_world, district)
    step_world.drain()
    with pytest.raises(Conflict, match=r"is succeeded.*, not running"):
        cancel_run(step_world.store, district, run_id, "a@example.org", step_world.ports.clock())


def test_a_disconnected_district_cannot_start_a_run(make_sis, step_world) -> None:
    district = step_world.register(make_sis(students=10), connected=False)
    with pytest.raises(Conflict, match="disconnected; reconnect with PUT /connection"):
        _start(step_world, district)
