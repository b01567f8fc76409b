"""Row-level reading: encoding, quoting and line numbers, and each kind of bad value becoming a
RowProblem naming file, line, column, value, reason and fix while the other rows go on."""

from __future__ import annotations

from shared.csvpackage import CSV_PROBLEM_CODES, CsvRow, RowProblem
from tests.csvpackage.builders import (
    CLASSES,
    ENROLLMENTS,
    ORGS,
    ROLES,
    SESSIONS,
    USERS_11,
    USERS_12,
    csv_text,
    manifest,
    package,
    rows,
    with_row,
)


def _only(found: list[CsvRow], line: int) -> tuple[CsvRow, RowProblem]:
    """The row on ``line`` and its one problem; every other row is clean."""
    row = next(r for r in found if r.line == line)
    assert all(not r.problems for r in found if r is not row)
    assert len(row.problems) == 1, row.problems
    return row, row.problems[0]


def test_a_byte_order_mark_and_blank_lines_are_read_past() -> None:
    text = "\ufeff" + csv_text(ORGS).replace("\r\nd1,", "\r\n\r\nd1,")
    found = rows(package(orgs=text.encode("utf-8")), "orgs")
    assert [(r.line, r.record["sourcedId"]) for r in found if r.record] == [(3, "d1"), (4, "s1")]


def test_quoted_commas_quotes_and_line_breaks_keep_values_and_line_numbers() -> None:
    title = 'Algebra, "Honors"\nPart 2'
    odd = ["c2", "", "", title, "", "co1", "", "scheduled", "", "s1", "t1", "", "", ""]
    after = ["c3", "", "", "Art", "", "co1", "", "homeroom", "", "s1", "t1", "", "", ""]
    found = rows(package(classes=with_row(CLASSES, odd, after)), "classes")
    assert [(r.line, r.record["title"]) for r in found if r.record] == [
        (2, "Algebra I"),
        (3, title),
        (5, "Art"),
    ]
    assert found[0].record and found[0].record["periods"] == ["1", "2"]


def test_a_row_with_the_wrong_number_of_fields_is_skipped_and_the_rest_go_on() -> None:
    short = ["e3", "", "", "c1", "s1", "u2", "student"]
    found = rows(package(enrollments=with_row(ENROLLMENTS, short, ENROLLMENTS[2])), "enrollments")
    row, problem = _only(found, 4)
    assert row.record is None and problem.code == "csv_row_invalid"
    assert problem.file == "enrollments.csv" and problem.sourced_id == "e3"
    assert problem.reason == "the row has 7 fields, the header 10; the row is skipped"
    assert problem.fix == CSV_PROBLEM_CODES["csv_row_invalid"][2]
    assert sum(1 for r in found if r.record) == 3


def test_an_unclosed_quote_says_so_with_the_lines_it_swallowed() -> None:
    after = ["e3", "", "", "c1", "s1", "u3", "student", "", "", ""]
    text = with_row(ENROLLMENTS, after).replace("e2,,,c1", 'e2,,,"c1', 1)
    row, problem = _only(rows(package(enrollments=text), "enrollments"), 3)
    assert row.record is None and "(it runs over lines 3-4: an unclosed quote?)" in problem.reason


def test_a_bad_required_enum_skips_the_row_naming_column_value_and_words() -> None:
    bad = ["e3", "", "", "c1", "s1", "u2", "janitor", "", "", ""]
    found = rows(package(enrollments=with_row(ENROLLMENTS, bad)), "enrollments")
    row, problem = _only(found, 4)
    assert row.record is None
    assert (problem.code, problem.column, problem.value) == ("csv_value_unknown", "role", "janitor")
    assert problem.reason == "'janitor' is not a OneRoster 1.1 enrollment role; the row is skipped"
    assert problem.fix.startswith("use one of administrator, aide, proctor, student, teacher")


def test_ext_values_pass_the_vocabulary() -> None:
    ext = ["e3", "", "", "c1", "s1", "u2", "ext:observer", "", "", ""]
    found = rows(package(enrollments=with_row(ENROLLMENTS, ext)), "enrollments")
    assert found[-1].record and found[-1].record["role"] == "ext:observer"
    assert not found[-1].problems


def test_a_bad_optional_date_or_boolean_is_left_empty_and_the_row_kept() -> None:
    bad = ["e3", "", "", "c1", "s1", "u2", "student", "yes", "08/20/2025", ""]
    row, *_ = [r for r in rows(package(enrollments=with_row(ENROLLMENTS, bad)), "enrollments")][2:]
    assert row.record == {
        "sourcedId": "e3",
        "status": "active",
        "user": {"sourcedId": "u2", "type": "user"},
        "class": {"sourcedId": "c1", "type": "class"},
        "school": {"sourcedId": "s1", "type": "org"},
        "role": "student",
    }
    assert [(p.code, p.column, p.value) for p in row.problems] == [
        ("csv_value_invalid", "primary", "yes"),
        ("csv_value_invalid", "beginDate", "08/20/2025"),
    ]
    assert row.problems[1].reason == (
        "'08/20/2025' is not a date in ISO 8601 form (YYYY-MM-DD); the value is left empty"
    )
    assert row.problems[1].fix.startswith("write the date as YYYY-MM-DD")


def test_a_bad_required_date_skips_the_row() -> None:
    bad = ["t2", "", "", "Spring", "term", "2026-02-30", "2026-06-01", "", "2026"]
    row, problem = _only(
        rows(package(academicSessions=with_row(SESSIONS, bad)), "academicSessions"), 3
    )
    assert row.record is None and (problem.column, problem.code) == (
        "startDate",
        "csv_value_invalid",
    )


def test_inactive_in_11_is_read_as_tobedeleted_with_the_rule_stated() -> None:
    gone = ["s2", "inactive", "2025-06-01T00:00:00Z", "Old School", "school", "", "d1"]
    row, problem = _only(rows(package(orgs=with_row(ORGS, gone)), "orgs"), 4)
    assert row.record and row.record["status"] == "tobedeleted"
    assert row.record["dateLastModified"] == "2025-06-01T00:00:00Z"
    assert (problem.code, problem.severity, problem.value) == (
        "csv_status_outside_version",
        "warning",
        "inactive",
    )
    assert "OneRoster 1.0 status, outside the 1.1 vocabulary" in problem.reason


def test_an_unknown_status_makes_the_row_unusable_never_active() -> None:
    archived = ["s2", "archived", "", "Old School", "school", "", "d1"]
    row, problem = _only(rows(package(orgs=with_row(ORGS, archived)), "orgs"), 4)
    assert row.record is None and (problem.code, problem.column) == ("csv_value_unknown", "status")


def test_a_delta_row_must_state_its_status() -> None:
    text = manifest(modes={"orgs": "delta"})
    blank = ["s2", "", "2025-06-01T00:00:00Z", "New School", "school", "", "d1"]
    found = rows(package(manifest=text, orgs=with_row(ORGS, blank)), "orgs")
    assert all(r.record is None and r.problems[0].code == "csv_value_missing" for r in found)


def test_a_row_without_sourced_id_is_skipped() -> None:
    nameless = ["  ", "", "", "Nameless School", "school", "", "d1"]
    row, problem = _only(rows(package(orgs=with_row(ORGS, nameless)), "orgs"), 4)
    assert row.record is None and (problem.code, problem.column) == (
        "csv_value_missing",
        "sourcedId",
    )
    assert problem.sourced_id is None and problem.reason.endswith("; the row is skipped")


def test_12_users_get_their_roles_from_roles_csv() -> None:
    found = rows(package("1.2"), "users")
    teacher = found[0].record
    assert teacher and teacher["roles"] == [
        {"roleType": "primary", "role": "teacher", "org": {"sourcedId": "s1", "type": "org"}},
        {
            "roleType": "secondary",
            "role": "teacher",
            "org": {"sourcedId": "d1", "type": "org"},
            "beginDate": "2025-08-20",
        },
    ]
    assert teacher["primaryOrg"] == {"sourcedId": "s1", "type": "org"}
    assert teacher["preferredFirstName"] == "Tessa" and "password" not in teacher


def test_a_12_user_without_a_role_is_skipped_and_bad_roles_rows_are_reported() -> None:
    roles = with_row(ROLES[:2], ["r9", "", "", "u2", "primary", "boss", "", "", "s1", ""])
    found = rows(package("1.2", roles=roles), "users")
    assert [(r.file, r.line, r.record is None) for r in found] == [
        ("roles.csv", 3, True),
        ("users.csv", 2, False),
        ("users.csv", 3, True),
    ]
    assert found[0].problems[0].code == "csv_value_unknown"
    assert found[0].problems[0].reason == "'boss' is not a OneRoster 1.2 role; the row is skipped"
    assert [p.code for p in found[2].problems] == ["csv_role_missing"]
    assert found[2].problems[0].sourced_id == "u2"


def test_11_users_keep_role_and_orgs_and_case_insensitive_booleans() -> None:
    found = rows(package("1.1"), "users")
    first, second = (r.record for r in found)
    assert first and second
    assert first["role"] == "teacher" and first["orgs"] == [{"sourcedId": "s1", "type": "org"}]
    assert first["userIds"] == [{"type": "LDAP", "identifier": "tj1"}]
    assert second["enabledUser"] is True and second["grades"] == ["09"]
    assert "password" not in first
    assert USERS_11[1][-1] == "secret" and len(USERS_12[0]) == len(USERS_12[1])
