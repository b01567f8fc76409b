"""A warning that persists across runs is one district warning with a count (issue 12): first and
last seen, ``runs_seen`` exact under duplicate and parallel deliveries, gone from the district's
list once a full run no longer sees it, and an unchanged re-sync that is delivered again writes
nothing more."""

from __future__ import annotations

from typing import Any

import pytest

from shared.sync.admin_reads import warnings_page, warnings_summary
from shared.sync.current_warnings import district_records
from shared.sync.model import DataWarning
from shared.sync.quiet import WARNING_FIELDS
from shared.sync.runs import create_run, record_warnings
from shared.sync.warning_sets import run_warnings, school_set
from tests.conftest import StepWorld

BAD_EMAIL = {"code": "malformed_email"}


@pytest.fixture
def world(make_sis, step_world: StepWorld) -> tuple[StepWorld, str, Any]:
    running = make_sis(students=30, schools=1)
    district = step_world.register(running)
    enrolled = next(e for e in running.sis.store.all("enrollments") if e["role"] == "student")
    running.sis.store.patch("users", enrolled["user"]["sourcedId"], {"email": "not-an-address"})
    return step_world, district, running.sis.store


def _sync(world: StepWorld, district: str, kind: str = "full", **drain: Any) -> str:
    run_id = create_run(
        world.ports,
        district,
        kind=kind,
        dry_run=False,
        requested_by="t@x.org",  # type: ignore[arg-type]
    )
    world.drain(**drain)
    return run_id


def _current(world: StepWorld, district: str) -> list[dict[str, Any]]:
    return warnings_page(world.store, district, None, BAD_EMAIL, 200, None)["warnings"]


def test_full_delta_full_is_one_warning_seen_by_three_runs(world) -> None:
    step_world, district, _ = world
    first = _sync(step_world, district)
    _sync(step_world, district, "delta")
    last = _sync(step_world, district)
    [warning] = _current(step_world, district)
    assert (
        len(
            [
                r
                for r in district_records(step_world.store, district)
                if r["code"] == "malformed_email"
            ]
        )
        == 1
    )
    assert warning["runs_seen"] == 3
    assert (warning["first_seen_run"], warning["last_seen_run"]) == (first, last)
    assert warning["first_seen_at"] < warning["last_seen_at"]
    assert {"code", "severity", "record_kind", "sourced_id", "school_id", "field", "value"} <= set(
        warning
    ) and {"reason", "fix"} <= set(warning)
    of_run = warnings_page(step_world.store, district, first, BAD_EMAIL, 200, None)
    assert of_run["warnings"][0]["runs_seen"] == 3  # a run's list shows the count too


def test_a_fixed_record_leaves_the_district_list_after_the_next_full_run(world) -> None:
    step_world, district, sis = world
    _sync(step_world, district)
    [warning] = _current(step_world, district)
    total_before = warnings_summary(step_world.store, district, None)["total"]
    sis.patch("users", warning["sourced_id"], {"email": "fixed@district.example.org"})
    run_id = _sync(step_world, district)
    summary = warnings_summary(step_world.store, district, None)
    assert _current(step_world, district) == []
    assert summary["run_id"] == run_id and summary["total"] == total_before - 1


def test_a_delta_before_the_next_full_run_keeps_the_warning_listed(world) -> None:
    step_world, district, _ = world
    _sync(step_world, district)
    create_run(step_world.ports, district, kind="full", dry_run=False, requested_by="t@x.org")
    # the next full run is under way (not ended): the warnings of the last one stay listed
    assert len(_current(step_world, district)) == 1


def test_duplicate_parallel_deliveries_count_each_run_once(world) -> None:
    step_world, district, _ = world
    _sync(step_world, district, copies=3, parallel=True)
    _sync(step_world, district, "delta", copies=3, parallel=True)
    [warning] = _current(step_world, district)
    assert warning["runs_seen"] == 2


def test_a_redelivered_school_step_writes_no_district_warning_again(world) -> None:
    step_world, district, _ = world
    run_id = _sync(step_world, district)
    found = list(run_warnings(step_world.store, district, run_id))
    warnings = [DataWarning(**{k: w[k] for k in WARNING_FIELDS}) for w in found]
    writer = school_set(str(warnings[0].school_id))
    again = record_warnings(step_world.ports, district, run_id, warnings, writer=writer)
    assert again == 2  # the school's set and its one chunk, written again; no district write
