"""A school's completion asks whether every school of the run ended: by reading the schools'
states by path up to SCHOOLS_READ_BY_PATH schools, by one count aggregation above; the run ends
once either way."""

from __future__ import annotations

from typing import Any

import pytest

from shared.ids import safe_id
from shared.store import layout
from shared.store.memory import MemoryStore
from shared.sync import runs
from shared.sync.runs import all_schools_ended, create_run, load_run
from tests.conftest import StepWorld


@pytest.fixture
def world(make_sis, step_world: StepWorld) -> tuple[StepWorld, str]:
    running = make_sis(students=60, schools=2, seed=11)
    return step_world, step_world.register(running)


def _counts(world: StepWorld, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    counted: list[str] = []
    count = world.store.count

    def recording(collection: str, *filters: Any) -> int:
        counted.append(collection)
        return count(collection, *filters)

    monkeypatch.setattr(world.store, "count", recording)
    return counted


def _sync(world: StepWorld, district: str) -> str:
    run_id = create_run(world.ports, district, kind="full", dry_run=False, requested_by="t@x.org")
    world.drain(parallel=True)
    assert load_run(world.store, district, run_id)["state"].startswith("succeeded")
    return run_id


def test_a_run_of_few_schools_ends_without_a_count(world, monkeypatch) -> None:
    step_world, district = world
    counted = _counts(step_world, monkeypatch)
    run_id = _sync(step_world, district)
    assert [c for c in counted if c.endswith("/schools")] == []
    assert load_run(step_world.store, district, run_id)["finished_at"]


def test_a_run_of_many_schools_counts_the_ended_ones(world, monkeypatch) -> None:
    step_world, district = world
    monkeypatch.setattr(runs, "SCHOOLS_READ_BY_PATH", 1)
    counted = _counts(step_world, monkeypatch)
    run_id = _sync(step_world, district)
    schools = layout.run_part(district, run_id, "schools")
    assert counted.count(schools) >= 2  # one a school's completion at least


@pytest.mark.parametrize("named", [True, False])
def test_every_school_must_have_ended(named: bool) -> None:
    store, folder = MemoryStore(), "districts/d1/runs/r1/schools"
    run = {"schools": ["s1", "s2", "s 3"] if named else None, "school_count": 3}
    for school, state in (("s1", "applied"), ("s2", "fetching"), ("s 3", "held")):
        store.set(f"{folder}/{safe_id(school)}", {"state": state})
    assert not all_schools_ended(store, run, folder)
    store.set(f"{folder}/s2", {"state": "failed"})
    assert all_schools_ended(store, run, folder)
