"""Applying a school's changes to the classroom collections. Only SIS-owned fields and the
members the sync manages are written, by field path, so the teacher's own fields (name, offer
state, manual members) survive. The class documents are built by pure functions.

A plan is made from classes read earlier; a teacher may change a member in between. So an
existing class whose change touches its people (members or owner) is written in one transaction
that re-reads it and keeps only the member updates the planner would still make on what is stored
(``standing_members``), and recomputes ``teacher_ids``. Every other change goes in batches."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from shared.classroom.teachers import TEACHER_IDS, teacher_ids, with_teacher_ids
from shared.ids import safe_id
from shared.store import layout
from shared.store.ports import DELETE_FIELD, Build, Data, DocumentStore, FieldName, Update, Write
from shared.store.ports import updated as with_update
from shared.sync.class_index import listing_writes
from shared.sync.model import ClassChange
from shared.sync.planner import member_moves
from shared.sync.roster_docs import member_map

SIS_OWNED_CLASS_FIELDS = ("sis", "origin", "archived", "archived_reason", "owner")


def member_entry(user_id: str, links: Mapping[str, str], source: str = "sis") -> dict[str, Any]:
    return {
        "sis_user_id": user_id,
        "account_id": links.get(user_id),
        "status": "active",
        "source": source,
        "removed_by": None,
    }


def new_class_document(
    change: ClassChange, links: Mapping[str, str], now: dt.datetime, run_id: str
) -> dict[str, Any]:
    """A class the SIS offers for the first time: pending until a teacher accepts it."""
    return with_teacher_ids(
        {
            "origin": "sis",
            "sis": {
                "section_id": change.section_id,
                "school_id": change.school_id,
                "title": change.sis_title,
                "term_ids": list(change.term_ids or ()),
            },
            "sis_owned_fields": list(SIS_OWNED_CLASS_FIELDS),
            "name": change.sis_title,
            "name_source": "sis",
            "offer_state": "pending",
            "archived": False,
            "archived_reason": None,
            "owner": {
                "sis_user_id": change.owner_id,
                "account_id": links.get(change.owner_id or ""),
            },
            "co_teachers": {safe_id(t): member_entry(t, links) for t in change.add_co_teachers},
            "students": {safe_id(s): member_entry(s, links) for s in change.add_students},
            "created_at": now,
            "updated_at": now,
            "updated_by_run": run_id,
        }
    )


def _member_updates(
    change: ClassChange, links: Mapping[str, str], now: dt.datetime
) -> dict[FieldName, Any]:
    update: dict[FieldName, Any] = {}
    groups = (
        ("students", change.add_students, change.restore_students, change.remove_students),
        (
            "co_teachers",
            change.add_co_teachers,
            change.restore_co_teachers,
            change.remove_co_teachers,
        ),
    )
    for group, added, restored, removed in groups:
        for user_id in (*added, *restored):
            update[(group, safe_id(user_id))] = member_entry(user_id, links)
        for user_id in removed:
            update[(group, safe_id(user_id), "status")] = "removed"
            update[(group, safe_id(user_id), "removed_by")] = "sis"
            update[(group, safe_id(user_id), "removed_at")] = now
    return update


def class_update(
    change: ClassChange, links: Mapping[str, str], now: dt.datetime, run_id: str
) -> dict[FieldName, Any]:
    """The field-path update of an existing synced class. Pure."""
    update: dict[FieldName, Any] = {"updated_at": now, "updated_by_run": run_id}
    if change.sis_title is not None:
        update[("sis", "title")] = change.sis_title
    if change.term_ids is not None:
        update[("sis", "term_ids")] = list(change.term_ids)
    if change.owner_id:
        update["owner"] = {"sis_user_id": change.owner_id, "account_id": links.get(change.owner_id)}
        update[("co_teachers", safe_id(change.owner_id))] = DELETE_FIELD
    if change.archive_reason:
        update.update(
            {"archived": True, "archived_reason": change.archive_reason, "archived_at": now}
        )
    if change.unarchive:
        update.update({"archived": False, "archived_reason": None})
    update.update(_member_updates(change, links, now))
    return update


def _follows_sis(doc: Mapping[str, Any] | None) -> bool:
    return doc is not None and doc.get("name_source", "sis") == "sis"


def _standing(
    stored: Any, wanted: tuple[str, ...], unwanted: tuple[str, ...]
) -> tuple[set[str], set[str]]:
    """Of the planned adds/restores and removals of one member list, those the planner
    (``planner.member_moves``) would still make on each member's stored state alone."""
    current = member_map(stored)
    add, restore, _ = member_moves({u: current[u] for u in wanted if u in current}, wanted)
    _, _, remove = member_moves({u: current[u] for u in unwanted if u in current}, ())
    return {*add, *restore}, set(remove)


def standing_members(change: ClassChange, stored: Mapping[str, Any]) -> ClassChange:
    """The change with only the member updates that still stand on the stored class: a member the
    teacher removed by hand since the plan is not re-added, one the teacher added by hand is
    neither removed nor taken over as the SIS's, a hand removal keeps ``removed_by: teacher``.
    Pure."""
    students, gone_students = _standing(
        stored.get("students"),
        (*change.add_students, *change.restore_students),
        change.remove_students,
    )
    co, gone_co = _standing(
        stored.get("co_teachers"),
        (*change.add_co_teachers, *change.restore_co_teachers),
        change.remove_co_teachers,
    )
    return replace(
        change,
        add_students=tuple(u for u in change.add_students if u in students),
        restore_students=tuple(u for u in change.restore_students if u in students),
        remove_students=tuple(u for u in change.remove_students if u in gone_students),
        add_co_teachers=tuple(u for u in change.add_co_teachers if u in co),
        restore_co_teachers=tuple(u for u in change.restore_co_teachers if u in co),
        remove_co_teachers=tuple(u for u in change.remove_co_teachers if u in gone_co),
    )


def touches_people(change: ClassChange) -> bool:
    """An existing class whose owner or members change: written in a transaction."""
    return not change.create and bool(
        change.owner_id
        or change.add_students
        or change.restore_students
        or change.remove_students
        or change.add_co_teachers
        or change.restore_co_teachers
        or change.remove_co_teachers
    )


def people_update(
    change: ClassChange, links: Mapping[str, str], now: dt.datetime, run_id: str
) -> Build:
    """What the transaction writes on the class as stored: the standing member updates, the name
    while it follows the SIS, and the class's ``teacher_ids`` after the write."""

    def build(stored: Data | None) -> Update | None:
        if stored is None:
            return None  # classes are never deleted; nothing to apply to
        fields = class_update(standing_members(change, stored), links, now, run_id)
        if change.sis_title is not None and _follows_sis(stored):
            fields["name"] = change.sis_title
        fields[TEACHER_IDS] = teacher_ids(with_update(stored, fields))
        return Update(fields)

    return build


def _list_created(store: DocumentStore, district_id: str, changes: list[ClassChange]) -> None:
    """The classes about to be created join their school's class listing first (class_index.py),
    so the listing holds every class created, even when the step stops in between."""
    created: dict[str, list[str]] = {}
    for change in changes:
        if change.create:
            created.setdefault(change.school_id, []).append(change.class_id)
    store.commit(
        [w for school, ids in created.items() for w in listing_writes(district_id, school, ids)]
    )


def apply_changes(
    store: DocumentStore,
    district_id: str,
    run_id: str,
    changes: Iterable[ClassChange],
    links: Mapping[str, str],
    now: dt.datetime,
) -> int:
    changes = list(changes)
    _list_created(store, district_id, changes)
    batched = [c for c in changes if not touches_people(c)]
    writes = []
    for change in batched:
        path = layout.class_doc(district_id, change.class_id)
        if change.create:
            writes.append(Write("set", path, new_class_document(change, links, now, run_id)))
        else:
            writes.append(Write("update", path, class_update(change, links, now, run_id)))
    written = store.commit(writes)
    # The class name follows the SIS title only while the teacher has not renamed it: a
    # conditional write per renamed class, so a rename racing with the sync is never lost.
    for change in batched:
        if change.sis_title is not None and not change.create:
            path = layout.class_doc(district_id, change.class_id)
            store.update_if(path, _follows_sis, {"name": change.sis_title})
    for change in changes:
        if touches_people(change):
            path = layout.class_doc(district_id, change.class_id)
            written += store.update_with(path, people_update(change, links, now, run_id))
    return written
