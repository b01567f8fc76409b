"""Coursework and mark documents read as the export's planning inputs, or why they cannot be.
Pure. A number no SIS can take (NaN, infinity, beyond float32; Firestore stores them all) is
refused by the model itself, so nothing after this reading ever sees one."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from shared.export.mapping import (
    Assignment,
    Held,
    InvalidNumber,
    Mark,
    max_points_refusal,
    score_refusal,
)

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def to_datetime(value: Any) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    if isinstance(value, str) and value:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
    return None


def max_points_of(value: Any) -> float:
    """A missing value is 0 (planning then asks for points above zero); a value that is no
    number at all is refused naming the field."""
    try:
        return float(value or 0)
    except (TypeError, ValueError, OverflowError):
        raise InvalidNumber(max_points_refusal(value)) from None


def score_of(value: Any) -> float | None:
    """A score is a number; anything else is no score (planning says whether one is needed)."""
    if not isinstance(value, int | float):
        return None
    try:
        return float(value)
    except OverflowError:  # an int beyond any float
        raise InvalidNumber(score_refusal(value)) from None


def assignment_from(doc_id: str, data: Mapping[str, Any]) -> Assignment | Held:
    assigned = to_datetime(data.get("assigned_at")) or to_datetime(data.get("created_at"))
    try:
        return Assignment(
            assignment_id=doc_id,
            title=str(data.get("title") or ""),
            description=data.get("description") or None,
            assigned_at=assigned or EPOCH,
            due_at=to_datetime(data.get("due_at")),
            max_points=max_points_of(data.get("max_points")),
            category=data.get("category") or None,
        )
    except InvalidNumber as exc:
        return Held(exc.reason)


def mark_from(data: Mapping[str, Any], today: dt.date) -> Mark | Held:
    marked = to_datetime(data.get("updated_at"))
    try:
        return Mark(
            student_id=str(data.get("sis_user_id") or ""),
            status=str(data.get("status") or "graded"),
            score=score_of(data.get("score")),
            comment=data.get("comment") or None,
            marked_on=marked.date() if marked else today,
        )
    except InvalidNumber as exc:
        return Held(exc.reason)
