"""Gradebook bodies: the 1.2 form validates against the official schema; 1.1 carries its
required fields; sourcedIds are deterministic (pure)."""

from __future__ import annotations

import datetime as dt

import pytest

from shared.oneroster.gradebook import (
    CategoryWrite,
    LineItemWrite,
    ResultWrite,
    category_body,
    deterministic_id,
    line_item_body,
    normalize_score_status,
    result_body,
)
from tools.oneroster_sis.schemas import validation_errors

NOW = dt.datetime(2026, 11, 20, 8, 30, tzinfo=dt.UTC)
ITEM = LineItemWrite(
    sourced_id=deterministic_id("district", "class", "assignment"),
    title="Essay",
    description="Five paragraphs",
    assign_date=dt.datetime(2026, 11, 1, tzinfo=dt.UTC),
    due_date=dt.datetime(2026, 11, 8, 23, 59, tzinfo=dt.UTC),
    class_id="cls/1",
    school_id="sch-1",
    category_id="cat-1",
    grading_period_id="gp-1",
    result_value_min=0,
    result_value_max=100,
)


def href_for(ref_type: str, sourced_id: str) -> str:
    return f"https://sis.example.org/ims/oneroster/x/{ref_type}/{sourced_id}"


@pytest.mark.parametrize("status", ["fully graded", "exempt", "not submitted", "submitted"])
def test_12_bodies_validate_against_the_official_gradebook_schema(status: str) -> None:
    line_item = line_item_body(ITEM, version="1.2", href_for=href_for, now=NOW)
    result = result_body(
        ResultWrite("r-1", ITEM.sourced_id, "stu-1", "cls/1", status, 88.5, dt.date(2026, 11, 9)),
        version="1.2",
        href_for=href_for,
        now=NOW,
    )
    category = category_body(CategoryWrite("cat-9", "Labs", 0.2), version="1.2", now=NOW)
    assert validation_errors("gradebook", "SingleLineItemDType", line_item) == []
    assert validation_errors("gradebook", "SingleResultDType", result) == []
    assert validation_errors("gradebook", "SingleCategoryDType", category) == []
    assert line_item["lineItem"]["school"]["type"] == "org"
    assert result["result"]["scoreDate"] == "2026-11-09"


def test_a_12_body_missing_what_the_schema_requires_fails_validation() -> None:
    body = line_item_body(ITEM, version="1.2", href_for=href_for, now=NOW)
    del body["lineItem"]["school"]
    assert any("school" in e for e in validation_errors("gradebook", "SingleLineItemDType", body))


def test_11_line_item_requires_a_grading_period_and_has_no_school() -> None:
    body = line_item_body(ITEM, version="1.1", href_for=href_for, now=NOW)["lineItem"]
    assert "school" not in body
    assert body["gradingPeriod"]["sourcedId"] == "gp-1"
    assert (body["resultValueMin"], body["resultValueMax"]) == (0.0, 100.0)
    without = LineItemWrite(
        **{**{f: getattr(ITEM, f) for f in ITEM.__slots__}, "grading_period_id": None}
    )
    with pytest.raises(ValueError, match="gradingPeriod"):
        line_item_body(without, version="1.1", href_for=href_for, now=NOW)


def test_score_status_vocabulary_is_normalized_or_refused() -> None:
    assert normalize_score_status("fullyGraded") == "fully graded"
    assert normalize_score_status("NOT_SUBMITTED") == "not submitted"
    with pytest.raises(ValueError, match="scoreStatus"):
        normalize_score_status("graded-ish")


def test_deterministic_ids_are_stable_and_distinct() -> None:
    assert deterministic_id("d", "c", "a") == deterministic_id("d", "c", "a")
    assert deterministic_id("d", "c", "a") != deterministic_id("dc", "a")
    assert deterministic_id("d", "c/1", "a") != deterministic_id("d", "c", "1/a")
    with pytest.raises(ValueError, match="non-empty"):
        deterministic_id("d", "")
