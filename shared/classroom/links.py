"""Unlinking a hand-made class from the SIS section a teacher linked it to (linking is in
shared/export/teacher_actions.py). The class keeps its marks and their export states."""

from __future__ import annotations

import datetime as dt
from typing import Any

from shared.classroom.access import Actor, change_and_record
from shared.errors import Conflict
from shared.store.ports import DELETE_FIELD, Data, DocumentStore, FieldName


def unlink(store: DocumentStore, actor: Actor, class_id: str, now: dt.datetime) -> bool:
    section: dict[str, Any] = {}

    def check(doc: Data) -> bool:
        if doc.get("origin") == "sis":
            raise Conflict(
                f"class {class_id!r} is a synced class; it stays linked to its own section"
            )
        link = doc.get("link") or {}
        section["section_id"] = link.get("section_id")
        return bool(link)

    fields: dict[FieldName, Any] = {
        "link": DELETE_FIELD,
        "unlinked_by": actor.email,
        "unlinked_at": now,
    }
    return change_and_record(store, actor, class_id, "class.unlink", check, fields, section, now)
