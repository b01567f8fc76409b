"""A teacher's class list: one query on ``teacher_ids`` (shared/classroom/teachers.py) reads the
teacher's classes only, not every class of the district.

Classes written before ``teacher_ids`` existed are indexed once per district: the first list
finds the district without ``class_teacher_index``, gives each class that lacks the array its
array in batches and marks the district. The batch adds keys (``ArrayUnion``) and never
removes one, so a teacher's change written meanwhile keeps its own.
The array may hold a former teacher for a while (an account link the sync cleared); the rule of
``is_teacher_of`` still decides, so such a class is read but not listed."""

from __future__ import annotations

from typing import Any

from shared.classroom.access import Actor
from shared.classroom.teachers import TEACHER_IDS, person_keys, teacher_ids
from shared.classroom.views import class_state, class_summary
from shared.export.classes import is_teacher_of
from shared.store import layout
from shared.store.ports import ArrayUnion, DocumentStore, Filter, Write

INDEX_FIELD = "class_teacher_index"  # on the district document
INDEX_VERSION = 1


def ensure_indexed(store: DocumentStore, district_id: str) -> int:
    """Gives every class of the district its ``teacher_ids`` once; how many it wrote."""
    district = store.get(layout.district(district_id))
    if district is None or district.get(INDEX_FIELD) == INDEX_VERSION:
        return 0
    written = store.commit(
        Write("update", doc.path, {TEACHER_IDS: ArrayUnion(tuple(teacher_ids(doc.data)))})
        for doc in store.query(layout.classes(district_id))
        if TEACHER_IDS not in doc.data
    )
    store.update_if(
        layout.district(district_id), lambda d: d is not None, {INDEX_FIELD: INDEX_VERSION}
    )
    return written


def teacher_classes(
    store: DocumentStore, actor: Actor, state: str | None = None
) -> list[dict[str, Any]]:
    """The summaries of the actor's classes (owner or active co-teacher), in id order; only
    those in ``state`` when given."""
    keys = person_keys(actor.staff)
    if not keys:
        return []
    ensure_indexed(store, actor.district_id)
    mine = store.query(
        layout.classes(actor.district_id), Filter(TEACHER_IDS, "array_contains_any", keys)
    )
    return sorted(
        (
            class_summary(doc.id, doc.data)
            for doc in mine
            if is_teacher_of(actor.staff, doc.data)
            and (state is None or class_state(doc.data) == state)
        ),
        key=lambda summary: str(summary["class_id"]),
    )
