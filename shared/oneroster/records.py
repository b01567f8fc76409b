"""Typed, normalized OneRoster records, parsed leniently where real SISes are sloppy and strictly
where it matters. Pure: no I/O.

Lenient: booleans as bools, strings or numbers; explicit nulls; references as GUIDRef objects with
absolute, relative or missing hrefs, or as bare ids; 1.1 ``role`` + ``orgs`` and 1.2 ``roles[]``;
``inactive`` read as ``tobedeleted``. Strict: a record without a sourcedId, an enrollment without a
user or class, a result without a lineItem or student is rejected with a reason, never guessed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

ACTIVE, TOBEDELETED = "active", "tobedeleted"
_STATUS = {
    None: ACTIVE,
    "": ACTIVE,
    "active": ACTIVE,
    "tobedeleted": TOBEDELETED,
    "inactive": TOBEDELETED,
    "deleted": TOBEDELETED,
}
_TRUE = {"true", "1", "yes", "y", "t"}
_FALSE = {"false", "0", "no", "n", "f", ""}
# 1.1 used a smaller role vocabulary; read both into the 1.2 names.
_ROLE_ALIASES = {"administrator": "districtAdministrator"}


class RecordProblem(ValueError):
    """Why one record cannot be used."""


@dataclass(frozen=True, slots=True)
class Rejection:
    kind: str
    index: int  # position in the page or listing
    sourced_id: str | None
    reason: str


@dataclass(frozen=True, slots=True)
class Org:
    sourced_id: str
    status: str
    date_last_modified: str | None
    name: str
    type: str
    identifier: str | None
    parent_id: str | None


@dataclass(frozen=True, slots=True)
class AcademicSession:
    sourced_id: str
    status: str
    date_last_modified: str | None
    title: str
    type: str
    start_date: dt.date | None
    end_date: dt.date | None
    parent_id: str | None
    school_year: str | None


@dataclass(frozen=True, slots=True)
class Course:
    sourced_id: str
    status: str
    date_last_modified: str | None
    title: str
    course_code: str | None
    org_id: str | None
    school_year_id: str | None


@dataclass(frozen=True, slots=True)
class ClassRecord:
    sourced_id: str
    status: str
    date_last_modified: str | None
    title: str
    class_code: str | None
    class_type: str | None
    location: str | None
    course_id: str | None
    school_id: str | None
    term_ids: tuple[str, ...]
    periods: tuple[str, ...]
    grades: tuple[str, ...]
    subjects: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Role:
    role: str
    role_type: str
    org_id: str | None
    begin_date: dt.date | None = None
    end_date: dt.date | None = None


@dataclass(frozen=True, slots=True)
class User:
    sourced_id: str
    status: str
    date_last_modified: str | None
    enabled: bool
    given_name: str
    family_name: str
    middle_name: str | None
    preferred_first_name: str | None
    username: str | None
    email: str | None
    identifier: str | None
    roles: tuple[Role, ...]
    primary_org_id: str | None
    grades: tuple[str, ...]
    user_ids: tuple[tuple[str, str], ...]

    @property
    def role(self) -> str:
        """The primary role (first role when none is marked primary)."""
        for entry in self.roles:
            if entry.role_type == "primary":
                return entry.role
        return self.roles[0].role if self.roles else ""

    @property
    def org_ids(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(r.org_id for r in self.roles if r.org_id))

    def has_role(self, role: str) -> bool:
        return any(r.role == role for r in self.roles)


@dataclass(frozen=True, slots=True)
class Enrollment:
    sourced_id: str
    status: str
    date_last_modified: str | None
    user_id: str
    class_id: str
    school_id: str | None
    role: str
    primary: bool
    begin_date: dt.date | None
    end_date: dt.date | None


@dataclass(frozen=True, slots=True)
class Category:
    sourced_id: str
    status: str
    date_last_modified: str | None
    title: str
    weight: float | None


@dataclass(frozen=True, slots=True)
class LineItem:
    sourced_id: str
    status: str
    date_last_modified: str | None
    title: str
    description: str | None
    assign_date: str | None
    due_date: str | None
    class_id: str | None
    school_id: str | None
    category_id: str | None
    grading_period_id: str | None
    result_value_min: float | None
    result_value_max: float | None


@dataclass(frozen=True, slots=True)
class Result:
    sourced_id: str
    status: str
    date_last_modified: str | None
    line_item_id: str
    student_id: str
    class_id: str | None
    score_status: str | None
    score: float | None
    text_score: str | None
    score_date: str | None
    comment: str | None


T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Parsed(Generic[T]):
    records: tuple[T, ...]
    rejections: tuple[Rejection, ...]


# ---- lenient field readers -------------------------------------------------------------------


def text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        stripped = value.strip()
        return stripped or None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return None


def boolean(value: Any, default: bool) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False if lowered else default
    return default


def number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str) and value.strip():
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


def date(value: Any) -> dt.date | None:
    raw = text(value)
    if raw is None:
        return None
    try:
        return dt.date.fromisoformat(raw[:10])
    except ValueError:
        return None


def ref_id(value: Any) -> str | None:
    """The sourcedId of a GUIDRef (absolute, relative or missing href) or of a bare id."""
    if isinstance(value, Mapping):
        return text(value.get("sourcedId"))
    return text(value)


def ref_ids(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    items = value if isinstance(value, list) else [value]
    return tuple(dict.fromkeys(i for i in (ref_id(v) for v in items) if i))


def strings(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(p.strip() for p in value.split(",") if p.strip())
    if isinstance(value, list):
        return tuple(t for t in (text(v) for v in value) if t)
    return ()


def status_of(value: Any) -> str:
    key = value.strip().lower() if isinstance(value, str) else value
    if key not in _STATUS:
        raise RecordProblem(f"status {value!r} is neither active nor tobedeleted")
    return _STATUS[key]


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


def _roles(row: Mapping[str, Any]) -> tuple[Role, ...]:
    listed = row.get("roles")
    if isinstance(listed, list) and listed:
        roles = []
        for entry in listed:
            if not isinstance(entry, Mapping):
                continue
            roles.append(
                Role(
                    role=_role_name(entry.get("role")),
                    role_type=text(entry.get("roleType")) or "primary",
                    org_id=ref_id(entry.get("org")),
                    begin_date=date(entry.get("beginDate")),
                    end_date=date(entry.get("endDate")),
                )
            )
        return tuple(roles)
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
    """Every usable record, in order; the first of duplicate sourcedIds is kept."""
    if kind not in PARSERS:
        raise ValueError(f"no parser for {kind!r}; one of {sorted(PARSERS)}")
    records: list[Any] = []
    rejections: list[Rejection] = []
    seen: set[str] = set()
    for index, row in enumerate(rows):
        try:
            record = parse_record(kind, row, version)
        except RecordProblem as problem:
            raw_id = row.get("sourcedId") if isinstance(row, Mapping) else None
            rejections.append(
                Rejection(kind, index, text(raw_id), f"{kind} record skipped: {problem}")
            )
            continue
        if record.sourced_id in seen:
            continue
        seen.add(record.sourced_id)
        records.append(record)
    return Parsed(tuple(records), tuple(rejections))
