"""The audit trail: who did what to what, when, in ``districts/{d}/audit/{id}``. One shape for
admin and teacher actions: ``actor`` (an email, or ``schedule``), ``action`` (e.g.
``connection.connect``, ``run.cancel``), ``target`` (what it acted on), ``at``, ``details``.
Ids start with the time, so document order is time order."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Any

from shared.store import layout
from shared.store.cursors import read_page
from shared.store.ports import DOC_ID, DocumentStore, Order, Write

NEWEST_FIRST = (Order("at", descending=True), Order(DOC_ID, descending=True))


def action_write(
    district_id: str,
    *,
    actor: str,
    action: str,
    target: str,
    at: dt.datetime,
    details: Mapping[str, Any] | None = None,
) -> Write:
    """The audit entry of one action, as a write to commit with the change it records. Each call
    makes a new id: build it inside the transaction (a retried transaction commits only its
    last attempt's writes, so one entry per change)."""
    entry_id = f"{at:%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:8]}"
    entry = {
        "actor": actor,
        "action": action,
        "target": target,
        "at": at,
        "details": dict(details or {}),
    }
    return Write("set", f"{layout.audit(district_id)}/{entry_id}", entry)


def record_action(
    store: DocumentStore,
    district_id: str,
    *,
    actor: str,
    action: str,
    target: str,
    at: dt.datetime,
    details: Mapping[str, Any] | None = None,
) -> str:
    """Records an action on its own (when nothing else is written with it)."""
    write = action_write(
        district_id, actor=actor, action=action, target=target, at=at, details=details
    )
    store.set(write.path, write.data)
    return write.path.rsplit("/", 1)[1]


def audit_page(
    store: DocumentStore, district_id: str, limit: int, cursor: str | None
) -> dict[str, Any]:
    """The district's audit trail, newest first, one page."""
    page = read_page(
        store, layout.audit(district_id), order=NEWEST_FIRST, limit=limit, cursor=cursor
    )
    entries = [{**doc.data, "id": doc.id, "at": doc.data["at"].isoformat()} for doc in page.docs]
    return {"entries": entries, "next_cursor": page.next_cursor}
