"""The sync's steps on in-memory ports against a real local SIS: outcomes, idempotence under
duplicate and parallel deliveries, and permanent failures recorded rather than retried."""

from __future__ import annotations

from typing import Any

from shared.store import layout
from shared.sync.runs import create_run, load_run
from tests.conftest import StepWorld


def _classes(world: StepWorld, district_id: str) -> dict[str, dict[str, Any]]:
    return {
        doc.id: {
            k: v
            for k, v in doc.data.items()
            if k not in ("created_at", "updated_at", "updated_by_run")
        }
        for doc in world.store.query(layout.classes(district_id))
    }


def _full_sync(world: StepWorld, district_id: str, **drain: Any) -> dict[str, Any]:
    run_id = create_run(
        world.ports, district_id, kind="full", dry_run=False, requested_by="test@example.org"
    )
    world.drain(**drain)
    return load_run(world.store, district_id, run_id)


def test_full_sync_offers_each_taught_section_as_a_pending_class(make_sis, step_world) -> None:
    running = make_sis(students=60)
    district = step_world.register(running)
    run = _full_sync(step_world, district)
    classes = _classes(step_world, district)
    assert run["state"] in ("succeeded", "succeeded_with_warnings")
    assert classes and all(c["offer_state"] == "pending" for c in classes.values())
    assert run["counts"]["classes_offered"] == len(classes)


def test_every_task_delivered_three_times_in_parallel_gives_the_same_classes(
    make_sis, step_world
) -> None:
    running = make_sis(students=60)
    once = step_world.register(running, "once")
    thrice = step_world.register(running, "thrice")
    _full_sync(step_world, once)
    run = _full_sync(step_world, thrice, copies=3, parallel=True)
    assert run["state"] in ("succeeded", "succeeded_with_warnings")
    assert _classes(step_world, thrice) == _classes(step_world, once)


def test_settings_broken_mid_run_fail_the_run_instead_of_being_retried(
    make_sis, step_world
) -> None:
    running = make_sis(students=30)
    district = step_world.register(running)
    run_id = create_run(
        step_world.ports, district, kind="full", dry_run=False, requested_by="t@example.org"
    )
    start = step_world.queue.take()
    step_world.deliver(start[0])
    step_world.store.update(layout.district(district), {("connection", "page_size"): -5})
    pages = step_world.queue.take()
    outcome = step_world.deliver(pages[0])  # returns: a permanent error does not raise
    run = load_run(step_world.store, district, run_id)
    assert outcome["state"] == "failed" and run["state"] == "failed"
    assert "page_size" in run["failure"]["reason"]


def test_a_task_for_a_run_that_does_not_exist_ends_without_writing(step_world) -> None:
    before = step_world.store.paths()
    outcome = step_world.deliver({"step": "start", "district_id": "d9", "run_id": "nope"})
    assert outcome["state"] == "gone" and step_world.store.paths() == before
