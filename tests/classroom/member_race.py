"""A teacher's hand change to a member made between the sync's plan and its apply: the scenario
of tests/classroom/test_sync_member_race.py, on MemoryStore and on the Firestore emulator."""

from __future__ import annotations

import datetime as dt
from typing import Any

from shared.classroom import roster_changes
from shared.classroom.access import Actor
from shared.ids import safe_id
from shared.store import layout
from shared.store.ports import DocumentStore
from shared.sync.apply import apply_changes, new_class_document
from shared.sync.model import ClassChange

TEACHER = "owner@district.example.org"
CLASS_ID = "sis-sec-9"
NOW = dt.datetime(2025, 3, 1, 12, tzinfo=dt.UTC)

# What the planner decided from the stored class (seed_class) before the teacher's changes:
# restore the members the SIS had removed and sends again, add one it sends for the first time,
# remove the ones it no longer sends.
PLAN = ClassChange(
    CLASS_ID,
    "sec-9",
    "sch-1",
    add_students=("s-new", "s-plain"),
    restore_students=("s-back",),
    remove_students=("s-gone", "s-readded"),
    restore_co_teachers=("t-back",),
    remove_co_teachers=("t-gone",),
)


def seed_class(store: DocumentStore, district_id: str) -> None:
    offer = ClassChange(
        CLASS_ID,
        "sec-9",
        "sch-1",
        create=True,
        sis_title="Chemistry",
        owner_id="t-owner",
        add_students=("s-back", "s-gone", "s-readded", "s-kept"),
        add_co_teachers=("t-back", "t-gone"),
    )
    path = layout.class_doc(district_id, CLASS_ID)
    store.set(path, new_class_document(offer, {}, NOW, "r0"))
    removed_by_sis = {"status": "removed", "removed_by": "sis", "removed_at": NOW}
    store.update(
        path,
        {
            **{("students", "s-back", k): v for k, v in removed_by_sis.items()},
            **{("co_teachers", "t-back", k): v for k, v in removed_by_sis.items()},
        },
    )
    store.set(layout.staff(district_id, TEACHER), {"role": "teacher", "sis_user_id": "t-owner"})


def actor(district_id: str) -> Actor:
    return Actor(TEACHER, district_id, {"role": "teacher", "sis_user_id": "t-owner"})


def teacher_hand_changes(store: DocumentStore, district_id: str) -> None:
    """Between the plan and the apply: the teacher removes the members the plan restores or
    removes, adds by hand the one the plan adds, and takes one out and back in by hand."""
    me, now = actor(district_id), NOW + dt.timedelta(minutes=1)
    remove, add = roster_changes.remove_member, roster_changes.add_member
    remove(store, me, CLASS_ID, "students", "s-back", now)
    remove(store, me, CLASS_ID, "students", "s-gone", now)
    remove(store, me, CLASS_ID, "students", "s-readded", now)
    add(store, me, CLASS_ID, "students", "s-readded", now)
    add(store, me, CLASS_ID, "students", "s-new", now)
    remove(store, me, CLASS_ID, "co_teachers", "t-back", now)
    remove(store, me, CLASS_ID, "co_teachers", "t-gone", now)


def sync_apply(store: DocumentStore, district_id: str) -> None:
    apply_changes(store, district_id, "r1", [PLAN], {}, NOW + dt.timedelta(minutes=2))


def member(doc: dict[str, Any], group: str, user: str) -> tuple[Any, Any, Any]:
    entry = (doc.get(group) or {}).get(safe_id(user)) or {}
    return entry.get("status"), entry.get("source"), entry.get("removed_by")


HAND_REMOVED = ("removed", "sis", "teacher")
HAND_ADDED = ("active", "manual", None)
EXPECTED = {
    ("students", "s-back"): HAND_REMOVED,  # the plan's restore does not re-add it
    ("students", "s-gone"): HAND_REMOVED,  # the plan's removal does not take it over
    ("students", "s-readded"): HAND_ADDED,  # the plan's removal does not remove it
    ("students", "s-new"): HAND_ADDED,  # the plan's add does not make it the SIS's
    ("students", "s-plain"): ("active", "sis", None),  # what the teacher left alone applies
    ("students", "s-kept"): ("active", "sis", None),
    ("co_teachers", "t-back"): HAND_REMOVED,
    ("co_teachers", "t-gone"): HAND_REMOVED,
}


def lost_hand_changes(doc: dict[str, Any]) -> dict[str, Any]:
    """Each member whose stored state is not what the teacher (or the plan, where the teacher
    left the member alone) made it: name → what is stored."""
    return {
        f"{group}/{user}": member(doc, group, user)
        for (group, user), wanted in EXPECTED.items()
        if member(doc, group, user) != wanted
    }


def teacher_ids_of(doc: dict[str, Any]) -> list[str]:
    return list(doc.get("teacher_ids") or [])
