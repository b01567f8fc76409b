"""Typed, normalized OneRoster records, parsed leniently where real SISes are sloppy and strictly
where it matters. Pure: no I/O.

Lenient: booleans as bools, strings or numbers; explicit nulls; references as GUIDRef objects with
absolute, relative or missing hrefs, or as bare ids; 1.1 ``role`` + ``orgs`` and 1.2 ``roles[]``;
``inactive`` read as ``tobedeleted``. Strict: a record without a sourcedId, an enrollment without a
user or class, a result without a lineItem or student is rejected with a reason, never guessed.

The field readers live in ``fields.py`` and the record types in ``record_types.py``; both are
re-exported here, so ``shared.oneroster.records`` stays the one import for callers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from shared.oneroster.fields import (
    ACTIVE,
    TOBEDELETED,
    RecordProblem,
    boolean,
    date,
    number,
    ref_id,
    ref_ids,
    status_of,
    strings,
    text,
)
from shared.oneroster.record_types import (
    AcademicSession,
    Category,
    ClassRecord,
    Course,
    Enrollment,
    LineItem,
    Org,
    Parsed,
    Rejection,
    Result,
    Role,
    User,
)

__all__ = [
    "ACTIVE",
    "PARSERS",
    "TOBEDELETED",
    "AcademicSession",
    "Category",
    "ClassRecord",
    "Course",
    "Enrollment",
    "LineItem",
    "Org",
    "Parsed",
    "RecordProblem",
    "Rejection",
    "Result",
    "Role",
    "User",
    "boolean",
    "date",
    "number",
    "parse_record",
    "parse_records",
    "ref_id",
    "ref_ids",
    "status_of",
    "strings",
    "text",
]

# 1.1 used a smaller role vocabulary; read both into the 1.2 names.
_ROLE_ALIASES = {"administrator": "districtAdministrator"}


# ---- per kind ----------------------------------------------------------------------------------


def _common(row: Mapping[str, Any]) -> tuple[str, str, str | None]:
    sourced_id = text(row.get("sourcedId"))
    if sourced_id is None:
        raise RecordProblem("it has no sourcedId")
    return sourced_id, status_of(row.get("status")), text(row.get("dateLastModified"))


def _org(row: Mapping[str, Any], version: str) -> Org:
    return Org(
        *_common(row),
        name=text(row.get("name")) or "",
        type=text(row.get("type")) or "",
        identifier=text(row.get("identifier")),
        parent_id=ref_id(row.get("parent")),
    )


def _session(row: Mapping[str, Any], version: str) -> AcademicSession:
    return AcademicSession(
        *_common(row),
        title=text(row.get("title")) or "",
        type=text(row.get("type")) or "",
        start_date=date(row.get("startDate")),
        end_date=date(row.get("endDate")),
        parent_id=ref_id(row.get("parent")),
        school_year=text(row.get("schoolYear"))
        if not isinstance(row.get("schoolYear"), Mapping)
        else ref_id(row.get("schoolYear")),
    )


def _course(row: Mapping[str, Any], version: str) -> Course:
    return Course(
        *_common(row),
        title=text(row.get("title")) or "",
        course_code=text(row.get("courseCode")),
        org_id=ref_id(row.get("org")),
        school_year_id=ref_id(row.get("schoolYear")),
    )


def _class(row: Mapping[str, Any], version: str) -> ClassRecord:
    return ClassRecord(
        *_common(row),
        title=text(row.get("title")) or "",
        class_code=text(row.get("classCode")),
        class_type=text(row.get("classType")),
        location=text(row.get("location")),
        course_id=ref_id(row.get("course")),
        school_id=ref_id(row.get("school")),
        term_ids=ref_ids(row.get("terms")),
        periods=strings(row.get("periods")),
        grades=strings(row.get("grades")),
        subjects=strings(row.get("subjects")),
    )


def _role_name(value: Any) -> str:
    name = text(value) or ""
    return _ROLE_ALIASES.get(name, name)


def _listed_role(entry: Mapping[str, Any]) -> Role:
    """One entry of a 1.2 ``roles[]`` list."""
    return Role(
        role=_role_name(entry.get("role")),
        role_type=text(entry.get("roleType")) or "primary",
        org_id=ref_id(entry.get("org")),
        begin_date=date(entry.get("beginDate")),
        end_date=date(entry.get("endDate")),
    )


def _roles(row: Mapping[str, Any]) -> tuple[Role, ...]:
    listed = row.get("roles")
    if isinstance(listed, list) and listed:
        return tuple(_listed_role(entry) for entry in listed if isinstance(entry, Mapping))
    role = _role_name(row.get("role"))
    if not role:
        return ()
    orgs = ref_ids(row.get("orgs"))
    if not orgs:
        return (Role(role, "primary", None),)
    return tuple(
        Role(role, "primary" if index == 0 else "secondary", org) for index, org in enumerate(orgs)
    )


def _user_ids(value: Any) -> tuple[tuple[str, str], ...]:
    out = []
    for item in value if isinstance(value, list) else []:
        if isinstance(item, Mapping) and text(item.get("identifier")):
            out.append((text(item.get("type")) or "", text(item.get("identifier")) or ""))
    return tuple(out)


def _user(row: Mapping[str, Any], version: str) -> User:
    roles = _roles(row)
    primary_org = ref_id(row.get("primaryOrg"))
    if primary_org is None and roles:
        primary_org = next((r.org_id for r in roles if r.role_type == "primary"), roles[0].org_id)
    return User(
        *_common(row),
        enabled=boolean(row.get("enabledUser"), default=True),
        given_name=text(row.get("givenName")) or "",
        family_name=text(row.get("familyName")) or "",
        middle_name=text(row.get("middleName")),
        preferred_first_name=text(row.get("preferredFirstName")),
        username=text(row.get("username")),
        email=text(row.get("email")),
        identifier=text(row.get("identifier")),
        roles=roles,
        primary_org_id=primary_org,
        grades=strings(row.get("grades")),
        user_ids=_user_ids(row.get("userIds")),
    )


def _enrollment(row: Mapping[str, Any], version: str) -> Enrollment:
    user_id, class_id = ref_id(row.get("user")), ref_id(row.get("class"))
    if user_id is None:
        raise RecordProblem("the enrollment names no user")
    if class_id is None:
        raise RecordProblem("the enrollment names no class")
    return Enrollment(
        *_common(row),
        user_id=user_id,
        class_id=class_id,
        school_id=ref_id(row.get("school")),
        role=_role_name(row.get("role")),
        primary=boolean(row.get("primary"), default=False),
        begin_date=date(row.get("beginDate")),
        end_date=date(row.get("endDate")),
    )


def _category(row: Mapping[str, Any], version: str) -> Category:
    return Category(
        *_common(row), title=text(row.get("title")) or "", weight=number(row.get("weight"))
    )


def _line_item(row: Mapping[str, Any], version: str) -> LineItem:
    return LineItem(
        *_common(row),
        title=text(row.get("title")) or "",
        description=text(row.get("description")),
        assign_date=text(row.get("assignDate")),
        due_date=text(row.get("dueDate")),
        class_id=ref_id(row.get("class")),
        school_id=ref_id(row.get("school")),
        category_id=ref_id(row.get("category")),
        grading_period_id=ref_id(row.get("gradingPeriod")),
        result_value_min=number(row.get("resultValueMin")),
        result_value_max=number(row.get("resultValueMax")),
    )


def _result(row: Mapping[str, Any], version: str) -> Result:
    line_item_id, student_id = ref_id(row.get("lineItem")), ref_id(row.get("student"))
    if line_item_id is None:
        raise RecordProblem("the result names no lineItem")
    if student_id is None:
        raise RecordProblem("the result names no student")
    return Result(
        *_common(row),
        line_item_id=line_item_id,
        student_id=student_id,
        class_id=ref_id(row.get("class")),
        score_status=text(row.get("scoreStatus")),
        score=number(row.get("score")),
        text_score=text(row.get("textScore")),
        score_date=text(row.get("scoreDate")),
        comment=text(row.get("comment")),
    )


PARSERS: dict[str, Callable[[Mapping[str, Any], str], Any]] = {
    "orgs": _org,
    "academicSessions": _session,
    "courses": _course,
    "classes": _class,
    "users": _user,
    "enrollments": _enrollment,
    "categories": _category,
    "lineItems": _line_item,
    "results": _result,
}


def parse_record(kind: str, row: Any, version: str) -> Any:
    """One record, or ``RecordProblem`` saying why it cannot be used."""
    if not isinstance(row, Mapping):
        raise RecordProblem(f"it is a {type(row).__name__}, not a JSON object")
    return PARSERS[kind](row, version)


def parse_records(kind: str, rows: Iterable[Any], version: str) -> Parsed[Any]:
    """Every usable record, in order; the first of duplicate sourcedIds is kept, and a later one
    that differs from it is rejected with a reason."""
    if kind not in PARSERS:
        raise ValueError(f"no parser for {kind!r}; one of {sorted(PARSERS)}")
    records: list[Any] = []
    rejections: list[Rejection] = []
    seen: dict[str, Any] = {}
    for index, row in enumerate(rows):
        try:
            record = parse_record(kind, row, version)
        except RecordProblem as problem:
            raw_id = row.get("sourcedId") if isinstance(row, Mapping) else None
            rejections.append(
                Rejection(kind, index, text(raw_id), f"{kind} record skipped: {problem}")
            )
            continue
        first = seen.setdefault(record.sourced_id, record)
        if first is record:
            records.append(record)
        elif first != record:  # an identical repeat (a known vendor quirk) is harmless
            rejections.append(Rejection(kind, index, record.sourced_id, _DUPLICATE.format(kind)))
    return Parsed(tuple(records), tuple(rejections))


_DUPLICATE = (
    "{} record skipped: another record with the same sourcedId and different fields came "
    "first in the same listing, and that one was kept"
)
