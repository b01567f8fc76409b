"""Data warnings end to end (issue 12): a district's SIS data is broken in one place, a full sync
runs through its real steps against the local SIS, and the run's warnings collection names the
record, the reason and the fix, while the good records of the same run still sync."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from shared.store import layout
from shared.sync.runs import create_run, load_run
from shared.sync.warning_sets import run_warnings
from tests.conftest import StepWorld
from tools.oneroster_sis.harness import RunningSis

SCHOOL = "sch-0001"
CLASS = "cls-000001"  # "Algebra I - Period 1", class code 01-001, primary teacher below
TEACHER = "tch-00001"


def ref(sourced_id: str, kind: str) -> dict[str, str]:
    return {"sourcedId": sourced_id, "type": kind}


def enrollment(sid: str, user: str, cls: str, role: str, **extra: Any) -> dict[str, Any]:
    return {
        "sourcedId": sid,
        "status": "active",
        "user": ref(user, "user"),
        "class": ref(cls, "class"),
        "school": ref(SCHOOL, "org"),
        "role": role,
        **extra,
    }


class District:
    """One small school on a local SIS, synced through the step tier."""

    def __init__(self, world: StepWorld, running: RunningSis) -> None:
        self.world, self.running, self.store = world, running, running.sis.store
        self.district = world.register(running)

    def students_of(self, cls: str) -> list[str]:
        return sorted(
            e["user"]["sourcedId"]
            for e in self.store.all("enrollments")
            if e["class"]["sourcedId"] == cls and e["role"] == "student"
        )

    def sync(self) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """A full run; its document and every warning it recorded."""
        run_id = create_run(
            self.world.ports, self.district, kind="full", dry_run=False, requested_by="t@x.org"
        )
        self.world.drain()
        warnings = list(run_warnings(self.world.store, self.district, run_id))
        return load_run(self.world.store, self.district, run_id), warnings

    def classes(self) -> dict[str, dict[str, Any]]:
        docs = self.world.store.query(layout.classes(self.district))
        return {doc.data["sis"]["section_id"]: doc.data for doc in docs}


@pytest.fixture
def district(make_sis, step_world: StepWorld) -> District:
    return District(step_world, make_sis(students=30, schools=1))


def only(warnings: list[dict[str, Any]], code: str) -> dict[str, Any]:
    found = [w for w in warnings if w["code"] == code]
    assert len(found) == 1, (code, warnings)
    return found[0]


def test_a_student_enrolled_as_primary_teacher_never_owns_the_class(district: District) -> None:
    district.sync()
    student = district.students_of(CLASS)[0]
    district.store.upsert(
        "enrollments", enrollment("enr-bad-1", student, CLASS, "teacher", primary=True)
    )
    run, warnings = district.sync()
    warning = only(warnings, "role_mismatch")
    algebra = district.classes()[CLASS]
    assert run["state"] == "succeeded_with_warnings"
    assert (warning["sourced_id"], warning["field"], warning["value"]) == (
        "enr-bad-1",
        "role",
        "teacher",
    )
    assert "is a student in the SIS" in warning["reason"]
    assert "correct the enrollment's role" in warning["fix"]
    assert algebra["owner"]["sis_user_id"] == TEACHER
    assert student not in {m["sis_user_id"] for m in algebra["co_teachers"].values()}


def test_a_teacher_enrolled_as_a_student_does_not_join_the_roster(district: District) -> None:
    district.store.upsert("enrollments", enrollment("enr-bad-2", "tch-00002", CLASS, "student"))
    _, warnings = district.sync()
    algebra = district.classes()[CLASS]
    assert only(warnings, "role_mismatch")["sourced_id"] == "enr-bad-2"
    assert "tch-00002" not in {m["sis_user_id"] for m in algebra["students"].values()}
    assert algebra["students"]  # the real students are there


def test_a_section_with_a_blank_title_is_named_from_its_code_and_period(
    district: District,
) -> None:
    district.store.patch("classes", CLASS, {"title": "   "})
    _, warnings = district.sync()
    warning = only(warnings, "blank_section_title")
    classes = district.classes()
    assert classes[CLASS]["name"] == "01-001 - Period 1"
    assert warning["sourced_id"] == CLASS
    assert warning["fix"] == "give the section a title in the SIS"
    assert len(classes) > 1  # the good sections of the same run are offered too


def test_a_disabled_user_still_enrolled_is_a_warning(district: District) -> None:
    student = district.students_of(CLASS)[0]
    district.store.patch("users", student, {"enabledUser": "false"})
    _, warnings = district.sync()
    warning = only(warnings, "disabled_user")
    assert (warning["sourced_id"], warning["field"], warning["value"]) == (
        student,
        "enabledUser",
        "false",
    )
    assert "enable the user" in warning["fix"]


def test_a_malformed_email_is_a_warning_naming_the_value(district: District) -> None:
    student = district.students_of(CLASS)[0]
    district.store.patch("users", student, {"email": "not-an-address"})
    _, warnings = district.sync()
    warning = only(warnings, "malformed_email")
    assert (warning["sourced_id"], warning["value"]) == (student, "not-an-address")
    assert warning["fix"] == "correct the user's email in the SIS"


def test_an_unknown_enrollment_role_is_a_warning_and_the_enrollment_is_ignored(
    district: District,
) -> None:
    student = district.students_of(CLASS)[0]
    district.store.upsert("enrollments", enrollment("enr-bad-3", student, CLASS, "janitor"))
    _, warnings = district.sync()
    warning = only(warnings, "unknown_enrollment_role")
    assert (warning["sourced_id"], warning["value"]) == ("enr-bad-3", "janitor")
    assert "set the role to student, teacher" in warning["fix"]


def test_an_enrollment_that_begins_after_it_ends_is_a_warning(district: District) -> None:
    new_student = district.students_of("cls-000002")[-1]
    district.store.upsert(
        "enrollments",
        enrollment(
            "enr-bad-4", new_student, CLASS, "student", beginDate="2026-10-01", endDate="2026-09-01"
        ),
    )
    _, warnings = district.sync()
    warning = only(warnings, "dates_out_of_order")
    assert (warning["record_kind"], warning["sourced_id"]) == ("enrollment", "enr-bad-4")
    assert "begins (2026-10-01) after it ends (2026-09-01)" in warning["reason"]


def test_a_term_that_starts_after_it_ends_is_a_warning(district: District) -> None:
    district.store.upsert(
        "academicSessions",
        {
            "sourcedId": "trm-bad",
            "title": "Backwards term",
            "type": "term",
            "startDate": "2027-06-01",
            "endDate": "2026-09-01",
            "schoolYear": "2027",
        },
    )
    _, warnings = district.sync()
    warning = only(warnings, "dates_out_of_order")
    assert (warning["record_kind"], warning["sourced_id"]) == ("academicSession", "trm-bad")
    assert "correct the term's startDate and endDate" in warning["fix"]


def test_a_section_whose_terms_ended_is_not_offered_and_says_which_term(
    district: District,
) -> None:
    last_year = dt.date.today().year - 2
    district.store.upsert(
        "academicSessions",
        {
            "sourcedId": "trm-old",
            "title": "Old Fall",
            "type": "term",
            "startDate": f"{last_year}-08-15",
            "endDate": f"{last_year}-12-20",
            "schoolYear": str(last_year + 1),
        },
    )
    old = {**district.store.get("classes", CLASS), "sourcedId": "cls-old", "title": "Old Algebra"}
    district.store.upsert("classes", {**old, "terms": [ref("trm-old", "academicSession")]})
    district.store.upsert("enrollments", enrollment("enr-old", TEACHER, "cls-old", "teacher"))
    _, warnings = district.sync()
    warning = only(warnings, "term_ended")
    assert "cls-old" not in district.classes()
    assert warning["sourced_id"] == "cls-old"
    assert f"Old Fall ({last_year}-08-15 to {last_year}-12-20)" in warning["reason"]


def test_enrollments_pointing_at_unknown_users_or_classes_are_warnings(
    district: District,
) -> None:
    district.store.upsert("enrollments", enrollment("enr-ghost-u", "usr-ghost", CLASS, "student"))
    student = district.students_of(CLASS)[0]
    district.store.upsert("enrollments", enrollment("enr-ghost-c", student, "cls-ghost", "student"))
    _, warnings = district.sync()
    assert only(warnings, "unknown_user")["sourced_id"] == "enr-ghost-u"
    assert only(warnings, "unknown_class")["sourced_id"] == "enr-ghost-c"


def test_records_the_parser_rejects_reach_the_run_as_invalid_record_warnings(
    district: District,
) -> None:
    district.store.upsert(
        "enrollments", {**enrollment("enr-no-user", "x", CLASS, "student"), "user": None}
    )
    district.store.upsert("classes", {**district.store.get("classes", CLASS), "sourcedId": "c-x"})
    district.store.patch("classes", "c-x", {"status": "archived"})
    _, warnings = district.sync()
    invalid = {w["sourced_id"]: w for w in warnings if w["code"] == "invalid_record"}
    assert "the enrollment names no user" in invalid["enr-no-user"]["reason"]
    assert "status 'archived' is neither active nor tobedeleted" in invalid["c-x"]["reason"]
    assert invalid["c-x"]["fix"] == "correct the record in the SIS"
    assert CLASS in district.classes()


def test_a_duplicate_sourced_id_with_different_fields_is_a_warning(
    district: District, monkeypatch: pytest.MonkeyPatch
) -> None:
    listed = list(district.store.all("classes"))
    twin = {**district.store.get("classes", CLASS), "title": "Algebra I - the other one"}
    original = district.store.all
    monkeypatch.setattr(
        district.store, "all", lambda kind: [*listed, twin] if kind == "classes" else original(kind)
    )
    _, warnings = district.sync()
    warning = only(warnings, "invalid_record")
    assert warning["sourced_id"] == CLASS
    assert "same sourcedId and different fields" in warning["reason"]
    assert district.classes()[CLASS]["name"] == "Algebra I - Period 1"


def test_a_run_that_sees_no_school_says_which_org_types_the_sis_sent(district: District) -> None:
    district.store.patch("orgs", SCHOOL, {"type": "department"})
    run, _ = district.sync()
    assert run["state"] == "failed"
    assert "its orgs are of type department, district" in run["failure"]["reason"]
    assert "set the schools' type to school in the SIS" in run["failure"]["reason"]


def test_a_record_a_full_listing_sends_as_tobedeleted_is_an_info_warning(
    district: District,
) -> None:
    student = district.students_of(CLASS)[0]
    gone = next(
        e["sourcedId"]
        for e in district.store.all("enrollments")
        if e["class"]["sourcedId"] == CLASS and e["user"]["sourcedId"] == student
    )
    district.store.patch("enrollments", gone, {"status": "tobedeleted"})
    _, warnings = district.sync()
    [warning] = [
        w for w in warnings if w["code"] == "tobedeleted_in_full" and w["sourced_id"] == gone
    ]
    algebra = district.classes()[CLASS]
    assert (warning["sourced_id"], warning["severity"], warning["value"]) == (
        gone,
        "info",
        "tobedeleted",
    )
    assert student not in {m["sis_user_id"] for m in algebra["students"].values()}
