"""Who may see and change a class: the district's staff only (anyone else is told the class
does not exist, so nothing leaks across districts), and of those only the class's owner and
active co-teachers (another teacher of the district gets 403)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from shared.audit import action_write
from shared.classroom.teachers import TEACHER_IDS, teacher_ids
from shared.errors import Forbidden, NotFound
from shared.export.classes import is_teacher_of
from shared.identity import Caller
from shared.store import layout
from shared.store.ports import Data, DocumentStore, FieldName, Update, Write, updated


@dataclass(frozen=True)
class Actor:
    """A signed-in member of one district, with their staff document."""

    email: str
    district_id: str
    staff: Mapping[str, Any]


def district_actor(store: DocumentStore, district_id: str, caller: Caller) -> Actor:
    staff = store.get(layout.staff(district_id, caller.email))
    if staff is None:
        raise NotFound(
            f"no district {district_id!r} among yours; check the district id in the path"
        )
    return Actor(caller.email, district_id, staff)


def missing_class(actor: Actor, class_id: str) -> NotFound:
    return NotFound(
        f"class {class_id!r} does not exist in district {actor.district_id!r}; "
        "list your classes with GET /districts/{district_id}/classes"
    )


def require_teacher(actor: Actor, class_id: str, doc: Mapping[str, Any]) -> None:
    if not is_teacher_of(actor.staff, doc):
        raise Forbidden(
            f"class {class_id!r} is another teacher's class; only its owner and active "
            "co-teachers can see or change it"
        )


def visible_class(store: DocumentStore, actor: Actor, class_id: str) -> Data:
    doc = store.get(layout.class_doc(actor.district_id, class_id))
    if doc is None:
        raise missing_class(actor, class_id)
    require_teacher(actor, class_id, doc)
    return doc


Check = Callable[[Data], bool]
"""Given the stored class: True to write, False when it already is as asked (nothing to do);
raises a typed error when the change is impossible in the stored state."""


def change_class(
    store: DocumentStore,
    actor: Actor,
    class_id: str,
    check: Check,
    fields: Mapping[FieldName, Any],
    also: Callable[[], Sequence[Write]] = tuple,
) -> bool:
    """One transaction: the class is read, the caller's right and the state are checked, and the
    fields are written with ``teacher_ids`` recomputed and the ``also`` writes (built inside the
    transaction, after the check), so a sync writing the class at the same moment loses nothing
    and is not lost. False when nothing had to change."""

    def build(doc: Data | None) -> Update | None:
        if doc is None:
            raise missing_class(actor, class_id)
        require_teacher(actor, class_id, doc)
        if not check(doc):
            return None
        changed = dict(fields)  # after the check, which may complete the fields from ``doc``
        ids = teacher_ids(updated(doc, changed))
        if ids != doc.get(TEACHER_IDS):
            changed[TEACHER_IDS] = ids
        return Update(changed, tuple(also()))

    return store.update_with(layout.class_doc(actor.district_id, class_id), build)


def change_and_record(
    store: DocumentStore,
    actor: Actor,
    class_id: str,
    action: str,
    check: Check,
    fields: Mapping[FieldName, Any],
    details: Mapping[str, Any],
    at: dt.datetime,
) -> bool:
    """``change_class`` with the audit entry of the change in the same transaction: a change is
    never stored without its entry, nor an entry without its change."""

    def entry() -> tuple[Write]:
        target = f"classes/{class_id}"
        return (
            action_write(
                actor.district_id,
                actor=actor.email,
                action=action,
                target=target,
                at=at,
                details=details,
            ),
        )

    return change_class(store, actor, class_id, check, fields, entry)
