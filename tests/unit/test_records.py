"""Parsing OneRoster records: lenient where SISes are sloppy, strict where it matters (pure)."""

from __future__ import annotations

import datetime as dt

import pytest

from shared.oneroster.records import Enrollment, User, parse_records


def test_users_in_11_and_12_shapes_become_the_same_record() -> None:
    v11 = {
        "sourcedId": "u1",
        "status": "active",
        "enabledUser": "true",
        "givenName": "Zoë",
        "familyName": "O'Connor",
        "role": "teacher",
        "orgs": [{"href": "~/ims/oneroster/v1p1/orgs/s1", "sourcedId": "s1", "type": "org"}],
        "email": " zoe@example.org ",
    }
    v12 = {
        "sourcedId": "u1",
        "status": "active",
        "enabledUser": True,
        "givenName": "Zoë",
        "familyName": "O'Connor",
        "roles": [{"roleType": "primary", "role": "teacher", "org": {"sourcedId": "s1"}}],
        "primaryOrg": {"sourcedId": "s1", "type": "org"},
        "email": "zoe@example.org",
    }
    first = parse_records("users", [v11], "1.1").records[0]
    second = parse_records("users", [v12], "1.2").records[0]
    assert isinstance(first, User)
    assert first == second
    assert first.role == "teacher" and first.org_ids == ("s1",) and first.email == "zoe@example.org"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("true", True),
        ("TRUE", True),
        (1, True),
        ("1", True),
        (True, True),
        ("false", False),
        (0, False),
        ("0", False),
        (None, True),
    ],
)
def test_booleans_as_strings_numbers_or_bools(raw, expected) -> None:
    user = {"sourcedId": "u", "enabledUser": raw, "role": "student"}
    assert parse_records("users", [user], "1.1").records[0].enabled is expected


def test_inactive_is_read_as_tobedeleted_and_unknown_status_is_rejected() -> None:
    parsed = parse_records(
        "orgs",
        [
            {"sourcedId": "a", "status": "inactive", "name": "A", "type": "school"},
            {"sourcedId": "b", "status": None, "name": "B", "type": "school"},
            {"sourcedId": "c", "status": "archived", "name": "C", "type": "school"},
        ],
        "1.1",
    )
    assert [(o.sourced_id, o.status) for o in parsed.records] == [
        ("a", "tobedeleted"),
        ("b", "active"),
    ]
    assert [(r.sourced_id, r.index) for r in parsed.rejections] == [("c", 2)]
    assert "archived" in parsed.rejections[0].reason


def test_records_without_sourced_id_or_required_references_are_rejected_with_reasons() -> None:
    parsed = parse_records(
        "enrollments",
        [
            {"status": "active", "user": {"sourcedId": "u"}, "class": {"sourcedId": "c"}},
            {"sourcedId": "e2", "class": {"sourcedId": "c"}, "role": "student"},
            "not an object",
            {
                "sourcedId": "e4",
                "user": "u4",
                "class": {"sourcedId": "c", "href": None},
                "school": None,
                "role": "student",
                "primary": "false",
                "endDate": "2026-01-31",
            },
        ],
        "1.2",
    )
    reasons = [r.reason for r in parsed.rejections]
    assert "no sourcedId" in reasons[0]
    assert "no user" in reasons[1]
    assert "not a JSON object" in reasons[2]
    (kept,) = parsed.records
    assert isinstance(kept, Enrollment)
    assert (kept.user_id, kept.class_id, kept.school_id, kept.primary) == ("u4", "c", None, False)
    assert kept.end_date == dt.date(2026, 1, 31)


def test_duplicate_rows_keep_the_first() -> None:
    rows = [
        {"sourcedId": "c1", "title": "First", "terms": [{"sourcedId": "t1"}]},
        {"sourcedId": "c1", "title": "Second"},
    ]
    parsed = parse_records("classes", rows, "1.2")
    assert [c.title for c in parsed.records] == ["First"]
    assert parsed.records[0].term_ids == ("t1",)
