"""Checks of one school's roster data that the planner's decisions rest on: each finds a defect
an admin can fix in the SIS and says so as a ``DataWarning`` (the record, the reason, the fix).
Pure: no I/O, no clock (today is an argument)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from shared.ids import from_safe_id
from shared.sync.model import DataWarning, SisEnrollment, SisSection, Term
from shared.sync.warning_codes import fix_text

# Enrollment roles of OneRoster 1.1 and 1.2 (the parser reads 1.1 ``administrator`` as
# ``districtAdministrator``); ``ext:`` values are the spec's extension mechanism.
ENROLLMENT_ROLES = frozenset(
    {"student", "teacher", "administrator", "districtAdministrator", "proctor", "aide"}
)
# Roles whose enrollments the planner reads, and the listing a user must come from for each.
PLANNED_ROLES = frozenset({"student", "teacher"})
# The record kind of each school resource a run pages through.
RESOURCE_KINDS = {
    "classes": "class",
    "enrollments": "enrollment",
    "students": "user",
    "teachers": "user",
    "courses": "course",
    "terms": "academicSession",
}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")


def _iso(day: dt.date | None) -> str:
    return day.isoformat() if day else "?"


def fallback_title(section: SisSection) -> str:
    """The class name for a section without a title: its class code (else course, else id) and
    its periods."""
    base = section.class_code or section.course_id or section.sourced_id
    if section.periods:
        return f"{base} - Period {', '.join(section.periods)}"
    return base


def titled_section(section: SisSection, school_id: str) -> tuple[SisSection, DataWarning | None]:
    """The section with a usable title; a blank one gets the fallback name and a warning."""
    if section.title.strip() or section.status != "active":
        return section, None
    named = replace(section, title=fallback_title(section))
    return named, DataWarning(
        "blank_section_title",
        "class",
        section.sourced_id,
        f"the section has an empty title; its class is named {named.title!r} instead",
        fix_text("blank_section_title"),
        school_id,
        field="title",
        value=section.title,
    )


def enrollment_problem(enrollment: SisEnrollment, school_id: str) -> DataWarning | None:
    """An unknown role or dates out of order: the enrollment is not used for the roster."""
    if enrollment.status != "active":
        return None
    role = enrollment.role
    if role not in ENROLLMENT_ROLES and not role.startswith("ext:"):
        return DataWarning(
            "unknown_enrollment_role",
            "enrollment",
            enrollment.sourced_id,
            f"the enrollment's role {role!r} is not a OneRoster enrollment role; "
            "the enrollment is ignored",
            fix_text("unknown_enrollment_role"),
            school_id,
            field="role",
            value=role,
        )
    begin, end = enrollment.begin_date, enrollment.end_date
    if begin and end and begin > end:
        return DataWarning(
            "dates_out_of_order",
            "enrollment",
            enrollment.sourced_id,
            f"the enrollment begins ({_iso(begin)}) after it ends ({_iso(end)}); "
            "the enrollment is ignored",
            fix_text("dates_out_of_order", "enrollment"),
            school_id,
            field="beginDate",
            value=_iso(begin),
        )
    return None


def usable_enrollment(enrollment: SisEnrollment) -> bool:
    return enrollment.status == "active" and enrollment.role in PLANNED_ROLES


def role_conflict(
    enrollment: SisEnrollment, user_role: str | None, school_id: str
) -> DataWarning | None:
    """A student enrolled as a teacher, or a teacher enrolled as a student: never trusted, so a
    student is never made an owner or co-teacher, and a teacher never joins a roster."""
    if not usable_enrollment(enrollment) or user_role is None or user_role == enrollment.role:
        return None
    return DataWarning(
        "role_mismatch",
        "enrollment",
        enrollment.sourced_id,
        f"user {enrollment.user_id!r} is a {user_role} in the SIS but is enrolled in class "
        f"{enrollment.class_id!r} as a {enrollment.role}; the enrollment is ignored",
        fix_text("role_mismatch"),
        school_id,
        field="role",
        value=enrollment.role,
    )


def ended_terms_warning(
    section: SisSection, terms: Mapping[str, Term], school_id: str
) -> DataWarning:
    """Why a section whose terms all ended is not offered, naming the terms and their dates."""
    described = "; ".join(
        f"{terms[t].title or t} ({_iso(terms[t].start_date)} to {_iso(terms[t].end_date)})"
        for t in section.term_ids
        if t in terms
    )
    return DataWarning(
        "term_ended",
        "class",
        section.sourced_id,
        f"every term of section {section.title!r} has ended: {described}; "
        "it is not offered as a class",
        fix_text("term_ended"),
        school_id,
        severity="info",
        field="terms",
        value=", ".join(section.term_ids),
    )


def outside_terms(
    enrollment: SisEnrollment, section: SisSection, terms: Mapping[str, Term], school_id: str
) -> DataWarning | None:
    """An enrollment whose dates fall wholly outside its class's terms (all terms known)."""
    known = [terms[t] for t in section.term_ids if t in terms]
    if not known or len(known) != len(section.term_ids) or not usable_enrollment(enrollment):
        return None
    starts = [t.start_date for t in known if t.start_date]
    ends = [t.end_date for t in known if t.end_date]
    begin, end = enrollment.begin_date, enrollment.end_date
    late = bool(begin and ends and begin > max(ends))
    early = bool(end and starts and end < min(starts))
    if not (late or early):
        return None
    return DataWarning(
        "enrollment_outside_term",
        "enrollment",
        enrollment.sourced_id,
        f"the enrollment ({_iso(begin)} to {_iso(end)}) lies outside the terms of class "
        f"{section.sourced_id!r}",
        fix_text("enrollment_outside_term"),
        school_id,
        severity="info",
        field="beginDate" if late else "endDate",
        value=_iso(begin if late else end),
    )


def _user_warnings(doc: Mapping[str, Any], enrolled: bool, school_id: str) -> list[DataWarning]:
    data = doc.get("data") or {}
    sourced_id = str(doc.get("sourcedId"))
    out = []
    if enrolled and data.get("enabled") is False:
        out.append(
            DataWarning(
                "disabled_user",
                "user",
                sourced_id,
                "the user is disabled in the SIS (enabledUser is false) but is still enrolled; "
                "Rostersync keeps them on their classes",
                fix_text("disabled_user"),
                school_id,
                field="enabledUser",
                value="false",
            )
        )
    email = data.get("email")
    if email and not _EMAIL.match(str(email)):
        out.append(
            DataWarning(
                "malformed_email",
                "user",
                sourced_id,
                f"the user's email {email!r} is not an email address",
                fix_text("malformed_email"),
                school_id,
                field="email",
                value=str(email),
            )
        )
    return out


def user_warnings(
    users: Iterable[Mapping[str, Any]], enrolled: set[str], school_id: str
) -> list[DataWarning]:
    """Disabled users still enrolled and malformed emails, from the school's user mirror."""
    out = []
    for doc in users:
        if doc.get("status", "active") == "active":
            out.extend(_user_warnings(doc, doc.get("sourcedId") in enrolled, school_id))
    return out


def term_warnings(terms: Iterable[Term]) -> list[DataWarning]:
    """Terms that start after they end (district-wide, from the start step)."""
    return [
        DataWarning(
            "dates_out_of_order",
            "academicSession",
            term.sourced_id,
            f"term {term.title or term.sourced_id!r} starts ({_iso(term.start_date)}) after "
            f"it ends ({_iso(term.end_date)})",
            fix_text("dates_out_of_order", "academicSession"),
            field="startDate",
            value=_iso(term.start_date),
        )
        for term in terms
        if term.start_date and term.end_date and term.start_date > term.end_date
    ]


def mirror_user_warnings(
    docs: Mapping[str, Iterable[Mapping[str, Any]]], school_id: str
) -> list[DataWarning]:
    """``user_warnings`` over a school's mirror: its teachers and students, and who of them an
    active enrollment names."""
    enrolled = {
        str((d.get("data") or {}).get("user_id"))
        for d in docs.get("enrollments", ())
        if d.get("status", "active") == "active"
    }
    users = [*docs.get("teachers", ()), *docs.get("students", ())]
    return user_warnings(users, enrolled, school_id)


def split_duplicates(
    pages: Iterable[tuple[str, int, Iterable[str]]], school_id: str
) -> list[DataWarning]:
    """A sourcedId that came on two or more pages of one resource in a run (pages as
    ``(resource, page index, safe ids)``): only the last copy is kept, so if the SIS holds two
    records under that id, the others are lost."""
    seen: dict[tuple[str, str], set[int]] = {}
    for resource, index, ids in pages:
        for safe in ids:
            seen.setdefault((resource, safe), set()).add(index)
    return [
        _split_duplicate(resource, from_safe_id(safe), sorted(indexes), school_id)
        for (resource, safe), indexes in sorted(seen.items())
        if len(indexes) > 1
    ]


def _split_duplicate(
    resource: str, sourced_id: str, indexes: list[int], school_id: str
) -> DataWarning:
    numbers = ", ".join(str(i + 1) for i in indexes)
    return DataWarning(
        "duplicate_sourced_id",
        RESOURCE_KINDS.get(resource, resource),
        sourced_id,
        f"sourcedId {sourced_id!r} came on pages {numbers} of {resource}; only the last copy is "
        "kept, so if these are different records the others are lost",
        fix_text("duplicate_sourced_id"),
        school_id,
        field="sourcedId",
        value=sourced_id,
    )


def tobedeleted_in_full(
    docs: Mapping[str, Iterable[Mapping[str, Any]]],
    fetched: Mapping[str, set[str]],
    school_id: str,
) -> list[DataWarning]:
    """Records a full listing of this run sent with status ``tobedeleted`` (``fetched``: the safe
    ids its pages received, per resource). OneRoster allows them in a full listing and they mean
    deleted; the planner already treats them so, this only says it."""
    return [
        DataWarning(
            "tobedeleted_in_full",
            RESOURCE_KINDS.get(resource, resource),
            str(doc.get("sourcedId")),
            f"the full listing of {resource} sent the record with status tobedeleted; it is "
            "treated as deleted",
            fix_text("tobedeleted_in_full"),
            school_id,
            severity="info",
            field="status",
            value="tobedeleted",
        )
        for resource, ids in sorted(fetched.items())
        for doc in docs.get(resource, ())
        if doc.get("status") == "tobedeleted" and doc.get("_id") in ids
    ]
