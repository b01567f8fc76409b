"""A teacher's class list reads only that teacher's classes (one indexed query on
``teacher_ids``), counted document by document, and keeps finding a class as its teachers
change: an owner change by the sync, a co-teacher added or removed by hand, a class written
before ``teacher_ids`` existed."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator

import pytest
from google.cloud import firestore

from shared.adapters.firestore_store import FirestoreStore
from shared.classroom import roster_changes
from shared.classroom.access import Actor
from shared.classroom.class_list import teacher_classes
from shared.store import layout
from shared.store.memory import MemoryStore
from shared.store.ports import DELETE_FIELD as DELETE
from shared.store.ports import Doc, Filter
from shared.sync.apply import apply_changes
from shared.sync.model import ClassChange

D = "d1"
NOW = dt.datetime(2025, 3, 1, 12, tzinfo=dt.UTC)
ME = Actor("me@district.example.org", D, {"role": "teacher", "sis_user_id": "t-me"})
ALSO_ME = Actor("me2@district.example.org", D, {"role": "teacher", "account_id": "acc-me"})


class CountingStore(MemoryStore):
    """Counts the class documents its queries return (what Firestore bills as reads)."""

    def __init__(self) -> None:
        super().__init__()
        self.docs_read = 0

    def query(self, collection: str, *filters: Filter, limit: int | None = None) -> Iterator[Doc]:
        hits = list(super().query(collection, *filters, limit=limit))
        self.docs_read += len(hits)
        return iter(hits)


def _offer(class_no: int, owner: str, co: tuple[str, ...] = ()) -> ClassChange:
    return ClassChange(
        f"sis-sec-{class_no}",
        f"sec-{class_no}",
        "sch-1",
        create=True,
        sis_title=f"Class {class_no}",
        owner_id=owner,
        add_co_teachers=co,
        add_students=("s-1",),
    )


def _district(classes: int = 60) -> CountingStore:
    store = CountingStore()
    store.set(layout.district(D), {"connected": True})
    offers = [_offer(n, f"t-{n % 20}") for n in range(classes)]
    offers += [_offer(100, "t-me"), _offer(101, "t-x", co=("t-me",))]
    apply_changes(store, D, "r0", offers, {"t-x": "acc-me"}, NOW)
    return store


def _listed(store: CountingStore, actor: Actor, state: str | None = None) -> list[str]:
    store.docs_read = 0
    return [c["class_id"] for c in teacher_classes(store, actor, state)]


def test_the_list_reads_only_the_teachers_classes() -> None:
    store = _district()
    _listed(store, ME)  # the district's first list checks every class once (indexed below)
    assert _listed(store, ME) == ["sis-sec-100", "sis-sec-101"]
    assert store.docs_read == 2
    assert _listed(store, ALSO_ME) == ["sis-sec-101"]  # the owner's account id
    assert store.docs_read == 1
    assert _listed(store, ME, "archived") == []


def test_the_list_follows_owner_changes_and_hand_changed_co_teachers() -> None:
    store = _district(classes=3)
    owner_change = ClassChange("sis-sec-100", "sec-100", "sch-1", owner_id="t-new")
    apply_changes(store, D, "r1", [owner_change], {}, NOW)
    assert _listed(store, ME) == ["sis-sec-101"]
    owner = Actor("x@district.example.org", D, {"role": "teacher", "sis_user_id": "t-1"})
    roster_changes.add_member(store, owner, "sis-sec-1", "co_teachers", "t-me", NOW)
    assert _listed(store, ME) == ["sis-sec-1", "sis-sec-101"]
    other = Actor("x@district.example.org", D, {"role": "teacher", "sis_user_id": "t-x"})
    roster_changes.remove_member(store, other, "sis-sec-101", "co_teachers", "t-me", NOW)
    assert _listed(store, ME) == ["sis-sec-1"]


def test_classes_written_before_teacher_ids_are_found_and_indexed_once() -> None:
    store = _district(classes=30)
    for path in store.paths(layout.classes(D) + "/"):
        store.update(path, {"teacher_ids": DELETE})
    assert _listed(store, ME) == ["sis-sec-100", "sis-sec-101"]  # reads every class, once
    assert store.docs_read >= 32
    assert _listed(store, ME) == ["sis-sec-100", "sis-sec-101"]
    assert store.docs_read == 2


@pytest.mark.usefixtures("local_stack")
def test_on_firestore_old_classes_are_indexed_and_the_query_finds_mine(local_stack) -> None:
    project = local_stack.env()["GOOGLE_CLOUD_PROJECT"]
    store = FirestoreStore(firestore.Client(project=project))
    district = f"class-list-{time.time_ns()}"
    me = Actor(ME.email, district, ME.staff)
    store.set(layout.district(district), {"connected": True})
    apply_changes(store, district, "r0", [_offer(1, "t-1"), _offer(2, "t-me")], {}, NOW)
    store.update(layout.class_doc(district, "sis-sec-2"), {"teacher_ids": DELETE})
    assert [c["class_id"] for c in teacher_classes(store, me)] == ["sis-sec-2"]
    assert store.get(layout.class_doc(district, "sis-sec-2"))["teacher_ids"] == ["sis:t-me"]
    assert (store.get(layout.district(district)) or {})["class_teacher_index"] == 1
