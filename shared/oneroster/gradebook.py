"""Gradebook write bodies for OneRoster 1.1 and 1.2 (PUT /lineItems/{id}, /results/{id} and
/categories/{id} of the OneRoster 1.2 Gradebook Service REST/JSON Binding, and of the gradebook
service in the OneRoster 1.1 Final Specification), and deterministic sourcedIds. Pure: no I/O.
1.2 bodies are the full form the official OneRoster 1.2 gradebook OpenAPI schema requires."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

SCORE_STATUSES = ("exempt", "fully graded", "not submitted", "partially graded", "submitted")
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://rostersync.app/oneroster/sourcedId")
HrefFor = Callable[[str, str], str]


@dataclass(frozen=True, slots=True)
class LineItemWrite:
    sourced_id: str
    title: str
    description: str | None
    assign_date: dt.datetime
    due_date: dt.datetime
    class_id: str
    school_id: str
    category_id: str
    grading_period_id: str | None
    result_value_min: float
    result_value_max: float


@dataclass(frozen=True, slots=True)
class ResultWrite:
    sourced_id: str
    line_item_id: str
    student_id: str
    class_id: str | None
    score_status: str
    score: float | None
    score_date: dt.date
    comment: str | None = None


@dataclass(frozen=True, slots=True)
class CategoryWrite:
    sourced_id: str
    title: str
    weight: float | None = None


def deterministic_id(*parts: str) -> str:
    """A UUIDv5 from its parts: the same assignment or mark always gets the same sourcedId."""
    if not parts or any(not isinstance(p, str) or not p for p in parts):
        raise ValueError("every part of a deterministic id must be a non-empty string")
    return str(uuid.uuid5(NAMESPACE, "\x1f".join(parts)))


def normalize_score_status(value: str) -> str:
    """``fullyGraded``, ``FULLY_GRADED`` or ``fully-graded`` → ``fully graded``."""
    spaced = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", value.strip())
    normalized = re.sub(r"[\s_\-]+", " ", spaced).lower()
    if normalized not in SCORE_STATUSES:
        raise ValueError(f"scoreStatus {value!r} is not one of {list(SCORE_STATUSES)}")
    return normalized


def timestamp(moment: dt.datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("gradebook times must be timezone-aware")
    moment = moment.astimezone(dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _ref(href_for: HrefFor, ref_type: str, sourced_id: str) -> dict[str, str]:
    return {"href": href_for(ref_type, sourced_id), "sourcedId": sourced_id, "type": ref_type}


def line_item_body(
    item: LineItemWrite, *, version: str, href_for: HrefFor, now: dt.datetime
) -> dict[str, Any]:
    if version == "1.1" and not item.grading_period_id:
        raise ValueError("OneRoster 1.1 requires a gradingPeriod on every lineItem")
    body: dict[str, Any] = {
        "sourcedId": item.sourced_id,
        "status": "active",
        "dateLastModified": timestamp(now),
        "title": item.title,
    }
    if item.description:
        body["description"] = item.description
    body["assignDate"] = timestamp(item.assign_date)
    body["dueDate"] = timestamp(item.due_date)
    body["class"] = _ref(href_for, "class", item.class_id)
    if version == "1.2":
        body["school"] = _ref(href_for, "org", item.school_id)
    body["category"] = _ref(href_for, "category", item.category_id)
    if item.grading_period_id:
        body["gradingPeriod"] = _ref(href_for, "academicSession", item.grading_period_id)
    body["resultValueMin"] = float(item.result_value_min)
    body["resultValueMax"] = float(item.result_value_max)
    return {"lineItem": body}


def result_body(
    result: ResultWrite, *, version: str, href_for: HrefFor, now: dt.datetime
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "sourcedId": result.sourced_id,
        "status": "active",
        "dateLastModified": timestamp(now),
        "lineItem": _ref(href_for, "lineItem", result.line_item_id),
        "student": _ref(href_for, "user", result.student_id),
    }
    if version == "1.2" and result.class_id:
        body["class"] = _ref(href_for, "class", result.class_id)
    body["scoreStatus"] = normalize_score_status(result.score_status)
    if result.score is not None:
        body["score"] = float(result.score)
    elif version == "1.1":
        body["score"] = 0.0  # 1.1 requires a score; the status says it is not a mark
    body["scoreDate"] = result.score_date.isoformat()
    if result.comment:
        body["comment"] = result.comment
    return {"result": body}


def category_body(category: CategoryWrite, *, version: str, now: dt.datetime) -> dict[str, Any]:
    body: dict[str, Any] = {
        "sourcedId": category.sourced_id,
        "status": "active",
        "dateLastModified": timestamp(now),
        "title": category.title,
    }
    if category.weight is not None:
        body["weight"] = float(category.weight)
    return {"category": body}
