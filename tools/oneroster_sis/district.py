"""The shared state of the district generator: what to generate (``DistrictSpec``), the school
year, and the records being built with the random stream that every step draws from in turn."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any

Record = dict[str, Any]
Span = tuple[str, str, dt.date, dt.date]  # an academic session: sourcedId, title, start, end


@dataclass(frozen=True)
class DistrictSpec:
    seed: int = 1
    students: int = 200
    schools: int | None = None  # default: one school per 500 students
    sections_per_student: int = 6
    students_per_section: int = 25
    today: dt.date | None = None  # the school year is the one containing this date
    rate_missing_email: float = 0.02
    rate_duplicate_email: float = 0.01
    rate_section_without_teacher: float = 0.02
    rate_co_teacher: float = 0.1
    rate_enrollment_end_date: float = 0.02
    rate_tobedeleted: float = 0.005
    rate_unusual_name: float = 0.08
    demographics: bool = True
    defects: bool = False  # a few records of every data defect (defects.py)

    def __post_init__(self) -> None:
        if self.students < 1:
            raise ValueError("students must be at least 1")
        if self.schools is not None and not 1 <= self.schools <= self.students:
            raise ValueError("schools must be between 1 and the number of students")
        if self.sections_per_student < 1 or self.students_per_section < 1:
            raise ValueError("sections_per_student and students_per_section must be positive")
        for name in (
            "rate_missing_email",
            "rate_duplicate_email",
            "rate_section_without_teacher",
            "rate_co_teacher",
            "rate_enrollment_end_date",
            "rate_tobedeleted",
            "rate_unusual_name",
        ):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1")


class Refs:
    """Shares one reference dict per target, which keeps a 100k-student district small."""

    def __init__(self) -> None:
        self._cache: dict[tuple[str, str], Record] = {}

    def __call__(self, ref_type: str, sourced_id: str) -> Record:
        key = (ref_type, sourced_id)
        ref = self._cache.get(key)
        if ref is None:
            ref = self._cache[key] = {"sourcedId": sourced_id, "type": ref_type}
        return ref


@dataclass(frozen=True)
class Calendar:
    """The school year containing ``today``: two semesters of two grading periods each."""

    today: dt.date
    end_year: int
    start: dt.date
    end: dt.date

    @classmethod
    def containing(cls, today: dt.date) -> Calendar:
        return cls(today, *_school_year(today))

    @property
    def year_id(self) -> str:
        return f"ay-{self.end_year}"

    @property
    def title(self) -> str:
        return f"{self.end_year - 1}-{self.end_year}"

    @property
    def middle(self) -> dt.date:
        return self.start + (self.end - self.start) / 2

    @property
    def semesters(self) -> list[Span]:
        year, middle = self.end_year, self.middle
        return [
            (f"trm-{year}-1", "Semester 1", self.start, middle - dt.timedelta(days=1)),
            (f"trm-{year}-2", "Semester 2", middle, self.end),
        ]

    @property
    def current_term(self) -> str:
        first, second = self.semesters
        return first[0] if self.today < self.middle else second[0]


@dataclass
class District:
    """The records being generated, and the random stream and counters the steps share.

    Every draw from ``rng`` happens in a fixed order, so the same spec gives the same district.
    Records get ``"status": "active"`` when made; ``dateLastModified`` is stamped at the end.
    """

    spec: DistrictSpec
    calendar: Calendar
    rng: random.Random = field(init=False)
    ref: Refs = field(default_factory=Refs)
    orgs: list[Record] = field(default_factory=list)
    sessions: list[Record] = field(default_factory=list)
    courses: list[Record] = field(default_factory=list)
    classes: list[Record] = field(default_factory=list)
    users: list[Record] = field(default_factory=list)
    enrollments: list[Record] = field(default_factory=list)
    demographics: list[Record] = field(default_factory=list)
    categories: list[Record] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)  # every address given so far
    student_count: int = 0
    teacher_count: int = 0
    class_count: int = 0
    enrollment_count: int = 0

    def __post_init__(self) -> None:
        self.rng = random.Random(self.spec.seed)

    def records(self) -> dict[str, list[Record]]:
        """The store's kinds, in this order."""
        return {
            "orgs": self.orgs,
            "academicSessions": self.sessions,
            "courses": self.courses,
            "classes": self.classes,
            "users": self.users,
            "enrollments": self.enrollments,
            "demographics": self.demographics,
            "categories": self.categories,
            "lineItems": [],
            "results": [],
        }


def _school_year(today: dt.date) -> tuple[int, dt.date, dt.date]:
    end_year = today.year + 1 if today.month >= 7 else today.year
    return end_year, dt.date(end_year - 1, 8, 15), dt.date(end_year, 6, 15)
