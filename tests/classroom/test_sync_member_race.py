"""A teacher's hand change to a member made after the sync planned and before it applies wins,
as the planner would have decided had it seen the change: once in order (deterministic), and
repeated with both sides released at the same moment. On MemoryStore and on the Firestore
emulator."""

from __future__ import annotations

import itertools
import time

import pytest
from google.cloud import firestore

from shared.adapters.firestore_store import FirestoreStore
from shared.classroom import roster_changes
from shared.store import layout
from shared.store.memory import MemoryStore
from shared.store.ports import DocumentStore
from tests.classroom.member_race import (
    CLASS_ID,
    HAND_REMOVED,
    NOW,
    actor,
    lost_hand_changes,
    member,
    seed_class,
    sync_apply,
    teacher_hand_changes,
    teacher_ids_of,
)
from tests.classroom.race import run_together

_districts = itertools.count(1)


def _firestore(local_stack) -> FirestoreStore:
    return FirestoreStore(firestore.Client(project=local_stack.env()["GOOGLE_CLOUD_PROJECT"]))


def _plan_then_teacher_then_apply(store: DocumentStore, district_id: str) -> dict:
    seed_class(store, district_id)  # the plan (member_race.PLAN) was made from this state
    teacher_hand_changes(store, district_id)
    sync_apply(store, district_id)
    doc = store.get(layout.class_doc(district_id, CLASS_ID))
    assert doc is not None
    return doc


def test_hand_changes_made_between_plan_and_apply_stand_in_memory() -> None:
    doc = _plan_then_teacher_then_apply(MemoryStore(), "d1")
    assert lost_hand_changes(doc) == {}
    assert teacher_ids_of(doc) == ["sis:t-owner"]


@pytest.mark.usefixtures("local_stack")
def test_hand_changes_made_between_plan_and_apply_stand_on_firestore(local_stack) -> None:
    district = f"member-race-{next(_districts)}-{time.time_ns()}"
    doc = _plan_then_teacher_then_apply(_firestore(local_stack), district)
    assert lost_hand_changes(doc) == {}
    assert teacher_ids_of(doc) == ["sis:t-owner"]


def _race_on_one_member(store: DocumentStore, district_id: str) -> list[tuple]:
    """The teacher removes a student the plan restores and a co-teacher the plan removes, at the
    moment the sync applies: whichever goes first, both stay removed by the teacher."""

    def teacher() -> None:
        me = actor(district_id)
        roster_changes.remove_member(store, me, CLASS_ID, "students", "s-back", NOW)
        roster_changes.remove_member(store, me, CLASS_ID, "co_teachers", "t-gone", NOW)

    seed_class(store, district_id)
    run_together(teacher, lambda: sync_apply(store, district_id))
    doc = store.get(layout.class_doc(district_id, CLASS_ID)) or {}
    return [member(doc, "students", "s-back"), member(doc, "co_teachers", "t-gone")]


def test_racing_the_same_member_in_memory_keeps_the_teachers_change() -> None:
    store = MemoryStore()
    outcomes = [_race_on_one_member(store, "d1") for _ in range(100)]
    assert outcomes == [[HAND_REMOVED, HAND_REMOVED]] * 100


@pytest.mark.usefixtures("local_stack")
def test_racing_the_same_member_on_firestore_keeps_the_teachers_change(local_stack) -> None:
    store = _firestore(local_stack)
    district = f"member-race-{next(_districts)}-{time.time_ns()}"
    # Once: a contended transaction waits for the emulator's pessimistic locks (~3 s a round);
    # the in-memory test above repeats the race.
    assert _race_on_one_member(store, district) == [HAND_REMOVED, HAND_REMOVED]
