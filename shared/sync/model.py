"""Plain data the roster planner works on. No I/O, no clock: today is an argument."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

MemberStatus = Literal["active", "removed"]
MemberSource = Literal["sis", "manual"]
OfferState = Literal["pending", "accepted", "declined"]


@dataclass(frozen=True, slots=True)
class SisSection:
    sourced_id: str
    title: str
    school_id: str
    term_ids: tuple[str, ...]
    course_id: str | None = None
    class_code: str | None = None
    status: str = "active"  # active | tobedeleted (removed in the SIS or missing from a full fetch)
    periods: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SisEnrollment:
    sourced_id: str
    user_id: str
    class_id: str
    role: str
    primary: bool = False
    begin_date: dt.date | None = None
    end_date: dt.date | None = None
    status: str = "active"

    def current(self, today: dt.date) -> bool:
        if self.status != "active":
            return False
        if self.begin_date and self.begin_date > today:
            return False
        return not (self.end_date and self.end_date < today)


@dataclass(frozen=True, slots=True)
class Term:
    sourced_id: str
    start_date: dt.date | None
    end_date: dt.date | None
    title: str = ""


@dataclass(frozen=True, slots=True)
class Member:
    status: MemberStatus = "active"
    source: MemberSource = "sis"
    removed_by: Literal["sis", "teacher"] | None = None


@dataclass(frozen=True, slots=True)
class ClassroomClass:
    """What Firestore holds for a class the sync created, including the teachers' own changes."""

    class_id: str
    section_id: str
    school_id: str
    offer_state: OfferState
    name: str
    name_source: Literal["sis", "teacher"]
    sis_title: str
    owner_id: str | None
    archived: bool = False
    archived_reason: str | None = None
    term_ids: tuple[str, ...] = ()
    co_teachers: Mapping[str, Member] = field(default_factory=dict)
    students: Mapping[str, Member] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class DataWarning:
    code: str
    record_kind: str
    sourced_id: str
    reason: str
    fix: str
    school_id: str | None = None
    severity: str = "warning"  # "warning": something was skipped or guessed; "info": noted only
    field: str | None = None  # the record's field at fault, as OneRoster names it
    value: str | None = None  # that field's value as the SIS sent it
    location: str | None = None  # where in a CSV package, e.g. "users.csv line 12, column role"


@dataclass(frozen=True, slots=True)
class ClassChange:
    """Everything the sync will change on one class. Removals are kept apart so a guard can hold
    them while the rest goes ahead."""

    class_id: str
    section_id: str
    school_id: str
    create: bool = False
    sis_title: str | None = None  # new SIS title (the name follows only if the teacher kept it)
    term_ids: tuple[str, ...] | None = None
    owner_id: str | None = None  # new owner
    archive_reason: str | None = None
    unarchive: bool = False
    add_students: tuple[str, ...] = ()
    restore_students: tuple[str, ...] = ()
    remove_students: tuple[str, ...] = ()
    add_co_teachers: tuple[str, ...] = ()
    restore_co_teachers: tuple[str, ...] = ()
    remove_co_teachers: tuple[str, ...] = ()

    @property
    def removals(self) -> int:
        return (
            len(self.remove_students)
            + len(self.remove_co_teachers)
            + (1 if self.archive_reason == ARCHIVE_SECTION_REMOVED else 0)
        )

    def is_empty(self) -> bool:
        return self == ClassChange(self.class_id, self.section_id, self.school_id)


ARCHIVE_SECTION_REMOVED = "section no longer sent by the SIS"
ARCHIVE_TERM_ENDED = "all of the class's terms have ended"


@dataclass(frozen=True, slots=True)
class SchoolPlan:
    school_id: str
    changes: tuple[ClassChange, ...]
    warnings: tuple[DataWarning, ...]

    def counts(self) -> dict[str, int]:
        c = self.changes
        return {
            "classes_offered": sum(1 for x in c if x.create),
            "classes_renamed": sum(1 for x in c if x.sis_title is not None and not x.create),
            "classes_archived": sum(1 for x in c if x.archive_reason),
            "classes_restored": sum(1 for x in c if x.unarchive),
            "owners_changed": sum(1 for x in c if x.owner_id and not x.create),
            "students_added": sum(len(x.add_students) for x in c),
            "students_restored": sum(len(x.restore_students) for x in c),
            "students_removed": sum(len(x.remove_students) for x in c),
            "co_teachers_added": sum(
                len(x.add_co_teachers) + len(x.restore_co_teachers) for x in c
            ),
            "co_teachers_removed": sum(len(x.remove_co_teachers) for x in c),
            "warnings": len(self.warnings),
        }
