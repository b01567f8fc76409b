"""Export mapping of marks: a mark planned as a OneRoster result of its lineItem — score
status, score and vendor limits — and every reason one is held, in the words the teacher reads
(pure)."""

from __future__ import annotations

import datetime as dt

import pytest

from shared.export.mapping import plan_result, result_id
from tests.unit.export_mapping_builders import (
    assignment,
    context,
    held,
    line_item,
    mark,
    result,
)

# ---- planning a result --------------------------------------------------------------------------


def test_a_graded_mark_becomes_a_fully_graded_result_for_the_line_item() -> None:
    ctx = context()
    sent = result(ctx, mark())
    assert sent.line_item_id == line_item(ctx).sourced_id
    assert (sent.student_id, sent.class_id) == ("student-1", "section-1")
    assert (sent.score_status, sent.score) == ("fully graded", 17.0)
    assert (sent.score_date, sent.comment) == (dt.date(2026, 9, 23), "Strong thesis")


def test_the_result_sourced_id_is_the_same_on_every_export() -> None:
    first = result(context(), mark())
    again = result(context(), mark(score=19.0))
    assert first.sourced_id == again.sourced_id == result_id(context(), "essay-1", "student-1")


def test_results_of_different_students_get_different_sourced_ids() -> None:
    assert result(context(), mark()).sourced_id != (
        result(context(), mark(student_id="student-2")).sourced_id
    )


@pytest.mark.parametrize(
    ("status", "score_status"),
    [
        ("exempt", "exempt"),
        ("missing", "not submitted"),
        ("not_submitted", "not submitted"),
        ("submitted", "submitted"),
    ],
)
def test_each_mark_status_maps_to_its_oneroster_score_status(
    status: str, score_status: str
) -> None:
    assert result(context(), mark(status=status, score=None)).score_status == score_status


def test_an_exempt_mark_is_sent_without_its_score() -> None:
    assert result(context(), mark(status="exempt", score=17.0)).score is None


def test_a_zero_score_is_sent_as_a_score() -> None:
    assert result(context(), mark(score=0.0)).score == 0.0


def test_a_score_above_the_maximum_points_is_sent_as_extra_credit() -> None:
    assert result(context(), mark(score=23.0)).score == 23.0


def test_a_fractional_score_is_accepted_for_a_vendor_that_takes_them() -> None:
    assert result(context("infinite-campus"), mark(score=17.5)).score == 17.5


def test_a_whole_number_score_is_accepted_for_skyward() -> None:
    assert result(context("skyward-sms"), mark(score=17.0)).score == 17.0


# ---- results held, with the reason ---------------------------------------------------------------


def test_a_mark_of_a_student_the_sis_does_not_know_is_held() -> None:
    ctx = context()
    reason = held(plan_result(ctx, assignment(), line_item(ctx), mark(student_id="")))
    assert reason == "This student is not in the SIS section, so the SIS cannot take the mark."


def test_an_unknown_mark_status_is_held_with_the_statuses_to_use() -> None:
    ctx = context()
    reason = held(plan_result(ctx, assignment(), line_item(ctx), mark(status="late")))
    assert reason == (
        "Unknown mark status 'late'; use one of "
        "['exempt', 'graded', 'missing', 'not_submitted', 'submitted']."
    )


def test_a_graded_mark_without_a_score_is_held() -> None:
    ctx = context()
    reason = held(plan_result(ctx, assignment(), line_item(ctx), mark(score=None)))
    assert reason == "The mark has no score; enter one or mark it exempt or missing."


def test_a_negative_score_is_held() -> None:
    ctx = context()
    reason = held(plan_result(ctx, assignment(), line_item(ctx), mark(score=-1.0)))
    assert reason == "Negative scores cannot be sent; correct the score."


def test_a_fractional_score_is_held_for_skyward() -> None:
    ctx = context("skyward-sms")
    reason = held(plan_result(ctx, assignment(), line_item(ctx), mark(score=17.5)))
    assert reason == "Skyward SMS 2.0 accepts whole-number scores only; 17.5 is not. Round it."
