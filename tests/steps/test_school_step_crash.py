"""A school step that dies after applying its plan and before ending its school (the process
killed between the writes and Cloud Tasks' acknowledgement) is delivered again. The retry must
end the school with the counts of what the first delivery applied, not the zeros that a plan
made on the already-changed classes gives, and the run's counts must equal an uncrashed run's."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from shared.store import layout
from shared.sync.runs import create_run, load_run
from tests.conftest import StepWorld
from tools.oneroster_sis.harness import RunningSis

SCHOOLS = ("sch-0001", "sch-0002")


def _crash_once_on_school_end(world: StepWorld, run_id: str) -> Callable[[], bool]:
    """The first write that ends a school of the run raises, as a killed process would stop
    there; returns whether it happened."""
    folder = layout.run_part("d1", run_id, "schools") + "/"
    killed = world.kill_once(
        lambda path, data: path.startswith(folder) and data.get("state") == "applied"
    )
    return lambda: bool(killed)


def _run(world: StepWorld, crash: bool) -> dict[str, Any]:
    run_id = create_run(world.ports, "d1", kind="full", dry_run=False, requested_by="t@x.org")
    crashed = _crash_once_on_school_end(world, run_id) if crash else (lambda: False)
    world.drain_through_kills()  # Cloud Tasks delivers a killed step again
    assert crashed() == crash
    return load_run(world.store, "d1", run_id)


@pytest.mark.parametrize("crash", [False, True], ids=["uncrashed", "crashed after applying"])
def test_a_school_step_delivered_again_after_applying_reports_what_it_applied(
    make_sis: Callable[..., RunningSis], step_world: StepWorld, crash: bool
) -> None:
    running = make_sis(students=60, schools=2)
    step_world.register(running)
    _run(step_world, crash=False)
    section = next(
        c for c in running.sis.store.all("classes") if c["school"]["sourcedId"] == SCHOOLS[0]
    )
    running.sis.store.patch("classes", section["sourcedId"], {"title": "Renamed in the SIS"})
    enrollment = next(
        e
        for e in running.sis.store.all("enrollments")
        if e["role"] == "student" and e["school"]["sourcedId"] == SCHOOLS[0]
    )
    running.sis.store.patch("enrollments", enrollment["sourcedId"], {"status": "tobedeleted"})

    run = _run(step_world, crash=crash)

    assert run["state"] in ("succeeded", "succeeded_with_warnings"), run
    assert run["counts"]["classes_renamed"] == 1, run["counts"]
    assert run["counts"]["students_removed"] == 1, run["counts"]
