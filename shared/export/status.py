"""What a teacher sees of a class's export: per assignment and per mark, the state, the message
and the last attempt.

An export writes only what changed (shared/export/job.py), so a document the class's last
finished export went through without a change still holds the state it was last written with.
Such a document reads as that export saw it: a ``sent`` or ``unchanged`` one as ``unchanged`` and
a ``held`` one as ``held``, both with that export's time (the class's ``export.started_at``,
the time every record of that export carries). A mark is read so only when its assignment was
exported by it (``sent`` or ``unchanged``); a draft assignment is not exported and is shown as
stored."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from shared.export.classes import class_marks
from shared.store import layout
from shared.store.ports import Doc, DocumentStore

CHECKED = ("sent", "unchanged", "held")


def _iso(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def last_export(cls: Mapping[str, Any]) -> dt.datetime | None:
    """When the class's last finished export started (None before the first)."""
    started = (cls.get("export") or {}).get("started_at")
    return started if isinstance(started, dt.datetime) else None


def as_seen(export: Mapping[str, Any], run: dt.datetime | None) -> tuple[Any, Any]:
    """(state, last attempt) of a document as the export that started at ``run`` left it."""
    state, attempted = export.get("state"), export.get("last_attempt_at")
    if (
        run is not None
        and state in CHECKED
        and isinstance(attempted, dt.datetime)
        and attempted < run
    ):
        return ("held" if state == "held" else "unchanged"), run
    return state, attempted


def mark_states(marks: Iterable[Doc], run: dt.datetime | None = None) -> dict[str, dict[str, Any]]:
    states = {}
    for mark in marks:
        export = mark.data.get("export") or {}
        state, attempted = as_seen(export, run)
        states[mark.id] = {"state": state, "message": export.get("message")}
        if attempted:
            states[mark.id]["last_attempt_at"] = _iso(attempted)
    return states


def assignment_state(
    marks: Iterable[Doc], path: str, data: Mapping[str, Any], run: dt.datetime | None
) -> dict[str, Any]:
    published = data.get("state", "published") == "published"
    state, attempted = as_seen(data.get("export") or {}, run if published else None)
    exported = state in ("sent", "unchanged")
    return {
        "assignment_id": path.rsplit("/", 1)[-1],
        "title": data.get("title"),
        "state": state or "pending",
        "message": (data.get("export") or {}).get("message"),
        "last_attempt_at": _iso(attempted) if attempted else None,
        "marks": mark_states(marks, run if exported else None),
    }


def export_status(
    store: DocumentStore, district_id: str, class_id: str, cls: Mapping[str, Any]
) -> dict[str, Any]:
    run = last_export(cls)
    marks = class_marks(store, district_id, class_id)
    assignments = [
        assignment_state(marks.get(doc.path, []), doc.path, doc.data, run)
        for doc in store.query(layout.coursework(district_id, class_id))
    ]
    summary = {k: _iso(v) for k, v in (cls.get("export") or {}).items()}
    return {"class_id": class_id, "export": summary, "assignments": assignments}
