"""Numbers an export can carry: the assignment and mark models refuse NaN, infinity and anything
beyond OneRoster's float32 range, and reading Firestore documents turns that refusal into a held
assignment or mark whose message names the field and the fix (pure)."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import replace
from typing import Any

import pytest

from shared.export.mapping import (
    FLOAT_MAX,
    Assignment,
    Held,
    InvalidNumber,
    Mark,
    is_whole_number,
    plan_line_item,
    plan_result,
)
from shared.export.records import assignment_from, mark_from
from tests.unit.export_mapping_builders import assignment, context, held, line_item, mark

TODAY = dt.date(2026, 9, 25)
NOT_CARRIED = [math.nan, math.inf, -math.inf, 3.5e38, -1e39]
POINTS_FIX = "enter finite maximum points above 0 and at most 3.4028235e+38."
SCORE_FIX = "enter a finite score between 0 and 3.4028235e+38."


def coursework(**fields: Any) -> dict[str, Any]:
    return {
        "title": "Persuasive essay",
        "due_at": dt.datetime(2026, 9, 21, 22, 0, tzinfo=dt.UTC),
        "max_points": 20,
        "category": "Homework",
        **fields,
    }


def mark_doc(**fields: Any) -> dict[str, Any]:
    return {"sis_user_id": "student-1", "status": "graded", "score": 17, **fields}


def test_the_limit_is_the_largest_float32_the_oneroster_12_schema_allows() -> None:
    assert FLOAT_MAX == 3.4028235e38


@pytest.mark.parametrize("points", NOT_CARRIED)
def test_an_assignment_refuses_maximum_points_no_sis_can_take(points: float) -> None:
    with pytest.raises(InvalidNumber) as refused:
        assignment(max_points=points)
    assert refused.value.reason == (
        f"The maximum points (max_points: {points!r}) are not a number the SIS can take; "
        + POINTS_FIX
    )


@pytest.mark.parametrize("score", NOT_CARRIED)
def test_a_mark_refuses_a_score_no_sis_can_take(score: float) -> None:
    with pytest.raises(InvalidNumber) as refused:
        mark(score=score)
    assert refused.value.reason == (
        f"The score ({score!r}) is not a number the SIS can take; " + SCORE_FIX
    )


@pytest.mark.parametrize("value", [FLOAT_MAX, -FLOAT_MAX, 0.0, 1e-300])
def test_numbers_up_to_the_float32_limit_are_carried(value: float) -> None:
    assert assignment(max_points=value).max_points == value
    assert mark(score=value).score == value


@pytest.mark.parametrize("points", [math.nan, math.inf, 1e39, "1e39", "inf"])
def test_a_coursework_document_with_points_no_sis_can_take_is_held_naming_max_points(
    points: Any,
) -> None:
    outcome = assignment_from("essay-1", coursework(max_points=points))
    assert isinstance(outcome, Held)
    assert "max_points" in outcome.reason and outcome.reason.endswith(POINTS_FIX)


@pytest.mark.parametrize("points", ["ten", {"value": 10}, [10]])
def test_a_coursework_document_whose_points_are_not_a_number_is_held_naming_max_points(
    points: Any,
) -> None:
    outcome = assignment_from("essay-1", coursework(max_points=points))
    assert isinstance(outcome, Held)
    assert f"(max_points: {points!r})" in outcome.reason and outcome.reason.endswith(POINTS_FIX)


def test_a_coursework_document_with_ordinary_points_is_read_as_an_assignment() -> None:
    outcome = assignment_from("essay-1", coursework(max_points=20))
    assert isinstance(outcome, Assignment) and outcome.max_points == 20.0


@pytest.mark.parametrize("score", [math.nan, math.inf, -math.inf, 1e39])
def test_a_mark_document_with_a_score_no_sis_can_take_is_held_naming_the_score(
    score: float,
) -> None:
    outcome = mark_from(mark_doc(score=score), TODAY)
    assert isinstance(outcome, Held)
    assert outcome.reason == f"The score ({score!r}) is not a number the SIS can take; " + SCORE_FIX


def test_a_mark_document_with_an_integer_beyond_any_float_is_held_with_a_short_message() -> None:
    outcome = mark_from(mark_doc(score=10**400), TODAY)
    assert isinstance(outcome, Held)
    assert outcome.reason.startswith("The score (1000") and outcome.reason.endswith(SCORE_FIX)
    assert len(outcome.reason) < 160


def test_a_mark_document_with_an_ordinary_score_is_read_as_a_mark() -> None:
    outcome = mark_from(mark_doc(score=17), TODAY)
    assert isinstance(outcome, Mark) and outcome.score == 17.0


@pytest.mark.parametrize(
    ("value", "whole"),
    [(3.0, True), (0.0, True), (3.5, False), (math.nan, False), (math.inf, False)],
)
def test_the_whole_number_rule_answers_for_any_float_without_raising(
    value: float, whole: bool
) -> None:
    assert is_whole_number(value) is whole


def test_skyward_still_holds_fractional_points_and_scores() -> None:
    ctx = context("skyward-sms")
    assert "whole-number points" in held(plan_line_item(ctx, assignment(max_points=12.5)))
    result = plan_result(ctx, assignment(), line_item(ctx), mark(score=17.5))
    assert "whole-number scores" in held(result)


def test_replacing_a_field_of_a_valid_mark_with_nan_is_refused_too() -> None:
    with pytest.raises(InvalidNumber):
        replace(mark(), score=math.nan)
