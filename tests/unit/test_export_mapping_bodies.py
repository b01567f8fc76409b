"""Export mapping to request bodies: planned lineItems and results as the JSON sent to the SIS,
checked against the official OneRoster schemas, and the content hash that tells a changed body
from an unchanged one (pure)."""

from __future__ import annotations

import datetime as dt

from shared.export.mapping import bodies, content_hash
from tests.unit.export_mapping_builders import NOW, assignment, context, line_item, mark, result
from tools.oneroster_sis.schemas import validation_errors


def href_for(ref_type: str, sourced_id: str) -> str:
    return f"https://sis.example.org/ims/oneroster/gradebook/v1p2/{ref_type}s/{sourced_id}"


def test_a_planned_line_item_and_result_validate_against_the_official_12_schema() -> None:
    ctx = context("infinite-campus")
    li_body, res_body = bodies(ctx, href_for, NOW)
    assert validation_errors("gradebook", "SingleLineItemDType", li_body(line_item(ctx))) == []
    assert validation_errors("gradebook", "SingleResultDType", res_body(result(ctx, mark()))) == []


def test_a_planned_powerschool_line_item_has_the_grading_period_oneroster_11_requires() -> None:
    ctx = context("powerschool")
    li_body, _ = bodies(ctx, href_for, NOW)
    body = li_body(line_item(ctx))["lineItem"]
    assert body["gradingPeriod"]["sourcedId"] == "gp-q1"
    assert "school" not in body


def test_the_body_hash_ignores_when_the_body_was_built() -> None:
    ctx = context()
    today, _ = bodies(ctx, href_for, NOW)
    tomorrow, _ = bodies(ctx, href_for, NOW + dt.timedelta(days=1))
    assert content_hash(today(line_item(ctx))) == content_hash(tomorrow(line_item(ctx)))


def test_the_body_hash_changes_when_the_score_changes() -> None:
    ctx = context()
    _, res_body = bodies(ctx, href_for, NOW)
    before = content_hash(res_body(result(ctx, mark(score=17.0))))
    after = content_hash(res_body(result(ctx, mark(score=18.0))))
    assert before != after


def test_the_body_hash_changes_when_the_title_changes() -> None:
    ctx = context()
    li_body, _ = bodies(ctx, href_for, NOW)
    before = content_hash(li_body(line_item(ctx)))
    after = content_hash(li_body(line_item(ctx, assignment(title="Argumentative essay"))))
    assert before != after
