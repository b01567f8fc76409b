"""A teacher's answers to an offered class and the class's name: accept, decline, rename and
undo a rename. Sync never writes ``offer_state`` after creating the class, nor ``name`` once
``name_source`` is ``teacher`` (shared/sync/apply.py), so these survive every later sync."""

from __future__ import annotations

import datetime as dt
from typing import Any

from shared.classroom.access import Actor, change_and_record
from shared.classroom.views import class_state
from shared.errors import Conflict
from shared.store.ports import Data, DocumentStore, FieldName


def _archived(class_id: str, doing: str) -> Conflict:
    return Conflict(
        f"class {class_id!r} is archived (read-only: its section ended or left the SIS); "
        f"an archived class cannot be {doing}"
    )


def _offer_fields(state: str, actor: Actor, now: dt.datetime) -> dict[FieldName, Any]:
    return {"offer_state": state, "offer_changed_by": actor.email, "offer_changed_at": now}


def accept(store: DocumentStore, actor: Actor, class_id: str, now: dt.datetime) -> bool:
    """offered or declined → active. Accepting an active class changes nothing."""

    def check(doc: Data) -> bool:
        state = class_state(doc)
        if state == "archived":
            raise _archived(class_id, "accepted")
        return state != "active"

    fields = _offer_fields("accepted", actor, now)
    return change_and_record(
        store, actor, class_id, "class.accept", check, fields, {"offer_state": "accepted"}, now
    )


def decline(store: DocumentStore, actor: Actor, class_id: str, now: dt.datetime) -> bool:
    """offered → declined; declining a declined class changes nothing."""

    def check(doc: Data) -> bool:
        state = class_state(doc)
        if state == "archived":
            raise _archived(class_id, "declined")
        if state == "active":
            raise Conflict(
                f"class {class_id!r} is active (accepted or made by hand); only an offered "
                "class can be declined"
            )
        return state != "declined"

    fields = _offer_fields("declined", actor, now)
    return change_and_record(
        store, actor, class_id, "class.decline", check, fields, {"offer_state": "declined"}, now
    )


def rename(store: DocumentStore, actor: Actor, class_id: str, name: str, now: dt.datetime) -> bool:
    """The teacher's name wins from now on; the SIS title keeps updating in ``sis.title``."""

    def check(doc: Data) -> bool:
        if doc.get("archived"):
            raise _archived(class_id, "renamed")
        return not (doc.get("name") == name and doc.get("name_source") == "teacher")

    fields: dict[Any, Any] = {
        "name": name,
        "name_source": "teacher",
        "renamed_by": actor.email,
        "renamed_at": now,
    }
    return change_and_record(
        store, actor, class_id, "class.rename", check, fields, {"name": name}, now
    )


def undo_rename(store: DocumentStore, actor: Actor, class_id: str, now: dt.datetime) -> bool:
    """The name follows the SIS title again, at once: the title is read and written back as the
    name in the same transaction, so a sync changing the title meanwhile is not overwritten."""
    fields: dict[Any, Any] = {"name_source": "sis", "renamed_by": actor.email, "renamed_at": now}

    def check(doc: Data) -> bool:
        if doc.get("archived"):
            raise _archived(class_id, "renamed")
        if doc.get("origin") != "sis":
            raise Conflict(
                f"class {class_id!r} was made by hand; it has no SIS title to go back to"
            )
        if doc.get("name_source") != "teacher":
            raise Conflict(f"class {class_id!r} has no rename to undo; its name is the SIS title")
        fields["name"] = str(
            (doc.get("sis") or {}).get("title") or ""
        )  # written in this transaction
        return True

    return change_and_record(store, actor, class_id, "class.undo_rename", check, fields, {}, now)
