"""A teacher's own roster changes: add or remove a student or a co-teacher by hand, and undo
such a change. What the sync's planner reads (shared/sync/roster_docs.py, planner.py
``member_moves``): a member with ``source: manual`` is never removed by the sync, one with
``status: removed, removed_by: teacher`` is never re-added, and one with ``removed_by: sis`` is
restored when the SIS sends them again. Each change writes one member's fields by field path, in
one transaction with the check (and, for co-teachers, the class's ``teacher_ids``), so a sync
writing the class at the same moment loses nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, Literal

from shared.classroom.access import Actor, change_and_record
from shared.errors import Conflict, NotFound
from shared.ids import safe_id
from shared.store import layout
from shared.store.ports import Data, DocumentStore, FieldName

Group = Literal["students", "co_teachers"]
NOUN: dict[str, str] = {"students": "student", "co_teachers": "co-teacher"}


def _entry(doc: Data, group: Group, user_id: str) -> Mapping[str, Any] | None:
    entry = (doc.get(group) or {}).get(safe_id(user_id))
    return entry if isinstance(entry, Mapping) else None


def _writable(doc: Data, class_id: str) -> None:
    if doc.get("archived"):
        raise Conflict(
            f"class {class_id!r} is archived (read-only); its members cannot change any more"
        )


def _stamp(group: Group, user_id: str, actor: Actor, now: dt.datetime) -> dict[FieldName, Any]:
    key = safe_id(user_id)
    return {(group, key, "changed_by"): actor.email, (group, key, "changed_at"): now}


def account_of(store: DocumentStore, district_id: str, user_id: str) -> str | None:
    link = store.get(layout.account_link(district_id, user_id)) or {}
    account = link.get("account_id")
    return str(account) if account else None


def add_member(
    store: DocumentStore, actor: Actor, class_id: str, group: Group, user_id: str, now: dt.datetime
) -> bool:
    """Adds (or brings back) a member by hand: active, ``source: manual``."""
    noun = NOUN[group]

    def check(doc: Data) -> bool:
        _writable(doc, class_id)
        if group == "co_teachers" and (doc.get("owner") or {}).get("sis_user_id") == user_id:
            raise Conflict(f"{user_id!r} owns class {class_id!r}; an owner is not a co-teacher")
        entry = _entry(doc, group, user_id)
        if entry is None or entry.get("status") != "active":
            return True
        if entry.get("source") == "manual":
            return False
        raise Conflict(
            f"{noun} {user_id!r} is already in class {class_id!r} from the SIS; nothing to add"
        )

    entry = {
        "sis_user_id": user_id,
        "account_id": account_of(store, actor.district_id, user_id),
        "status": "active",
        "source": "manual",
        "removed_by": None,
        "changed_by": actor.email,
        "changed_at": now,
    }
    fields: dict[FieldName, Any] = {(group, safe_id(user_id)): entry}
    action = f"class.{noun}.add"
    return change_and_record(
        store, actor, class_id, action, check, fields, {"sis_user_id": user_id}, now
    )


def remove_member(
    store: DocumentStore, actor: Actor, class_id: str, group: Group, user_id: str, now: dt.datetime
) -> bool:
    """Removes a member by hand: ``status: removed, removed_by: teacher``; work and marks stay.
    Removing one the SIS removed keeps them out even when the SIS sends them again."""
    noun = NOUN[group]

    def check(doc: Data) -> bool:
        _writable(doc, class_id)
        entry = _entry(doc, group, user_id)
        if entry is None:
            raise NotFound(f"class {class_id!r} has no {noun} {user_id!r}")
        return not (entry.get("status") == "removed" and entry.get("removed_by") == "teacher")

    key = safe_id(user_id)
    fields: dict[FieldName, Any] = {
        (group, key, "status"): "removed",
        (group, key, "removed_by"): "teacher",
        (group, key, "removed_at"): now,
        **_stamp(group, user_id, actor, now),
    }
    action = f"class.{noun}.remove"
    return change_and_record(
        store, actor, class_id, action, check, fields, {"sis_user_id": user_id}, now
    )


def undo_member_change(
    store: DocumentStore, actor: Actor, class_id: str, group: Group, user_id: str, now: dt.datetime
) -> bool:
    """The member goes back to what the SIS says at the next sync: a hand-added member becomes
    the sync's to keep or remove, a hand-removed one the sync's to restore."""
    noun = NOUN[group]
    key = safe_id(user_id)
    fields: dict[FieldName, Any] = {
        (group, key, "source"): "sis",
        **_stamp(group, user_id, actor, now),
    }

    def check(doc: Data) -> bool:
        _writable(doc, class_id)
        fields.pop((group, key, "removed_by"), None)  # from an earlier, retried attempt
        entry = _entry(doc, group, user_id)
        if entry is None:
            raise NotFound(f"class {class_id!r} has no {noun} {user_id!r}")
        if entry.get("status") == "removed" and entry.get("removed_by") == "teacher":
            fields[(group, key, "removed_by")] = "sis"  # written in this transaction
            return True
        if entry.get("status") == "active" and entry.get("source") == "manual":
            return True
        raise Conflict(
            f"{noun} {user_id!r} of class {class_id!r} has no hand change to undo; "
            "it already follows the SIS"
        )

    action = f"class.{noun}.undo"
    return change_and_record(
        store, actor, class_id, action, check, fields, {"sis_user_id": user_id}, now
    )
