"""Issue 16 row 4, at the sync: a full sync against an SIS that sends a wrong X-Total-Count still
reads every page, so it marks nothing removed that the SIS still holds: the mirror after the second
full sync is as the first, honest one left it."""

from __future__ import annotations

import dataclasses

import pytest

from shared.store import layout
from shared.sync.runs import create_run, load_run
from tests.conftest import StepWorld
from tests.oneroster.test_paging_totals import send_total
from tools.oneroster_sis.profiles import with_overrides


def _full_sync(world: StepWorld, district_id: str) -> dict:
    run_id = create_run(
        world.ports, district_id, kind="full", dry_run=False, requested_by="test@example.org"
    )
    world.drain()
    return load_run(world.store, district_id, run_id)


def _mirror_statuses(world: StepWorld, district_id: str) -> dict[str, str]:
    prefix = f"{layout.district(district_id)}/schools/"
    return {
        path: str((world.store.get(path) or {}).get("status"))
        for path in world.store.paths(prefix)
        if "/sis_" in path
    }


@pytest.mark.parametrize("total", ["-1", "3"])
def test_a_full_sync_through_a_wrong_total_marks_nothing_removed(
    make_sis, step_world: StepWorld, total: str
) -> None:
    running = make_sis(students=120)
    config = running.sis.config
    no_links = with_overrides(config.quirks, {"link_header": False})
    running.sis.apply_config(dataclasses.replace(config, quirks=no_links))
    district = step_world.register(running)
    first = _full_sync(step_world, district)
    statuses_before = _mirror_statuses(step_world, district)
    send_total(running, lambda true: total)
    second = _full_sync(step_world, district)
    assert first["state"] in ("succeeded", "succeeded_with_warnings")
    assert second["state"] == first["state"], second
    assert statuses_before and _mirror_statuses(step_world, district) == statuses_before
