"""The pure roster checks behind the run's data warnings (issue 12)."""

from __future__ import annotations

import datetime as dt

from shared.oneroster.records import parse_records
from shared.sync.model import SisEnrollment, SisSection, Term
from shared.sync.roster_checks import outside_terms
from shared.sync.start_step import no_school_reason, start_warnings

FALL = Term("t-fall", dt.date(2026, 8, 15), dt.date(2026, 12, 20), "Fall")


def test_an_org_listed_as_a_school_with_another_type_is_an_info_warning() -> None:
    schools = parse_records(
        "orgs", [{"sourcedId": "o1", "name": "Math", "type": "department"}], "1.2"
    )
    [warning] = start_warnings(schools, parse_records("academicSessions", [], "1.2"))
    assert (warning.code, warning.sourced_id, warning.value, warning.severity) == (
        "org_not_school",
        "o1",
        "department",
        "info",
    )


def test_no_school_reason_names_the_org_types_the_sis_sent() -> None:
    orgs = parse_records("orgs", [{"sourcedId": "o1", "type": "department"}], "1.2")
    assert "its orgs are of type department" in no_school_reason(orgs)


def test_an_enrollment_after_its_class_terms_is_an_info_warning() -> None:
    section = SisSection("c1", "Algebra", "s1", ("t-fall",))
    late = SisEnrollment("e1", "u1", "c1", "student", begin_date=dt.date(2027, 1, 10))
    warning = outside_terms(late, section, {"t-fall": FALL}, "s1")
    assert warning is not None
    assert (warning.code, warning.field, warning.value) == (
        "enrollment_outside_term",
        "beginDate",
        "2027-01-10",
    )


def test_an_enrollment_inside_its_class_terms_is_fine() -> None:
    section = SisSection("c1", "Algebra", "s1", ("t-fall",))
    inside = SisEnrollment("e1", "u1", "c1", "student", begin_date=dt.date(2026, 9, 1))
    assert outside_terms(inside, section, {"t-fall": FALL}, "s1") is None
