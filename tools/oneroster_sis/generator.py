"""A deterministic synthetic school district with the untidiness of real SIS data.

The same ``DistrictSpec`` always gives the same records. Sizes run from a few dozen users to
hundreds of thousands of students; rates control missing and duplicate emails, sections without a
teacher, co-teachers, enrollments with end dates, ``tobedeleted`` records and names outside
[A-Za-z0-9].
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass
from typing import Any

from tools.oneroster_sis.store import format_timestamp

Record = dict[str, Any]

GIVEN = (
    "Ava",
    "Liam",
    "Mia",
    "Noah",
    "Emma",
    "Ethan",
    "Sofia",
    "Lucas",
    "Isabella",
    "Mason",
    "Amelia",
    "Logan",
    "Harper",
    "Elijah",
    "Ella",
    "James",
    "Aria",
    "Benjamin",
    "Chloe",
    "Henry",
    "Layla",
    "Jack",
    "Nora",
    "Owen",
    "Zoe",
    "Caleb",
    "Grace",
    "Daniel",
    "Lily",
    "Samuel",
    "Hannah",
    "David",
    "Maya",
    "Leo",
    "Ruby",
    "Isaac",
    "Alice",
    "Ezra",
    "Clara",
    "Miles",
)
FAMILY = (
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Torres",
    "Nguyen",
    "Hill",
    "Flores",
)
UNUSUAL_GIVEN = ("José", "Zoë", "Mary-Jane", "Björn", "Siobhán", "Nguyễn Văn", "Chloé", "Renée")
UNUSUAL_FAMILY = (
    "O'Connor",
    "García-López",
    "van der Berg",
    "Müller",
    "D'Angelo",
    "St. John",
    "Ó Briain",
    "Łukasz",
)
SUBJECTS = (
    ("Algebra I", "Mathematics"),
    ("Geometry", "Mathematics"),
    ("Biology", "Science"),
    ("Chemistry", "Science"),
    ("English", "English Language Arts"),
    ("World History", "Social Studies"),
    ("Spanish I", "World Languages"),
    ("Art", "Fine Arts"),
    ("Physical Education", "Physical Education"),
    ("Computer Science", "Technology"),
    ("Music", "Fine Arts"),
    ("Economics", "Social Studies"),
)
CATEGORIES = ("Homework", "Quizzes", "Tests", "Projects")
SECTIONS_PER_TEACHER = 5


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


class _Refs:
    """Shares one reference dict per target, which keeps a 100k-student district small."""

    def __init__(self) -> None:
        self._cache: dict[tuple[str, str], Record] = {}

    def __call__(self, ref_type: str, sourced_id: str) -> Record:
        key = (ref_type, sourced_id)
        ref = self._cache.get(key)
        if ref is None:
            ref = self._cache[key] = {"sourcedId": sourced_id, "type": ref_type}
        return ref


def _school_year(today: dt.date) -> tuple[int, dt.date, dt.date]:
    end_year = today.year + 1 if today.month >= 7 else today.year
    return end_year, dt.date(end_year - 1, 8, 15), dt.date(end_year, 6, 15)


def generate_district(spec: DistrictSpec) -> dict[str, list[Record]]:
    rng = random.Random(spec.seed)
    ref = _Refs()
    today = spec.today or dt.date.today()
    active = {"status": "active"}  # dateLastModified is stamped at the end
    n_schools = spec.schools or max(1, round(spec.students / 500))

    end_year, year_start, year_end = _school_year(today)
    year_id = f"ay-{end_year}"
    middle = year_start + (year_end - year_start) / 2
    semesters = [
        (f"trm-{end_year}-1", "Semester 1", year_start, middle - dt.timedelta(days=1)),
        (f"trm-{end_year}-2", "Semester 2", middle, year_end),
    ]
    sessions: list[Record] = [
        {
            "sourcedId": year_id,
            **active,
            "title": f"{end_year - 1}-{end_year}",
            "type": "schoolYear",
            "startDate": year_start.isoformat(),
            "endDate": year_end.isoformat(),
            "schoolYear": str(end_year),
            "children": [ref("academicSession", t[0]) for t in semesters],
        }
    ]
    for term_id, title, start, end in semesters:
        half = start + (end - start) / 2
        periods = [
            (f"{term_id}-gp1", f"{title} Quarter 1", start, half - dt.timedelta(days=1)),
            (f"{term_id}-gp2", f"{title} Quarter 2", half, end),
        ]
        sessions.append(
            {
                "sourcedId": term_id,
                **active,
                "title": f"{title} {end_year - 1}-{end_year}",
                "type": "term",
                "startDate": start.isoformat(),
                "endDate": end.isoformat(),
                "schoolYear": str(end_year),
                "parent": ref("academicSession", year_id),
                "children": [ref("academicSession", p[0]) for p in periods],
            }
        )
        for period_id, period_title, p_start, p_end in periods:
            sessions.append(
                {
                    "sourcedId": period_id,
                    **active,
                    "title": period_title,
                    "type": "gradingPeriod",
                    "startDate": p_start.isoformat(),
                    "endDate": p_end.isoformat(),
                    "schoolYear": str(end_year),
                    "parent": ref("academicSession", term_id),
                }
            )
    current_term = semesters[0][0] if today < middle else semesters[1][0]

    district_id = "dist-0001"
    school_ids = [f"sch-{i + 1:04d}" for i in range(n_schools)]
    orgs: list[Record] = [
        {
            "sourcedId": district_id,
            **active,
            "name": "Rostersync Unified School District",
            "type": "district",
            "identifier": "RUSD",
            "children": [ref("org", s) for s in school_ids],
        }
    ]
    for index, school_id in enumerate(school_ids):
        orgs.append(
            {
                "sourcedId": school_id,
                **active,
                "name": f"{FAMILY[index % len(FAMILY)]} {'High' if index % 2 else 'Middle'} School",
                "type": "school",
                "identifier": f"{100 + index}",
                "parent": ref("org", district_id),
            }
        )

    users: list[Record] = []
    emails: list[str] = []
    demographics: list[Record] = []

    def person(prefix: str) -> tuple[str, str]:
        given = rng.choice(GIVEN)
        family = rng.choice(FAMILY)
        if rng.random() < spec.rate_unusual_name:
            if rng.random() < 0.5:
                given = rng.choice(UNUSUAL_GIVEN)
            else:
                family = rng.choice(UNUSUAL_FAMILY)
        return given, family

    def ascii_part(text: str) -> str:
        return "".join(ch for ch in text.lower() if ch.isascii() and ch.isalnum()) or "x"

    def add_user(user_id: str, role: str, school_id: str, domain: str, grade: str | None) -> None:
        given, family = person(user_id)
        email: str | None = f"{ascii_part(given)}.{ascii_part(family)}.{user_id[4:]}@{domain}"
        roll = rng.random()
        if roll < spec.rate_missing_email:
            email = None
        elif roll < spec.rate_missing_email + spec.rate_duplicate_email and emails:
            email = rng.choice(emails)
        user: Record = {
            "sourcedId": user_id,
            **active,
            "enabledUser": True,
            "username": f"{ascii_part(given)[:1]}{ascii_part(family)}{user_id[4:]}",
            "userIds": [{"type": "districtId", "identifier": user_id.upper()}],
            "givenName": given,
            "familyName": family,
            "roles": [{"roleType": "primary", "role": role, "org": ref("org", school_id)}],
            "primaryOrg": ref("org", school_id),
            "identifier": user_id[4:],
        }
        if email:
            user["email"] = email
            emails.append(email)
        if grade:
            user["grades"] = [grade]
        users.append(user)
        if spec.demographics and role == "student":
            born = dt.date(
                end_year - 6 - int(grade or "6"), 1 + rng.randrange(12), 1 + rng.randrange(28)
            )
            demographics.append(
                {
                    "sourcedId": user_id,
                    **active,
                    "birthDate": born.isoformat(),
                    "sex": rng.choice(("female", "male", "other", "unspecified")),
                    "hispanicOrLatinoEthnicity": rng.random() < 0.2,
                }
            )

    courses: list[Record] = []
    classes: list[Record] = []
    enrollments: list[Record] = []
    enrollment_number = 0
    student_number = 0
    teacher_number = 0
    class_number = 0

    def enroll(user_id: str, class_id: str, school_id: str, role: str, **extra: Any) -> None:
        nonlocal enrollment_number
        enrollment_number += 1
        record: Record = {
            "sourcedId": f"enr-{enrollment_number:07d}",
            **active,
            "user": ref("user", user_id),
            "class": ref("class", class_id),
            "school": ref("org", school_id),
            "role": role,
            **extra,
        }
        enrollments.append(record)

    base, remainder = divmod(spec.students, n_schools)
    for index, school_id in enumerate(school_ids):
        n_students = base + (1 if index < remainder else 0)
        grade_band = ("06", "07", "08") if index % 2 == 0 else ("09", "10", "11", "12")
        student_ids = []
        for _ in range(n_students):
            student_number += 1
            student_id = f"stu-{student_number:06d}"
            student_ids.append(student_id)
            add_user(
                student_id,
                "student",
                school_id,
                "students.rusd.example.org",
                grade_band[student_number % len(grade_band)],
            )
        n_sections = max(
            spec.sections_per_student,
            math.ceil(n_students * spec.sections_per_student / spec.students_per_section),
        )
        n_teachers = max(1, math.ceil(n_sections / SECTIONS_PER_TEACHER))
        teacher_ids = []
        for _ in range(n_teachers):
            teacher_number += 1
            teacher_id = f"tch-{teacher_number:05d}"
            teacher_ids.append(teacher_id)
            add_user(teacher_id, "teacher", school_id, "rusd.example.org", None)
        course_ids = []
        for c_index, (title, subject) in enumerate(SUBJECTS):
            course_id = f"crs-{school_id[4:]}-{c_index + 1:02d}"
            course_ids.append((course_id, title))
            courses.append(
                {
                    "sourcedId": course_id,
                    **active,
                    "title": title,
                    "courseCode": f"{subject[:3].upper()}{100 + c_index}",
                    "subjects": [subject],
                    "grades": list(grade_band),
                    "org": ref("org", school_id),
                    "schoolYear": ref("academicSession", year_id),
                }
            )
        section_ids = []
        for s_index in range(n_sections):
            class_number += 1
            class_id = f"cls-{class_number:06d}"
            section_ids.append(class_id)
            course_id, title = course_ids[s_index % len(course_ids)]
            period = str(1 + s_index % 7)
            terms = (
                [ref("academicSession", current_term)]
                if s_index % 5 == 4
                else [ref("academicSession", t[0]) for t in semesters]
            )
            classes.append(
                {
                    "sourcedId": class_id,
                    **active,
                    "title": f"{title} - Period {period}",
                    "classCode": f"{course_id[-2:]}-{s_index + 1:03d}",
                    "classType": "scheduled",
                    "location": f"Room {100 + s_index % 60}",
                    "grades": list(grade_band),
                    "course": ref("course", course_id),
                    "school": ref("org", school_id),
                    "terms": terms,
                    "periods": [period],
                }
            )
            if rng.random() >= spec.rate_section_without_teacher:
                enroll(
                    teacher_ids[s_index // SECTIONS_PER_TEACHER % n_teachers],
                    class_id,
                    school_id,
                    "teacher",
                    primary=True,
                )
                if n_teachers > 1 and rng.random() < spec.rate_co_teacher:
                    co = teacher_ids[(s_index // SECTIONS_PER_TEACHER + 1) % n_teachers]
                    enroll(co, class_id, school_id, "teacher", primary=False)
        for slot in range(spec.sections_per_student):
            slot_sections = section_ids[slot :: spec.sections_per_student] or section_ids
            order = student_ids[:]
            rng.shuffle(order)
            for position, student_id in enumerate(order):
                extra: dict[str, Any] = {"primary": False, "beginDate": year_start.isoformat()}
                roll = rng.random()
                if roll < spec.rate_enrollment_end_date:
                    extra["endDate"] = (
                        today - dt.timedelta(days=1 + rng.randrange(30))
                    ).isoformat()
                enroll(
                    student_id,
                    slot_sections[position % len(slot_sections)],
                    school_id,
                    "student",
                    **extra,
                )
                if rng.random() < spec.rate_tobedeleted:
                    enrollments[-1]["status"] = "tobedeleted"

    categories: list[Record] = [
        {"sourcedId": f"cat-{i + 1:04d}", **active, "title": title, "weight": 0.25}
        for i, title in enumerate(CATEGORIES)
    ]
    if classes:
        categories.append(
            {
                "sourcedId": "cat-labs",
                **active,
                "title": "Labs",
                "_classes": [classes[0]["sourcedId"]],
            }
        )
    # Real SISes stamp records over time, not all at one instant: spread dateLastModified over
    # the three days before the load, so a delta watermark selects only recent changes.
    stamp_rng = random.Random(spec.seed + 7919)
    moment = dt.datetime.combine(today - dt.timedelta(days=3), dt.time(2, 0), tzinfo=dt.UTC)
    stamps = [format_timestamp(moment - dt.timedelta(seconds=s)) for s in range(0, 3 * 86400, 60)]
    for records in (orgs, sessions, courses, classes, users, enrollments, demographics, categories):
        for record in records:
            record["dateLastModified"] = stamps[stamp_rng.randrange(len(stamps))]
    return {
        "orgs": orgs,
        "academicSessions": sessions,
        "courses": courses,
        "classes": classes,
        "users": users,
        "enrollments": enrollments,
        "demographics": demographics,
        "categories": categories,
        "lineItems": [],
        "results": [],
    }
