"""A school's first sync puts its mirror together from the copies its page steps kept
(shared/sync/mirror_copies.py) instead of reading every document back by query; the result is
the mirror read whole, and a mirror the copies are not (a document from before, another run's
write, a missing piece) is read whole as before."""

from __future__ import annotations

from typing import Any

import pytest

from shared.store import layout
from shared.store.ports import Write
from shared.sync.mirror_copies import PIECES_A_COMMIT, commit_copy, copy_writes, read_copies
from shared.sync.mirror_snapshot import decoded, writer_writes
from shared.sync.mirror_store import _read_whole, read_school_mirror
from shared.sync.runs import create_run, load_run
from shared.sync.school_inputs import read_fetches, read_pages
from tests.conftest import StepWorld

SCHOOLS = ("sch-0001", "sch-0002")


@pytest.fixture
def world(make_sis, step_world: StepWorld) -> tuple[StepWorld, str, Any]:
    running = make_sis(students=60, schools=2, seed=5)
    return step_world, step_world.register(running), running


def _start(world: StepWorld, district: str, kind: str = "full") -> str:
    return create_run(world.ports, district, kind=kind, dry_run=False, requested_by="t@x.org")


def _copies(world: StepWorld, district: str, run_id: str, school: str) -> Any:
    fetches = read_fetches(world.store, district, run_id, school)
    return read_pages(world.store, district, run_id, school, fetches).copies


def _mirror_queries(world: StepWorld, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The collections queried from now on; a count aggregation is not a query that returns
    documents (the in-memory store counts through its query)."""
    queried: list[str] = []
    query = world.store.query

    def counted(collection: str, *filters: Any, **kwargs: Any) -> Any:
        queried.append(collection)
        return query(collection, *filters, **kwargs)

    def aggregated(collection: str, *filters: Any) -> int:
        return sum(1 for _ in query(collection, *filters))

    monkeypatch.setattr(world.store, "query", counted)
    monkeypatch.setattr(world.store, "count", aggregated)
    return queried


def test_a_first_sync_reads_no_mirror_document_back_and_plans_the_same(world, monkeypatch) -> None:
    step_world, district, _ = world
    queried = _mirror_queries(step_world, monkeypatch)
    run_id = _start(step_world, district)
    step_world.drain()
    assert load_run(step_world.store, district, run_id)["state"].startswith("succeeded")
    assert [c for c in queried if "/schools/" in c and "/sis_" in c] == []
    for school in SCHOOLS:
        copies = _copies(step_world, district, run_id, school)
        assert copies and all(pieces == 1 for _, _, pieces in copies)
        whole = _read_whole(step_world.store, district, school)
        # the snapshot the school step saved from the copies holds the mirror as it is now
        assert read_school_mirror(step_world.store, district, school).docs == decoded(whole)


def test_the_copies_are_the_mirror_read_whole(world) -> None:
    """Before the school steps run: the copies put together equal the documents written."""
    step_world, district, _ = world
    run_id = _start(step_world, district)
    assert _drain_pages(step_world)  # the school steps, held back
    for school in SCHOOLS:
        copies = _copies(step_world, district, run_id, school)
        assert copies is not None
        from_copies = read_copies(step_world.store, district, run_id, copies)
        assert from_copies == _read_whole(step_world.store, district, school)


def _drain_pages(world: StepWorld) -> list[dict[str, Any]]:
    """Delivers every task but the school steps; returns the school steps held back."""
    held: list[dict[str, Any]] = []
    while True:
        tasks = world.queue.take()
        if not tasks:
            return held
        for task in tasks:
            if task.get("step") == "school":
                held.append(task)
            else:
                world.deliver(task)


def _school_reads_whole(
    world: StepWorld, district: str, run_id: str, school: str, monkeypatch: pytest.MonkeyPatch
) -> bool:
    queried = _mirror_queries(world, monkeypatch)
    found = read_school_mirror(
        world.store, district, school, (run_id, _copies(world, district, run_id, school))
    )
    monkeypatch.undo()
    assert found.docs == decoded(_read_whole(world.store, district, school))
    return any(f"/schools/{school}/sis_" in c for c in queried)


def test_a_mirror_the_copies_are_not_is_read_whole(world, monkeypatch) -> None:
    step_world, district, _ = world
    store = step_world.store
    run_id = _start(step_world, district)
    _drain_pages(step_world)
    first, second = SCHOOLS
    assert not _school_reads_whole(step_world, district, run_id, first, monkeypatch)
    # a document from before the run's first write (a mirror written before copies were kept)
    old = f"{layout.mirror(district, first, 'students')}/from-before"
    store.set(old, {"sourcedId": "from-before", "status": "active", "data": "{}"})
    assert _school_reads_whole(step_world, district, run_id, first, monkeypatch)
    # another run wrote the mirror meanwhile
    store.commit(writer_writes(district, second, "another-run", ["students/x"]))
    assert _school_reads_whole(step_world, district, run_id, second, monkeypatch)


def test_a_missing_piece_sends_the_school_to_the_whole_mirror(world, monkeypatch) -> None:
    step_world, district, _ = world
    store = step_world.store
    run_id = _start(step_world, district)
    _drain_pages(step_world)
    school = SCHOOLS[0]
    copies = _copies(step_world, district, run_id, school)
    key = copies[0][0]
    folder = layout.run_part(district, run_id, "mirror_copies")
    store._docs.pop(f"{folder}/{key}-000")  # as if the piece never landed
    assert read_copies(store, district, run_id, copies) is None
    assert _school_reads_whole(step_world, district, run_id, school, monkeypatch)


def test_a_large_page_is_copied_in_pieces(monkeypatch) -> None:
    monkeypatch.setattr("shared.sync.mirror_copies.PIECE_BYTES", 20)
    writes = [
        Write("set", f"m/sis_users/u{n}", {"status": "active", "data": f'{{"n":{n}}}'})
        for n in range(40)
    ]
    pieces = copy_writes("d1", "r1", "k~~users~~00000", writes)
    assert len(pieces) > PIECES_A_COMMIT
    from shared.store.memory import MemoryStore

    store = MemoryStore()
    commits: list[int] = []
    commit = store.commit

    def counted(writes: Any) -> int:
        commits.append(len(list(writes)))
        return commit(writes)

    monkeypatch.setattr(store, "commit", counted)
    assert commit_copy(store, pieces) == len(pieces)
    assert max(commits) <= PIECES_A_COMMIT and sum(commits) == len(pieces)
    found = read_copies(store, "d1", "r1", [("k~~users~~00000", "students", len(pieces))])
    assert found is not None and len(found["students"]) == 40
    assert found["students"]["u7"] == {"status": "active", "data": '{"n":7}'}


def test_a_value_json_cannot_hold_leaves_the_page_without_a_copy() -> None:
    writes = [Write("set", "m/sis_users/u1", {"data": {1, 2}})]
    assert copy_writes("d1", "r1", "k", writes) == []


def test_a_later_sync_of_the_school_keeps_no_copy(world) -> None:
    step_world, district, running = world
    _start(step_world, district)
    step_world.drain()
    user = next(u for u in running.sis.store.all("users") if u["roles"][0]["role"] == "student")
    running.sis.store.patch("users", user["sourcedId"], {"givenName": "Renamed"})
    run_id = _start(step_world, district)
    step_world.drain()
    assert all(_copies(step_world, district, run_id, s) is None for s in SCHOOLS)
