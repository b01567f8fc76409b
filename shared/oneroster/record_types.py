"""The typed, normalized OneRoster records the parsers in ``records.py`` build. Pure: no I/O."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Generic, TypeVar


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
