"""From the app's assignments and marks to OneRoster writes, with every refusal explained.
Pure: no I/O, no clock (``now`` is an argument)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from shared.oneroster.gradebook import (
    LineItemWrite,
    ResultWrite,
    deterministic_id,
    line_item_body,
    result_body,
)
from shared.oneroster.vendors import VendorPreset

# The largest float32: OneRoster 1.2's schema types points and scores as ``float``, so a validating
# SIS refuses anything beyond it (and JSON has no NaN or infinity at all).
FLOAT_MAX = 3.4028235e38

MARK_STATUSES = {
    "graded": "fully graded",
    "exempt": "exempt",
    "missing": "not submitted",
    "not_submitted": "not submitted",
    "submitted": "submitted",
}


class InvalidNumber(ValueError):
    """A number no SIS can take, refused by the model that would hold it; ``reason`` names the
    field and the fix in the teacher's words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def carried(value: float) -> bool:
    """A finite number within what OneRoster carries (float32)."""
    return math.isfinite(value) and abs(value) <= FLOAT_MAX


def is_whole_number(value: float) -> bool:
    """False for fractions, NaN and infinity alike (``int()`` would raise on the last two)."""
    return float(value).is_integer()


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "…"


def max_points_refusal(value: object) -> str:
    return (
        f"The maximum points (max_points: {_shown(value)}) are not a number the SIS can take; "
        f"enter finite maximum points above 0 and at most {FLOAT_MAX!r}."
    )


def score_refusal(value: object) -> str:
    return (
        f"The score ({_shown(value)}) is not a number the SIS can take; enter a finite score "
        f"between 0 and {FLOAT_MAX!r}."
    )


@dataclass(frozen=True, slots=True)
class Assignment:
    """An assignment as export plans it; refuses (InvalidNumber) points no SIS can take."""

    assignment_id: str
    title: str
    description: str | None
    assigned_at: dt.datetime
    due_at: dt.datetime | None
    max_points: float
    category: str | None

    def __post_init__(self) -> None:
        if not carried(self.max_points):
            raise InvalidNumber(max_points_refusal(self.max_points))


@dataclass(frozen=True, slots=True)
class Mark:
    """A student's mark as export plans it; refuses (InvalidNumber) a score no SIS can take."""

    student_id: str  # the student's SIS sourcedId; empty for a student the SIS does not know
    status: str  # graded | exempt | missing | not_submitted | submitted
    score: float | None
    comment: str | None
    marked_on: dt.date

    def __post_init__(self) -> None:
        if self.score is not None and not carried(self.score):
            raise InvalidNumber(score_refusal(self.score))


@dataclass(frozen=True, slots=True)
class Category:
    sourced_id: str
    title: str


@dataclass(frozen=True, slots=True)
class Period:
    sourced_id: str
    title: str
    term_id: str
    start: dt.date | None
    end: dt.date | None


@dataclass(frozen=True, slots=True)
class ExportContext:
    district_id: str
    section_id: str
    school_id: str
    version: str
    preset: VendorPreset
    categories: tuple[Category, ...]
    default_category: str | None  # title or sourcedId of the district's default category
    periods: tuple[Period, ...]
    terms: Mapping[str, tuple[dt.date | None, dt.date | None]]  # term id -> (start, end)


@dataclass(frozen=True, slots=True)
class Held:
    reason: str


def content_hash(body: Mapping[str, Any]) -> str:
    """Hash of a write body without its dateLastModified: equal hashes mean nothing to send."""
    inner = dict(next(iter(body.values())))
    inner.pop("dateLastModified", None)
    text = json.dumps(inner, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def line_item_id(ctx: ExportContext, assignment_id: str) -> str:
    return deterministic_id(ctx.district_id, ctx.section_id, assignment_id)


def result_id(ctx: ExportContext, assignment_id: str, student_id: str) -> str:
    return deterministic_id(ctx.district_id, ctx.section_id, assignment_id, student_id)


def choose_category(ctx: ExportContext, wanted: str | None) -> Category | Held:
    by_title = {c.title.strip().lower(): c for c in ctx.categories}
    if wanted and wanted.strip().lower() in by_title:
        return by_title[wanted.strip().lower()]
    default = (ctx.default_category or "").strip().lower()
    for category in ctx.categories:
        if default and default in (category.title.strip().lower(), category.sourced_id.lower()):
            return category
    known = ", ".join(sorted(c.title for c in ctx.categories)) or "none"
    asked = f"category {wanted!r}" if wanted else "no category"
    return Held(
        f"The assignment has {asked}, which the SIS does not have, and the district has no "
        f"default category the SIS knows. SIS categories: {known}. Pick one of them, or ask "
        "the district admin to set a default category."
    )


def choose_period(ctx: ExportContext, due: dt.date) -> Period | Held:
    for period in ctx.periods:
        if period.start and period.end and period.start <= due <= period.end:
            return period
    listed = "; ".join(
        f"{p.title} {p.start}–{p.end}" for p in sorted(ctx.periods, key=lambda p: str(p.start))
    )
    return Held(
        f"The due date {due.isoformat()} is in none of the class's grading periods "
        f"({listed or 'the SIS lists none'}). Change the due date to fall inside one."
    )


def _validated_due_at(preset: VendorPreset, assignment: Assignment) -> dt.datetime | Held:
    """The assignment's due time once its title, due date and points are ones the SIS takes;
    otherwise why not."""
    if not assignment.title.strip():
        return Held("The assignment has no title; give it one.")
    if preset.title_max_length and len(assignment.title) > preset.title_max_length:
        return Held(
            f"{preset.label} accepts titles of at most {preset.title_max_length} characters; "
            f"this one has {len(assignment.title)}. Shorten the title."
        )
    if assignment.due_at is None:
        return Held("The assignment has no due date; the SIS needs one to pick a grading period.")
    if assignment.max_points <= 0:
        return Held("The assignment has no maximum points; set them above zero.")
    if preset.whole_number_scores and not is_whole_number(assignment.max_points):
        return Held(
            f"{preset.label} accepts whole-number points only; make the maximum points a "
            "whole number."
        )
    return assignment.due_at


def _outside_term(ctx: ExportContext, period: Period, due: dt.date) -> Held | None:
    """For a vendor that needs the due date inside the term: why it is not, if it is not."""
    preset = ctx.preset
    if not preset.due_date_within_term:
        return None
    start, end = ctx.terms.get(period.term_id, (None, None))
    if (start and due < start) or (end and due > end):
        return Held(
            f"{preset.label} needs the due date inside the term ({start}–{end}); "
            f"{due.isoformat()} is not."
        )
    return None


def _line_item_write(
    ctx: ExportContext,
    assignment: Assignment,
    due_at: dt.datetime,
    category: Category,
    period: Period,
) -> LineItemWrite:
    return LineItemWrite(
        sourced_id=line_item_id(ctx, assignment.assignment_id),
        title=assignment.title,
        description=assignment.description,
        assign_date=min(assignment.assigned_at, due_at),
        due_date=due_at,
        class_id=ctx.section_id,
        school_id=ctx.school_id,
        category_id=category.sourced_id,
        grading_period_id=period.sourced_id,
        result_value_min=0.0,
        result_value_max=float(assignment.max_points),
    )


def plan_line_item(
    ctx: ExportContext, assignment: Assignment
) -> tuple[LineItemWrite, Period] | Held:
    due_at = _validated_due_at(ctx.preset, assignment)
    if isinstance(due_at, Held):
        return due_at
    due = due_at.astimezone(dt.UTC).date()
    category = choose_category(ctx, assignment.category)
    if isinstance(category, Held):
        return category
    period = choose_period(ctx, due)
    if isinstance(period, Held):
        return period
    outside_term = _outside_term(ctx, period, due)
    if outside_term is not None:
        return outside_term
    return _line_item_write(ctx, assignment, due_at, category, period), period


def plan_result(
    ctx: ExportContext, assignment: Assignment, line_item: LineItemWrite, mark: Mark
) -> ResultWrite | Held:
    if not mark.student_id:
        return Held("This student is not in the SIS section, so the SIS cannot take the mark.")
    status = MARK_STATUSES.get(mark.status)
    if status is None:
        return Held(f"Unknown mark status {mark.status!r}; use one of {sorted(MARK_STATUSES)}.")
    score = mark.score
    if status == "fully graded" and score is None:
        return Held("The mark has no score; enter one or mark it exempt or missing.")
    if score is not None and score < 0:
        return Held("Negative scores cannot be sent; correct the score.")
    if score is not None and ctx.preset.whole_number_scores and not is_whole_number(score):
        return Held(
            f"{ctx.preset.label} accepts whole-number scores only; {score} is not. Round it."
        )
    return ResultWrite(
        sourced_id=result_id(ctx, assignment.assignment_id, mark.student_id),
        line_item_id=line_item.sourced_id,
        student_id=mark.student_id,
        class_id=ctx.section_id,
        score_status=status,
        score=score if status != "exempt" else None,
        score_date=mark.marked_on,
        comment=mark.comment,
    )


def bodies(
    ctx: ExportContext, href_for: Callable[[str, str], str], now: dt.datetime
) -> tuple[Callable[[LineItemWrite], dict[str, Any]], Callable[[ResultWrite], dict[str, Any]]]:
    def li(item: LineItemWrite) -> dict[str, Any]:
        return line_item_body(item, version=ctx.version, href_for=href_for, now=now)

    def res(result: ResultWrite) -> dict[str, Any]:
        return result_body(result, version=ctx.version, href_for=href_for, now=now)

    return li, res
