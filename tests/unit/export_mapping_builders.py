"""Builders for the export mapping tests: a district's export context (categories, grading
periods, term and vendor preset), an assignment and a mark to change one field of, and the planned
lineItem, result or held reason they come to."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from shared.export.mapping import (
    Assignment,
    Category,
    ExportContext,
    Held,
    Mark,
    Period,
    plan_line_item,
    plan_result,
)
from shared.oneroster.gradebook import LineItemWrite, ResultWrite
from shared.oneroster.vendors import preset

UTC = dt.UTC
HOMEWORK = Category("cat-hw", "Homework")
TESTS = Category("cat-tests", "Tests")
Q1 = Period("gp-q1", "Q1", "term-fall", dt.date(2026, 8, 24), dt.date(2026, 10, 23))
Q2 = Period("gp-q2", "Q2", "term-fall", dt.date(2026, 10, 26), dt.date(2026, 12, 18))
FALL = {"term-fall": (dt.date(2026, 8, 24), dt.date(2026, 12, 18))}
NOW = dt.datetime(2026, 9, 25, 8, 30, tzinfo=UTC)


def context(vendor: str = "generic", **changes: Any) -> ExportContext:
    chosen = preset(vendor)
    base = ExportContext(
        district_id="district-1",
        section_id="section-1",
        school_id="school-1",
        version=chosen.version,
        preset=chosen,
        categories=(HOMEWORK, TESTS),
        default_category=None,
        periods=(Q1, Q2),
        terms=FALL,
    )
    return replace(base, **changes)


def assignment(**changes: Any) -> Assignment:
    base = Assignment(
        assignment_id="essay-1",
        title="Persuasive essay",
        description="Five paragraphs",
        assigned_at=dt.datetime(2026, 9, 14, 13, 0, tzinfo=UTC),
        due_at=dt.datetime(2026, 9, 21, 22, 0, tzinfo=UTC),
        max_points=20.0,
        category="Homework",
    )
    return replace(base, **changes)


def mark(**changes: Any) -> Mark:
    base = Mark(
        student_id="student-1",
        status="graded",
        score=17.0,
        comment="Strong thesis",
        marked_on=dt.date(2026, 9, 23),
    )
    return replace(base, **changes)


def planned(ctx: ExportContext, item: Assignment | None = None) -> tuple[LineItemWrite, Period]:
    outcome = plan_line_item(ctx, item or assignment())
    assert not isinstance(outcome, Held), outcome.reason
    return outcome


def line_item(ctx: ExportContext, item: Assignment | None = None) -> LineItemWrite:
    return planned(ctx, item)[0]


def result(ctx: ExportContext, the_mark: Mark) -> ResultWrite:
    outcome = plan_result(ctx, assignment(), line_item(ctx), the_mark)
    assert not isinstance(outcome, Held), outcome.reason
    return outcome


def held(outcome: object) -> str:
    assert isinstance(outcome, Held), f"expected a Held, got {outcome!r}"
    return outcome.reason
