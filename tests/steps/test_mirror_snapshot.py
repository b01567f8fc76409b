"""A school's mirror read from its snapshot with the documents the runs since wrote laid over it
(shared/sync/mirror_snapshot.py) is the mirror read whole, through full syncs, deltas, changes,
removals and additions, and after a page step wrote late; and the reads it saves are real: the
documents laid over are the few written since, not the school's whole mirror, read by path where
their runs listed them, found by query where a run wrote in bulk or listed nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from shared.store import layout
from shared.store.ports import Write
from shared.sync import mirror_snapshot
from shared.sync.mirror_snapshot import (
    decoded,
    late_write,
    listed,
    save_snapshot,
    writer_writes,
)
from shared.sync.mirror_store import _read_whole, read_school_mirror
from shared.sync.runs import create_run
from tests.conftest import StepWorld

SCHOOLS = ("sch-0001", "sch-0002")


def _sync(world: StepWorld, district: str, kind: str) -> None:
    create_run(world.ports, district, kind=kind, dry_run=False, requested_by="t@x.org")  # type: ignore[arg-type]
    world.drain()


def _changed_then_delta(world: StepWorld, running, district: str, marker: str) -> None:
    sis = running.sis.store
    enrolled = {e["user"]["sourcedId"] for e in sis.all("enrollments") if e["role"] == "student"}
    for user in [u for u in sis.all("users") if u["sourcedId"] in enrolled][:6]:
        sis.patch("users", user["sourcedId"], {"givenName": marker})
    _sync(world, district, "delta")


def _read_counting_queries(
    world: StepWorld, district: str, monkeypatch: pytest.MonkeyPatch
) -> tuple[int, list[str]]:
    """Reads each school's mirror as the school step does; returns the documents laid over and
    the mirror collections queried meanwhile. Each read is the mirror read whole."""
    queried: list[str] = []
    query = world.store.query

    def counted(collection: str, *filters, **kwargs):  # type: ignore[no-untyped-def]
        queried.append(collection)
        return query(collection, *filters, **kwargs)

    laid = 0
    for school in SCHOOLS:
        with monkeypatch.context() as patch:
            patch.setattr(world.store, "query", counted)
            found = read_school_mirror(world.store, district, school)
        assert not found.whole
        assert found.docs == decoded(_read_whole(world.store, district, school))
        laid += found.laid
    return laid, [c for c in queried if "/sis_" in c]


def _same_as_whole(world: StepWorld, district: str) -> tuple[int, bool]:
    """Checks every school; returns the documents laid over the snapshots, and whether any
    school read its mirror whole."""
    laid, whole = 0, False
    for school in SCHOOLS:
        found = read_school_mirror(world.store, district, school)
        assert found.docs == decoded(_read_whole(world.store, district, school))
        laid, whole = laid + found.laid, whole or found.whole
    return laid, whole


def test_the_snapshot_and_what_was_written_since_is_the_mirror(make_sis, step_world) -> None:
    world = step_world
    running = make_sis(students=60, schools=2, seed=5)
    district = world.register(running)
    sis = running.sis.store
    _sync(world, district, "full")
    assert _same_as_whole(world, district) == (0, False)
    enrolled = {e["user"]["sourcedId"] for e in sis.all("enrollments") if e["role"] == "student"}
    users = [u for u in sis.all("users") if u["sourcedId"] in enrolled]
    for user in users[:3]:
        sis.patch("users", user["sourcedId"], {"givenName": "Changed"})
    sis.mark_tobedeleted("users", users[3]["sourcedId"])
    enrollment = next(e for e in sis.all("enrollments") if e["role"] == "student")
    sis.patch("enrollments", enrollment["sourcedId"], {"beginDate": "2026-08-20"})
    _sync(world, district, "delta")
    laid, whole = _same_as_whole(world, district)
    assert 0 < laid < 10 and not whole  # the delta's few records, not the schools' hundreds
    sis.delete("users", users[4]["sourcedId"])  # gone: removed by the next full sync
    sis.upsert("users", {**users[5], "sourcedId": "new-student", "givenName": "New"})
    _sync(world, district, "full")
    assert _same_as_whole(world, district)[0] > 0
    _sync(world, district, "full")  # unchanged: quiet schools read no mirror
    _same_as_whole(world, district)
    school_of = {e["user"]["sourcedId"]: e["school"]["sourcedId"] for e in sis.all("enrollments")}
    ours = [u for u in users[6:] if school_of[u["sourcedId"]] == SCHOOLS[0]]
    for user in ours[1:]:  # enough that the step writes a new snapshot, with the removal
        sis.patch("users", user["sourcedId"], {"givenName": "Again"})
    sis.delete("users", ours[0]["sourcedId"])
    _sync(world, district, "full")
    again = read_school_mirror(world.store, district, SCHOOLS[0])
    assert again.docs == decoded(_read_whole(world.store, district, SCHOOLS[0]))
    assert (again.whole, again.laid) == (False, 0)  # the new snapshot holds it all


def test_a_late_page_write_sends_the_next_read_to_the_whole_mirror(make_sis, step_world) -> None:
    running = make_sis(students=30, schools=2, seed=6)
    district = step_world.register(running)
    _sync(step_world, district, "full")
    step_world.store.commit([late_write(district, SCHOOLS[0], "run~page")])
    first = read_school_mirror(step_world.store, district, SCHOOLS[0])
    second = read_school_mirror(step_world.store, district, SCHOOLS[1])
    assert (first.whole, second.whole) == (True, False)
    assert first.docs == decoded(_read_whole(step_world.store, district, SCHOOLS[0]))


def test_what_a_delta_wrote_is_read_by_path_with_no_query(
    make_sis, step_world, monkeypatch: pytest.MonkeyPatch
) -> None:
    running = make_sis(students=40, schools=2, seed=7)
    district = step_world.register(running)
    _sync(step_world, district, "full")
    _changed_then_delta(step_world, running, district, "Listed")
    laid, queried = _read_counting_queries(step_world, district, monkeypatch)
    assert laid > 0
    assert queried == []


@pytest.mark.parametrize("how", ["bulk", "unlisted"])
def test_a_run_that_wrote_in_bulk_or_listed_nothing_is_found_by_query(
    how: str, make_sis, step_world, monkeypatch: pytest.MonkeyPatch
) -> None:
    running = make_sis(students=40, schools=2, seed=8)
    district = step_world.register(running)
    _sync(step_world, district, "full")
    if how == "bulk":  # every commit of the delta writes more than it may list
        monkeypatch.setattr(mirror_snapshot, "LISTED_MAX", 0)
    _changed_then_delta(step_world, running, district, "Bulk")
    if how == "unlisted":  # as a run recorded before runs listed what they wrote
        docs = step_world.store._docs
        for path in [p for p in docs if "/mirror_written/" in p]:
            del docs[path]
    laid, queried = _read_counting_queries(step_world, district, monkeypatch)
    assert laid > 0
    assert queried  # one query per resource of a school the delta wrote


def test_what_the_runs_listed_and_which_runs_to_query() -> None:
    lists = {
        "r1": {"ids": ["students/a", "classes/c"]},
        "r2": {"bulk": True, "ids": ["students/b"]},
        "r4": {"ids": ["students/a"]},
    }
    ids, queried = listed(lists, ["r1", "r2", "r3", "r4"])
    assert ids == {"students/a", "classes/c"}
    assert queried == ["r2", "r3"]


def test_a_run_that_writes_while_a_snapshot_is_saved_is_laid_over_next_time(
    make_sis, step_world
) -> None:
    """A snapshot saved removes only the entries of ``runs`` it read: another run's write in
    between, even by a run already among them, stays to be laid over (before, the list was
    emptied and such a write was missing from every later read of the snapshot)."""
    running = make_sis(students=40, schools=2, seed=9)
    district = step_world.register(running)
    _sync(step_world, district, "full")
    _changed_then_delta(step_world, running, district, "Delta")
    store, school = step_world.store, SCHOOLS[0]
    read = read_school_mirror(store, district, school)
    [delta_run] = {entry.split("|")[0] for entry in read.entries}  # the delta's, laid over
    folder = layout.mirror(district, school, "students")
    doc_id = next(iter(read.stored["students"]))
    for run in ("run-concurrent", delta_run):
        change = Write("update", f"{folder}/{doc_id}", {"status": f"changed by {run}"})
        store.commit([*writer_writes(district, school, run, [f"students/{doc_id}"]), change])
    save_snapshot(store, district, school, read, ("run-saving", dt.datetime.now(dt.UTC)))
    again = read_school_mirror(store, district, school)
    assert again.docs == decoded(_read_whole(store, district, school))
    assert again.laid > 0 and not again.whole
