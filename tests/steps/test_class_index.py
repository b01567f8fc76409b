"""A school's synced classes are listed (shared/sync/class_index.py), so a school step reads them
by path: a sync after the first queries no class. Classes from before the listing are queried
once and listed; an id listed meanwhile survives that; a class is listed before it is created;
a class that is now another school's is unlisted."""

from __future__ import annotations

from typing import Any

import pytest

from shared.store import layout
from shared.store.memory import MemoryStore
from shared.store.ports import Filter, Write
from shared.sync.apply import apply_changes
from shared.sync.class_index import (
    complete_writes,
    index_paths,
    listed_ids,
    listing_writes,
)
from shared.sync.model import ClassChange
from shared.sync.runs import create_run, load_run
from shared.sync.school_inputs import school_class_snapshot, school_class_versions
from tests.conftest import StepWorld

SCHOOLS = ("sch-0001", "sch-0002")
CLASSES = "/classes"


@pytest.fixture
def world(make_sis, step_world: StepWorld) -> tuple[StepWorld, str]:
    running = make_sis(students=60, schools=2, seed=7)
    return step_world, step_world.register(running)


def _sync(world: StepWorld, district: str, kind: str = "full") -> None:
    run_id = create_run(world.ports, district, kind=kind, dry_run=False, requested_by="t@x.org")
    world.drain()
    assert load_run(world.store, district, run_id)["state"].startswith("succeeded")


def _class_queries(world: StepWorld, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The queries of the district's classes from now on (documents or versions)."""
    queried: list[str] = []
    query, versions = world.store.query, world.store.versions
    inside = [False]  # the in-memory store's versions query through its own query

    def counted(collection: str, *filters: Any, **kwargs: Any) -> Any:
        if not inside[0]:
            queried.append(collection)
        return query(collection, *filters, **kwargs)

    def counted_versions(collection: str, *filters: Filter) -> dict[str, str]:
        queried.append(collection)
        inside[0] = True
        try:
            return versions(collection, *filters)
        finally:
            inside[0] = False

    monkeypatch.setattr(world.store, "query", counted)
    monkeypatch.setattr(world.store, "versions", counted_versions)
    return queried


def _queried_classes(district: str, school: str, store: MemoryStore) -> list[str]:
    ours = (Filter("origin", "==", "sis"), Filter("sis.school_id", "==", school))
    return sorted(doc.id for doc in store.query(layout.classes(district), *ours))


def test_a_sync_after_the_first_queries_no_class_and_reads_the_same(world, monkeypatch) -> None:
    step_world, district = world
    _sync(step_world, district)
    for school in SCHOOLS:
        listed = listed_ids(step_world.store, district, school)
        assert listed and listed == _queried_classes(district, school, step_world.store)
    queried = _class_queries(step_world, monkeypatch)
    _sync(step_world, district)  # an unchanged re-sync: the quiet check compares versions
    _sync(step_world, district, kind="delta")
    assert [c for c in queried if c.endswith(CLASSES)] == []
    for school in SCHOOLS:
        docs, versions = school_class_snapshot(step_world.store, district, school)
        assert [i for i, _ in docs] == _queried_classes(district, school, step_world.store)
        assert school_class_versions(step_world.store, district, school) == versions


def test_classes_from_before_the_listing_are_queried_once_and_listed(world, monkeypatch) -> None:
    step_world, district = world
    _sync(step_world, district)
    for school in SCHOOLS:  # as a district synced before the listing was complete
        for path in index_paths(district, school):
            step_world.store.set(path, {"school_id": school})
    queried = _class_queries(step_world, monkeypatch)
    for school in SCHOOLS:
        docs, _ = school_class_snapshot(step_world.store, district, school)
        assert listed_ids(step_world.store, district, school) == [i for i, _ in docs]
    assert len([c for c in queried if c.endswith(CLASSES)]) == len(SCHOOLS)
    for school in SCHOOLS:
        school_class_snapshot(step_world.store, district, school)
    assert len([c for c in queried if c.endswith(CLASSES)]) == len(SCHOOLS)
    for school in SCHOOLS:  # the quiet check's versions complete a listing too
        for path in index_paths(district, school):
            step_world.store.set(path, {"school_id": school})
        versions = school_class_versions(step_world.store, district, school)
        assert listed_ids(step_world.store, district, school) == sorted(versions)
        assert school_class_versions(step_world.store, district, school) == versions
    assert len([c for c in queried if c.endswith(CLASSES)]) == 2 * len(SCHOOLS)


def test_an_id_listed_while_the_listing_is_completed_is_kept() -> None:
    store = MemoryStore()
    store.commit(listing_writes("d1", "s1", ["sis-new"]))
    assert listed_ids(store, "d1", "s1") is None  # listed, but the listing is not complete
    store.commit(complete_writes("d1", "s1", ["sis-a", "sis-b"]))
    assert listed_ids(store, "d1", "s1") == ["sis-a", "sis-b", "sis-new"]


def test_a_class_is_listed_before_it_is_created(monkeypatch) -> None:
    store = MemoryStore()
    store.commit(complete_writes("d1", "s1", []))
    commit = store.commit

    def stops_at_the_class(writes: Any) -> int:
        writes = list(writes)
        if any(w.path.startswith(layout.classes("d1")) for w in writes):
            raise RuntimeError("killed before the class was written")
        return commit(writes)

    monkeypatch.setattr(store, "commit", stops_at_the_class)
    change = ClassChange("sis-x", "x", "s1", create=True, sis_title="X", owner_id="t1")
    with pytest.raises(RuntimeError):
        apply_changes(store, "d1", "run-1", [change], {}, None)  # type: ignore[arg-type]
    assert listed_ids(store, "d1", "s1") == ["sis-x"]


def test_a_class_now_another_schools_is_unlisted_when_read() -> None:
    store = MemoryStore()
    store.commit(complete_writes("d1", "s1", ["sis-a", "sis-b"]))
    classes = layout.classes("d1")
    store.commit(
        [
            Write("set", f"{classes}/sis-a", {"origin": "sis", "sis": {"school_id": "s1"}}),
            Write("set", f"{classes}/sis-b", {"origin": "sis", "sis": {"school_id": "s2"}}),
        ]
    )
    docs, versions = school_class_snapshot(store, "d1", "s1")
    assert [i for i, _ in docs] == ["sis-a"] and list(versions) == ["sis-a"]
    assert listed_ids(store, "d1", "s1") == ["sis-a"]
