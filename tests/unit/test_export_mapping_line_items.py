"""Export mapping of assignments: an assignment planned as a OneRoster lineItem — its section,
category, grading period and the vendor's limits — and every reason one is held, in the words the
teacher reads (pure)."""

from __future__ import annotations

import datetime as dt

import pytest

from shared.export.mapping import Held, Period, line_item_id, plan_line_item
from tests.unit.export_mapping_builders import (
    Q1,
    Q2,
    UTC,
    assignment,
    context,
    held,
    line_item,
    planned,
)

# ---- planning a lineItem ----------------------------------------------------------------------


def test_an_assignment_becomes_a_line_item_of_the_linked_section() -> None:
    item = line_item(context())
    assert (item.class_id, item.school_id) == ("section-1", "school-1")
    assert (item.title, item.description) == ("Persuasive essay", "Five paragraphs")
    assert item.due_date == dt.datetime(2026, 9, 21, 22, 0, tzinfo=UTC)
    assert (item.result_value_min, item.result_value_max) == (0.0, 20.0)


def test_the_line_item_carries_the_category_and_grading_period_it_was_matched_to() -> None:
    item, period = planned(context())
    assert item.category_id == "cat-hw"
    assert item.grading_period_id == "gp-q1"
    assert period == Q1


def test_the_line_item_sourced_id_is_the_same_on_every_export() -> None:
    first = line_item(context())
    again = line_item(context(), assignment(title="Persuasive essay (revised)"))
    assert first.sourced_id == again.sourced_id == line_item_id(context(), "essay-1")


def test_line_items_of_different_sections_get_different_sourced_ids() -> None:
    here = line_item(context())
    there = line_item(context(section_id="section-2"))
    assert here.sourced_id != there.sourced_id


def test_an_assign_date_after_the_due_date_is_sent_as_the_due_date() -> None:
    due = dt.datetime(2026, 9, 21, 22, 0, tzinfo=UTC)
    item = line_item(context(), assignment(assigned_at=due + dt.timedelta(days=2), due_at=due))
    assert item.assign_date == due


def test_the_category_is_matched_by_title_ignoring_case_and_surrounding_spaces() -> None:
    item = line_item(context(), assignment(category="  tESTs "))
    assert item.category_id == "cat-tests"


def test_an_assignment_without_a_category_takes_the_district_default_by_title() -> None:
    item = line_item(context(default_category="tests"), assignment(category=None))
    assert item.category_id == "cat-tests"


def test_the_district_default_category_may_be_given_as_its_sourced_id() -> None:
    item = line_item(context(default_category="CAT-TESTS"), assignment(category=None))
    assert item.category_id == "cat-tests"


def test_a_category_the_sis_does_not_have_falls_back_to_the_district_default() -> None:
    item = line_item(context(default_category="Homework"), assignment(category="Projects"))
    assert item.category_id == "cat-hw"


def test_a_due_date_on_the_first_day_of_a_grading_period_falls_in_that_period() -> None:
    _, period = planned(context(), assignment(due_at=dt.datetime(2026, 10, 26, 12, tzinfo=UTC)))
    assert period == Q2


def test_the_grading_period_is_the_one_containing_the_due_date() -> None:
    item, period = planned(context(), assignment(due_at=dt.datetime(2026, 11, 30, 12, tzinfo=UTC)))
    assert item.grading_period_id == "gp-q2"
    assert period.title == "Q2"


def test_a_title_of_exactly_30_characters_is_accepted_for_powerschool() -> None:
    title = "Unit 3 lab report: titrations!"
    assert len(title) == 30
    assert line_item(context("powerschool"), assignment(title=title)).title == title


def test_a_long_title_is_accepted_for_a_vendor_without_a_title_limit() -> None:
    title = "Research project: the causes and consequences of the Industrial Revolution"
    assert line_item(context("infinite-campus"), assignment(title=title)).title == title


def test_fractional_maximum_points_are_accepted_for_a_vendor_that_takes_them() -> None:
    item = line_item(context("infinite-campus"), assignment(max_points=12.5))
    assert item.result_value_max == 12.5


def test_whole_number_maximum_points_are_accepted_for_skyward() -> None:
    item = line_item(context("skyward-sms"), assignment(max_points=20.0))
    assert item.result_value_max == 20.0


def test_a_due_date_inside_the_term_is_accepted_for_powerschool() -> None:
    item = line_item(context("powerschool"), assignment())
    assert item.grading_period_id == "gp-q1"


def test_a_due_date_outside_the_term_is_accepted_for_a_vendor_without_that_rule() -> None:
    ctx = context(terms={"term-fall": (dt.date(2026, 8, 24), dt.date(2026, 12, 11))})
    item = line_item(ctx, assignment(due_at=dt.datetime(2026, 12, 15, 12, tzinfo=UTC)))
    assert item.grading_period_id == "gp-q2"


def test_a_term_without_dates_does_not_hold_a_powerschool_line_item() -> None:
    ctx = context("powerschool", terms={"term-fall": (None, None)})
    assert line_item(ctx).grading_period_id == "gp-q1"


# ---- lineItems held, with the reason -------------------------------------------------------------


@pytest.mark.parametrize("title", ["", "   "])
def test_an_assignment_without_a_title_is_held(title: str) -> None:
    reason = held(plan_line_item(context(), assignment(title=title)))
    assert reason == "The assignment has no title; give it one."


def test_title_longer_than_30_characters_is_held_for_powerschool() -> None:
    title = "Unit 3 lab report: titrations!!"
    reason = held(plan_line_item(context("powerschool"), assignment(title=title)))
    assert reason == (
        "PowerSchool SIS accepts titles of at most 30 characters; this one has 31. "
        "Shorten the title."
    )


def test_an_assignment_without_a_due_date_is_held() -> None:
    reason = held(plan_line_item(context(), assignment(due_at=None)))
    assert reason == "The assignment has no due date; the SIS needs one to pick a grading period."


@pytest.mark.parametrize("points", [0.0, -5.0])
def test_maximum_points_that_are_not_above_zero_are_held(points: float) -> None:
    reason = held(plan_line_item(context(), assignment(max_points=points)))
    assert reason == "The assignment has no maximum points; set them above zero."


@pytest.mark.parametrize(
    ("vendor", "label"),
    [("skyward-sms", "Skyward SMS 2.0"), ("skyward-qmlativ", "Skyward Qmlativ")],
)
def test_fractional_maximum_points_are_held_for_skyward(vendor: str, label: str) -> None:
    reason = held(plan_line_item(context(vendor), assignment(max_points=12.5)))
    assert reason == (
        f"{label} accepts whole-number points only; make the maximum points a whole number."
    )


def test_a_category_the_sis_does_not_have_is_held_when_the_district_has_no_default() -> None:
    reason = held(plan_line_item(context(), assignment(category="Projects")))
    assert reason == (
        "The assignment has category 'Projects', which the SIS does not have, and the district "
        "has no default category the SIS knows. SIS categories: Homework, Tests. Pick one of "
        "them, or ask the district admin to set a default category."
    )


def test_an_assignment_without_a_category_is_held_when_the_district_has_no_default() -> None:
    reason = held(plan_line_item(context(), assignment(category=None)))
    assert reason.startswith("The assignment has no category, which the SIS does not have")
    assert "ask the district admin to set a default category" in reason


def test_a_district_default_category_the_sis_does_not_have_is_no_fallback() -> None:
    ctx = context(default_category="Classwork")
    reason = held(plan_line_item(ctx, assignment(category="Projects")))
    assert "no default category the SIS knows" in reason


def test_the_held_category_message_says_none_when_the_sis_lists_no_categories() -> None:
    reason = held(plan_line_item(context(categories=()), assignment()))
    assert "SIS categories: none. Pick one of them" in reason


def test_a_due_date_between_grading_periods_is_held_with_the_periods_listed() -> None:
    due = dt.datetime(2026, 10, 24, 12, tzinfo=UTC)
    reason = held(plan_line_item(context(periods=(Q2, Q1)), assignment(due_at=due)))
    assert reason == (
        "The due date 2026-10-24 is in none of the class's grading periods "
        "(Q1 2026-08-24–2026-10-23; Q2 2026-10-26–2026-12-18). "
        "Change the due date to fall inside one."
    )


def test_a_due_date_is_held_when_the_sis_lists_no_grading_periods() -> None:
    reason = held(plan_line_item(context(periods=()), assignment()))
    assert reason == (
        "The due date 2026-09-21 is in none of the class's grading periods "
        "(the SIS lists none). Change the due date to fall inside one."
    )


def test_a_grading_period_without_dates_never_contains_the_due_date() -> None:
    undated = Period("gp-x", "Year", "term-fall", None, None)
    assert isinstance(plan_line_item(context(periods=(undated,)), assignment()), Held)


def test_a_due_date_outside_the_term_is_held_for_powerschool() -> None:
    ctx = context("powerschool", terms={"term-fall": (dt.date(2026, 8, 24), dt.date(2026, 12, 11))})
    due = dt.datetime(2026, 12, 15, 12, tzinfo=UTC)
    reason = held(plan_line_item(ctx, assignment(due_at=due)))
    assert reason == (
        "PowerSchool SIS needs the due date inside the term (2026-08-24–2026-12-11); "
        "2026-12-15 is not."
    )
