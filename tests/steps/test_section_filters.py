"""The district's term filter applied by a full sync on in-memory ports against a local SIS:
only sections of the chosen terms are offered as classes."""

from __future__ import annotations

from typing import Any

from shared.store import layout
from shared.sync.runs import create_run, load_run
from tests.conftest import StepWorld


def _offered(world: StepWorld, district_id: str) -> dict[str, set[str]]:
    """Section id → its term ids, of every class the district has."""
    return {
        doc.data["sis"]["section_id"]: set(doc.data["sis"]["term_ids"])
        for doc in world.store.query(layout.classes(district_id))
    }


def _full_sync(world: StepWorld, district_id: str) -> dict[str, Any]:
    run_id = create_run(
        world.ports, district_id, kind="full", dry_run=False, requested_by="t@x.org"
    )
    world.drain()
    return load_run(world.store, district_id, run_id)


def test_a_full_sync_offers_only_sections_of_the_filtered_terms(make_sis, step_world) -> None:
    running = make_sis(students=60)
    _full_sync(step_world, step_world.register(running, "all"))
    everything = _offered(step_world, "all")
    term = sorted(set().union(*everything.values()))[-1]
    district = step_world.register(running, "some", filters={"term_ids": [term]})
    run = _full_sync(step_world, district)
    assert run["state"] in ("succeeded", "succeeded_with_warnings")
    wanted = {section for section, terms in everything.items() if term in terms}
    assert 0 < len(wanted) < len(everything)
    assert set(_offered(step_world, district)) == wanted
