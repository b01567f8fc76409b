"""A page step looks up the stored hashes of its records only where the school's mirror may
hold them (shared/sync/mirror_store.py ``MirrorPage.stored``): a school's first sync writes every
record without a look-up, a later one writes only the records that changed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from shared.store import layout
from shared.sync.runs import create_run, load_run
from tests.conftest import StepWorld
from tools.oneroster_sis.harness import RunningSis


def _sync(world: StepWorld, district: str) -> tuple[str, int]:
    run_id = create_run(world.ports, district, kind="full", dry_run=False, requested_by="t@x.org")
    world.drain()
    assert load_run(world.store, district, run_id)["state"].startswith("succeeded")
    pages = world.store.query(layout.run_part(district, run_id, "pages"))
    return run_id, sum(int(p.data.get("written") or 0) for p in pages)


def _mirror_paths_looked_up(world: StepWorld, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    looked: list[str] = []
    real = world.store.get_many

    def get_many(paths: Sequence[str], fields: Sequence[str] | None = None) -> Any:
        looked.extend(p for p in paths if "/sis_" in p)
        return real(paths, fields)

    monkeypatch.setattr(world.store, "get_many", get_many)
    return looked


def test_a_first_sync_looks_up_no_hash_and_a_later_one_writes_only_what_changed(
    make_sis: Any, step_world: StepWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    running: RunningSis = make_sis(students=40, schools=2)
    district = step_world.register(running)
    records = sum(len(list(running.sis.store.all(k))) for k in ("users", "enrollments"))

    looked = _mirror_paths_looked_up(step_world, monkeypatch)
    _, written = _sync(step_world, district)
    assert looked == [] and written >= records

    student = next(u for u in running.sis.store.all("users") if u["sourcedId"].startswith("stu-"))
    running.sis.store.patch("users", student["sourcedId"], {"givenName": "Renamed"})
    _, written_again = _sync(step_world, district)
    assert looked and written_again == 1


def test_a_page_step_killed_after_its_mirror_write_counts_those_records_when_delivered_again(
    make_sis: Any, step_world: StepWorld
) -> None:
    """Cloud Tasks delivers a step again when its process died after writing the page's
    records and before recording the page: the redelivery finds the records as it would write
    them, and the page still counts them as written by the run."""
    running: RunningSis = make_sis(students=40, schools=2)
    district = step_world.register(running)
    _sync(step_world, district)
    student = next(u for u in running.sis.store.all("users") if u["sourcedId"].startswith("stu-"))
    running.sis.store.patch("users", student["sourcedId"], {"givenName": "Renamed"})

    run_id = create_run(
        step_world.ports, district, kind="full", dry_run=False, requested_by="t@x.org"
    )
    pages = layout.run_part(district, run_id, "pages") + "/"
    killed = step_world.kill_once(lambda path, data: path.startswith(pages) and data.get("written"))
    step_world.drain_through_kills()
    assert killed
    recorded = step_world.store.query(layout.run_part(district, run_id, "pages"))
    assert sum(int(p.data.get("written") or 0) for p in recorded) == 1
