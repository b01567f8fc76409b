"""A sourcedId that comes on two pages of one resource in a run is a warning (issue 12): the
mirror keeps only the last copy, so two SIS records under one id would lose one silently."""

from __future__ import annotations

from shared.ids import safe_id
from shared.sync.roster_checks import split_duplicates


def test_an_id_on_two_pages_of_a_resource_is_one_warning_naming_the_pages() -> None:
    pages = [("classes", 0, ("c1", "c2")), ("classes", 1, ("c2", "c3")), ("classes", 2, ("c2",))]
    [warning] = split_duplicates(pages, "s1")
    assert (warning.code, warning.record_kind, warning.sourced_id) == (
        "duplicate_sourced_id",
        "class",
        "c2",
    )
    assert "pages 1, 2, 3 of classes" in warning.reason
    assert "its own sourcedId" in warning.fix and warning.school_id == "s1"


def test_the_same_id_in_two_resources_is_not_a_duplicate() -> None:
    pages = [("students", 0, ("u1",)), ("teachers", 0, ("u1",))]
    assert split_duplicates(pages, "s1") == []


def test_a_redelivered_page_is_not_a_duplicate() -> None:
    assert split_duplicates([("users", 0, ("u1",)), ("users", 0, ("u1",))], "s1") == []


def test_the_warning_names_the_sourced_id_as_the_sis_sent_it() -> None:
    [warning] = split_duplicates(
        [("enrollments", 0, (safe_id("e/1"),)), ("enrollments", 3, (safe_id("e/1"),))], "s1"
    )
    assert warning.sourced_id == "e/1" and warning.record_kind == "enrollment"
