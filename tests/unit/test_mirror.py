"""The Firestore mirror: OneRoster records kept as JSON data with a content hash, and read back as
the planner's inputs (pure)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import replace
from typing import Any

import pytest

from shared.oneroster.records import ClassRecord, Enrollment, Org, Role, User
from shared.sync.accounts import SisPerson
from shared.sync.mirror import (
    content_hash,
    data_of,
    enrollment_from,
    mirror_data,
    person_from,
    section_from,
    stored_fields,
)
from shared.sync.model import SisEnrollment, SisSection

ALGEBRA = ClassRecord(
    sourced_id="class-alg1-p2",
    status="active",
    date_last_modified="2026-08-20T14:03:11.000Z",
    title="Algebra I - P2",
    class_code="ALG1-2",
    class_type="scheduled",
    location="Room 12",
    course_id="course-alg1",
    school_id="school-1",
    term_ids=("term-fall", "term-spring"),
    periods=("2",),
    grades=("09",),
    subjects=("Mathematics",),
)
TEACHING = Enrollment(
    sourced_id="enr-teacher-1",
    status="active",
    date_last_modified="2026-08-20T14:03:11.000Z",
    user_id="teacher-1",
    class_id="class-alg1-p2",
    school_id="school-1",
    role="teacher",
    primary=True,
    begin_date=dt.date(2026, 8, 24),
    end_date=dt.date(2027, 6, 4),
)
ZOE = User(
    sourced_id="student-1",
    status="active",
    date_last_modified=None,
    enabled=True,
    given_name="Zoë",
    family_name="O'Connor",
    middle_name="Anne",
    preferred_first_name="Zo",
    username="zoconnor",
    email="zoe.oconnor@example.org",
    identifier="100234",
    roles=(Role("student", "primary", "school-1"), Role("student", "secondary", "school-2")),
    primary_org_id="school-1",
    grades=("09",),
    user_ids=(("SIS", "100234"),),
)


def stored(record: Any) -> dict[str, Any]:
    """The mirror document as Firestore gives it back: JSON types, lists rather than tuples."""
    doc = {
        "sourcedId": record.sourced_id,
        "status": record.status,
        "data": mirror_data(record),
    }
    return json.loads(json.dumps(doc))


# ---- what the mirror keeps --------------------------------------------------------------------


def test_a_class_is_kept_with_the_fields_the_sync_uses() -> None:
    assert mirror_data(ALGEBRA) == {
        "title": "Algebra I - P2",
        "class_code": "ALG1-2",
        "course_id": "course-alg1",
        "school_id": "school-1",
        "term_ids": ["term-fall", "term-spring"],
        "periods": ["2"],
    }


def test_an_enrollment_is_kept_with_its_dates_as_iso_strings() -> None:
    assert mirror_data(TEACHING) == {
        "user_id": "teacher-1",
        "class_id": "class-alg1-p2",
        "school_id": "school-1",
        "role": "teacher",
        "primary": True,
        "begin_date": "2026-08-24",
        "end_date": "2027-06-04",
    }


def test_an_enrollment_without_dates_is_kept_with_null_dates() -> None:
    data = mirror_data(replace(TEACHING, begin_date=None, end_date=None))
    assert (data["begin_date"], data["end_date"]) == (None, None)


def test_a_user_is_kept_with_the_primary_role_and_every_org() -> None:
    assert mirror_data(ZOE) == {
        "given_name": "Zoë",
        "family_name": "O'Connor",
        "preferred_first_name": "Zo",
        "email": "zoe.oconnor@example.org",
        "username": "zoconnor",
        "identifier": "100234",
        "role": "student",
        "org_ids": ["school-1", "school-2"],
        "grades": ["09"],
        "enabled": True,
    }


@pytest.mark.parametrize("record", [ALGEBRA, TEACHING, ZOE], ids=["class", "enrollment", "user"])
def test_mirror_data_survives_a_json_round_trip_unchanged(record: Any) -> None:
    data = mirror_data(record)
    assert json.loads(json.dumps(data)) == data


@pytest.mark.parametrize("record", [ALGEBRA, TEACHING, ZOE], ids=["class", "enrollment", "user"])
def test_a_record_is_stored_as_one_json_text_and_read_back_whole(record: Any) -> None:
    data = mirror_data(record)
    stored = stored_fields(record, data)
    assert isinstance(stored["data"], str)
    assert data_of(stored) == data
    assert data_of({"data": data}) == data  # a document written as a map, before


def test_only_an_enrollment_keeps_its_class_id_beside_the_text() -> None:
    assert stored_fields(TEACHING, mirror_data(TEACHING))["class_id"] == TEACHING.class_id
    assert "class_id" not in stored_fields(ALGEBRA, mirror_data(ALGEBRA))


def test_a_record_the_mirror_does_not_keep_is_refused() -> None:
    org = Org("school-1", "active", None, "Lincoln High", "school", "LHS", "district-1")
    with pytest.raises(TypeError, match="the mirror does not keep Org"):
        mirror_data(org)


# ---- reading it back --------------------------------------------------------------------------


def test_a_class_read_back_from_the_mirror_is_the_section_the_planner_sees() -> None:
    assert section_from(stored(ALGEBRA)) == SisSection(
        sourced_id="class-alg1-p2",
        title="Algebra I - P2",
        school_id="school-1",
        term_ids=("term-fall", "term-spring"),
        course_id="course-alg1",
        class_code="ALG1-2",
        status="active",
        periods=("2",),
    )


def test_a_class_marked_tobedeleted_reads_back_as_tobedeleted() -> None:
    assert section_from(stored(replace(ALGEBRA, status="tobedeleted"))).status == "tobedeleted"


def test_a_class_document_without_a_status_reads_back_as_active() -> None:
    doc = stored(ALGEBRA)
    del doc["status"]
    assert section_from(doc).status == "active"


def test_a_class_document_without_data_reads_back_with_empty_fields() -> None:
    section = section_from({"sourcedId": "class-x"})
    assert (section.title, section.school_id, section.term_ids) == ("", "", ())
    assert (section.course_id, section.class_code) == (None, None)


def test_an_enrollment_read_back_from_the_mirror_keeps_its_dates() -> None:
    assert enrollment_from(stored(TEACHING)) == SisEnrollment(
        sourced_id="enr-teacher-1",
        user_id="teacher-1",
        class_id="class-alg1-p2",
        role="teacher",
        primary=True,
        begin_date=dt.date(2026, 8, 24),
        end_date=dt.date(2027, 6, 4),
        status="active",
    )


def test_an_enrollment_without_dates_reads_back_without_dates() -> None:
    enrollment = enrollment_from(stored(replace(TEACHING, begin_date=None, end_date=None)))
    assert (enrollment.begin_date, enrollment.end_date) == (None, None)


def test_an_enrollment_document_without_a_primary_flag_reads_back_as_not_primary() -> None:
    doc = stored(TEACHING)
    del doc["data"]["primary"]
    assert enrollment_from(doc).primary is False


def test_a_user_read_back_from_the_mirror_is_the_person_accounts_are_matched_on() -> None:
    assert person_from(stored(ZOE), "student") == SisPerson(
        sourced_id="student-1",
        role="student",
        given_name="Zo",
        family_name="O'Connor",
        email="zoe.oconnor@example.org",
        username="zoconnor",
        identifier="100234",
        grades=("09",),
    )


def test_a_person_without_a_preferred_first_name_reads_back_with_the_given_name() -> None:
    person = person_from(stored(replace(ZOE, preferred_first_name=None)), "student")
    assert person.given_name == "Zoë"


def test_a_person_takes_the_role_of_the_listing_it_was_read_from() -> None:
    assert person_from(stored(ZOE), "teacher").role == "teacher"


# ---- the content hash -------------------------------------------------------------------------


def test_the_same_content_always_hashes_the_same() -> None:
    assert content_hash("active", mirror_data(ALGEBRA)) == content_hash(
        "active", mirror_data(replace(ALGEBRA))
    )


def test_the_content_hash_is_32_lowercase_hex_characters() -> None:
    digest = content_hash("active", mirror_data(ALGEBRA))
    assert len(digest) == 32
    assert set(digest) <= set("0123456789abcdef")


@pytest.mark.parametrize("record", [ALGEBRA, TEACHING, ZOE], ids=["class", "enrollment", "user"])
def test_the_hash_built_around_the_stored_text_is_the_hash_of_the_content(record: Any) -> None:
    data = mirror_data(record)
    text = stored_fields(record, data)["data"]
    assert content_hash("tobedeleted", data, text) == content_hash("tobedeleted", data)
    whole = json.dumps(
        {"status": "tobedeleted", "data": data}, sort_keys=True, separators=(",", ":")
    )
    assert content_hash("tobedeleted", data) == hashlib.sha256(whole.encode()).hexdigest()[:32]


def test_the_content_hash_of_known_content_has_not_changed() -> None:
    # A different hash for the same content would rewrite every mirror document on the next sync.
    data = {"title": "Algebra I - P2", "term_ids": ["term-fall"], "course_id": None}
    assert content_hash("active", data) == "1e100a48335f54cf47dce1141f700d1d"


def test_the_content_hash_does_not_depend_on_key_order() -> None:
    data = mirror_data(ZOE)
    reordered = dict(reversed(list(data.items())))
    assert content_hash("active", data) == content_hash("active", reordered)


@pytest.mark.parametrize("record", [ALGEBRA, TEACHING, ZOE], ids=["class", "enrollment", "user"])
def test_the_content_hash_is_the_same_after_the_data_went_through_firestore(record: Any) -> None:
    doc = stored(record)
    assert content_hash(record.status, mirror_data(record)) == content_hash(
        doc["status"], doc["data"]
    )


def test_the_content_hash_changes_when_the_status_changes() -> None:
    data = mirror_data(ALGEBRA)
    assert content_hash("active", data) != content_hash("tobedeleted", data)


@pytest.mark.parametrize(
    "change",
    [
        {"title": "Algebra I - P3"},
        {"class_code": "ALG1-3"},
        {"course_id": "course-alg1-honors"},
        {"school_id": "school-2"},
        {"term_ids": ("term-fall",)},
        {"periods": ("3",)},
    ],
    ids=lambda change: next(iter(change)),
)
def test_the_content_hash_changes_when_any_kept_class_field_changes(
    change: dict[str, Any],
) -> None:
    before = content_hash("active", mirror_data(ALGEBRA))
    assert content_hash("active", mirror_data(replace(ALGEBRA, **change))) != before


@pytest.mark.parametrize(
    "change",
    [
        {"user_id": "teacher-2"},
        {"role": "student"},
        {"primary": False},
        {"begin_date": dt.date(2026, 9, 1)},
        {"end_date": None},
    ],
    ids=lambda change: next(iter(change)),
)
def test_the_content_hash_changes_when_any_kept_enrollment_field_changes(
    change: dict[str, Any],
) -> None:
    before = content_hash("active", mirror_data(TEACHING))
    assert content_hash("active", mirror_data(replace(TEACHING, **change))) != before


@pytest.mark.parametrize(
    "change",
    [
        {"given_name": "Zoe"},
        {"preferred_first_name": None},
        {"email": "zoe@example.org"},
        {"username": "zoc"},
        {"identifier": "100235"},
        {"enabled": False},
        {"grades": ("10",)},
        {"roles": (Role("student", "primary", "school-1"),)},
    ],
    ids=lambda change: next(iter(change)),
)
def test_the_content_hash_changes_when_any_kept_user_field_changes(
    change: dict[str, Any],
) -> None:
    before = content_hash("active", mirror_data(ZOE))
    assert content_hash("active", mirror_data(replace(ZOE, **change))) != before


@pytest.mark.parametrize(
    "change",
    [
        {"date_last_modified": "2026-09-01T00:00:00.000Z"},
        {"location": "Room 14"},
        {"class_type": "homeroom"},
        {"grades": ("10",)},
        {"subjects": ("Math",)},
    ],
    ids=lambda change: next(iter(change)),
)
def test_the_content_hash_ignores_class_fields_the_mirror_does_not_keep(
    change: dict[str, Any],
) -> None:
    before = content_hash("active", mirror_data(ALGEBRA))
    assert content_hash("active", mirror_data(replace(ALGEBRA, **change))) == before
