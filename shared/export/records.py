"""Coursework and mark documents read as the export's planning inputs. Pure."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from shared.export.mapping import Assignment, Mark

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def to_datetime(value: Any) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    if isinstance(value, str) and value:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
    return None


def assignment_from(doc_id: str, data: Mapping[str, Any]) -> Assignment:
    assigned = to_datetime(data.get("assigned_at")) or to_datetime(data.get("created_at"))
    return Assignment(
        assignment_id=doc_id,
        title=str(data.get("title") or ""),
        description=data.get("description") or None,
        assigned_at=assigned or EPOCH,
        due_at=to_datetime(data.get("due_at")),
        max_points=float(data.get("max_points") or 0),
        category=data.get("category") or None,
    )


def mark_from(data: Mapping[str, Any], today: dt.date) -> Mark:
    marked = to_datetime(data.get("updated_at"))
    score = data.get("score")
    return Mark(
        student_id=str(data.get("sis_user_id") or ""),
        status=str(data.get("status") or "graded"),
        score=float(score) if isinstance(score, int | float) else None,
        comment=data.get("comment") or None,
        marked_on=marked.date() if marked else today,
    )
