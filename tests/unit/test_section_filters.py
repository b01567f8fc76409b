"""The term and course-code filters (shared/sync/filters.py): which mirrored sections the
planner sees."""

from __future__ import annotations

from typing import Any

from shared.sync.filters import offered_sections, section_passes


def _section(sourced_id: str, terms: list[str], code: str) -> dict[str, Any]:
    return {"sourcedId": sourced_id, "data": {"term_ids": terms, "class_code": code}}


def _enrollment(class_id: str) -> dict[str, Any]:
    return {"sourcedId": f"e-{class_id}", "data": {"class_id": class_id}}


MATH = _section("c-math", ["t-fall"], "MA-101")
ART = _section("c-art", ["t-spring"], "AR-201")


def test_no_filters_let_every_section_through() -> None:
    assert offered_sections([MATH, ART], [], None, set()) == ([MATH, ART], [])
    assert offered_sections([MATH, ART], [], {"term_ids": None}, set()) == ([MATH, ART], [])


def test_a_section_passes_the_term_filter_when_one_of_its_terms_is_listed() -> None:
    assert section_passes(MATH["data"], {"term_ids": ["t-fall", "t-winter"]})
    assert not section_passes(ART["data"], {"term_ids": ["t-fall"]})


def test_course_code_patterns_match_the_class_code_as_case_insensitive_globs() -> None:
    assert section_passes(MATH["data"], {"course_code_patterns": ["ma-*"]})
    assert not section_passes(ART["data"], {"course_code_patterns": ["MA-*", "??-1*"]})


def test_a_section_must_pass_both_filters_when_both_are_set() -> None:
    filters = {"term_ids": ["t-fall"], "course_code_patterns": ["AR-*"]}
    assert not section_passes(MATH["data"], filters)


def test_a_left_out_section_takes_its_enrollments_with_it() -> None:
    enrollments = [_enrollment("c-math"), _enrollment("c-art")]
    sections, kept = offered_sections([MATH, ART], enrollments, {"term_ids": ["t-fall"]}, set())
    assert sections == [MATH] and kept == [_enrollment("c-math")]


def test_a_section_that_already_has_a_class_keeps_syncing_whatever_the_filters() -> None:
    sections, _ = offered_sections([MATH, ART], [], {"term_ids": ["t-fall"]}, {"c-art"})
    assert sections == [MATH, ART]
