"""What a teacher sees of a class's export: per assignment and per mark, the state, the message
and the last attempt."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shared.store import layout
from shared.store.ports import DocumentStore


def _iso(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def mark_states(store: DocumentStore, marks_path: str) -> dict[str, dict[str, Any]]:
    marks = {}
    for mark in store.query(marks_path):
        export = mark.data.get("export") or {}
        marks[mark.id] = {k: export.get(k) for k in ("state", "message")}
        if export.get("last_attempt_at"):
            marks[mark.id]["last_attempt_at"] = _iso(export["last_attempt_at"])
    return marks


def assignment_state(doc_id: str, data: Mapping[str, Any], marks: dict[str, Any]) -> dict[str, Any]:
    export = data.get("export") or {}
    return {
        "assignment_id": doc_id,
        "title": data.get("title"),
        "state": export.get("state", "pending"),
        "message": export.get("message"),
        "last_attempt_at": _iso(export["last_attempt_at"])
        if export.get("last_attempt_at")
        else None,
        "marks": marks,
    }


def export_status(
    store: DocumentStore, district_id: str, class_id: str, cls: Mapping[str, Any]
) -> dict[str, Any]:
    assignments = [
        assignment_state(doc.id, doc.data, mark_states(store, f"{doc.path}/marks"))
        for doc in store.query(layout.coursework(district_id, class_id))
    ]
    summary = {k: _iso(v) for k, v in (cls.get("export") or {}).items()}
    return {"class_id": class_id, "export": summary, "assignments": assignments}
