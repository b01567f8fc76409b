"""One school of the synthetic district: its students and teachers (with the spec's untidiness:
unusual names, missing and duplicate emails), courses, sections and enrollments."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from tools.oneroster_sis.district import District, Record
from tools.oneroster_sis.vocabulary import FAMILY, GIVEN, SUBJECTS, UNUSUAL_FAMILY, UNUSUAL_GIVEN

SECTIONS_PER_TEACHER = 5
MIDDLE_GRADES, HIGH_GRADES = ("06", "07", "08"), ("09", "10", "11", "12")


def add_school_population(district: District, index: int, school_id: str, n_students: int) -> None:
    """Adds the people, courses, sections and enrollments of the district's ``index``-th school."""
    _School(district, school_id, MIDDLE_GRADES if index % 2 == 0 else HIGH_GRADES).populate(
        n_students
    )


class _School:
    def __init__(self, district: District, school_id: str, grade_band: tuple[str, ...]) -> None:
        self.district, self.school_id, self.grade_band = district, school_id, grade_band

    def populate(self, n_students: int) -> None:
        spec = self.district.spec
        student_ids = [self._add_student() for _ in range(n_students)]
        n_sections = max(
            spec.sections_per_student,
            math.ceil(n_students * spec.sections_per_student / spec.students_per_section),
        )
        n_teachers = max(1, math.ceil(n_sections / SECTIONS_PER_TEACHER))
        teacher_ids = [self._add_teacher() for _ in range(n_teachers)]
        courses = self._add_courses()
        section_ids = [
            self._add_section(s_index, courses, teacher_ids) for s_index in range(n_sections)
        ]
        self._enroll_students(student_ids, section_ids)

    # ---- people ------------------------------------------------------------------------------

    def _add_student(self) -> str:
        district = self.district
        district.student_count += 1
        student_id = f"stu-{district.student_count:06d}"
        grade = self.grade_band[district.student_count % len(self.grade_band)]
        self._add_user(student_id, "student", "students.rusd.example.org", grade)
        return student_id

    def _add_teacher(self) -> str:
        self.district.teacher_count += 1
        teacher_id = f"tch-{self.district.teacher_count:05d}"
        self._add_user(teacher_id, "teacher", "rusd.example.org", None)
        return teacher_id

    def _add_user(self, user_id: str, role: str, domain: str, grade: str | None) -> None:
        district, school = self.district, self.district.ref("org", self.school_id)
        given, family = _person(district)
        email = _email(district, given, family, user_id, domain)
        user: Record = {
            "sourcedId": user_id,
            "status": "active",
            "enabledUser": True,
            "username": f"{_ascii_part(given)[:1]}{_ascii_part(family)}{user_id[4:]}",
            "userIds": [{"type": "districtId", "identifier": user_id.upper()}],
            "givenName": given,
            "familyName": family,
            "roles": [{"roleType": "primary", "role": role, "org": school}],
            "primaryOrg": school,
            "identifier": user_id[4:],
        }
        if email:
            user["email"] = email
            district.emails.append(email)
        if grade:
            user["grades"] = [grade]
        district.users.append(user)
        if district.spec.demographics and role == "student":
            district.demographics.append(_demographics(district, user_id, grade))

    # ---- courses and sections ----------------------------------------------------------------

    def _add_courses(self) -> list[tuple[str, str]]:
        """One course per subject; their (sourcedId, title)."""
        district, courses = self.district, []
        for c_index, (title, subject) in enumerate(SUBJECTS):
            course_id = f"crs-{self.school_id[4:]}-{c_index + 1:02d}"
            courses.append((course_id, title))
            district.courses.append(
                {
                    "sourcedId": course_id,
                    "status": "active",
                    "title": title,
                    "courseCode": f"{subject[:3].upper()}{100 + c_index}",
                    "subjects": [subject],
                    "grades": list(self.grade_band),
                    "org": district.ref("org", self.school_id),
                    "schoolYear": district.ref("academicSession", district.calendar.year_id),
                }
            )
        return courses

    def _add_section(
        self, s_index: int, courses: list[tuple[str, str]], teacher_ids: list[str]
    ) -> str:
        """The school's ``s_index``-th class (every fifth runs one term only) and its teachers."""
        district = self.district
        district.class_count += 1
        class_id = f"cls-{district.class_count:06d}"
        course_id, title = courses[s_index % len(courses)]
        period = str(1 + s_index % 7)
        district.classes.append(
            {
                "sourcedId": class_id,
                "status": "active",
                "title": f"{title} - Period {period}",
                "classCode": f"{course_id[-2:]}-{s_index + 1:03d}",
                "classType": "scheduled",
                "location": f"Room {100 + s_index % 60}",
                "grades": list(self.grade_band),
                "course": district.ref("course", course_id),
                "school": district.ref("org", self.school_id),
                "terms": [district.ref("academicSession", t) for t in self._term_ids(s_index)],
                "periods": [period],
            }
        )
        self._assign_teachers(class_id, s_index, teacher_ids)
        return class_id

    def _term_ids(self, s_index: int) -> list[str]:
        calendar = self.district.calendar
        if s_index % 5 == 4:
            return [calendar.current_term]
        return [term[0] for term in calendar.semesters]

    # ---- enrollments -------------------------------------------------------------------------

    def _assign_teachers(self, class_id: str, s_index: int, teacher_ids: list[str]) -> None:
        """A primary teacher (none at the spec's rate), sometimes also a co-teacher."""
        spec, rng, n_teachers = self.district.spec, self.district.rng, len(teacher_ids)
        if rng.random() < spec.rate_section_without_teacher:
            return
        slot = s_index // SECTIONS_PER_TEACHER
        self._enroll(teacher_ids[slot % n_teachers], class_id, "teacher", primary=True)
        if n_teachers > 1 and rng.random() < spec.rate_co_teacher:
            co_teacher = teacher_ids[(slot + 1) % n_teachers]
            self._enroll(co_teacher, class_id, "teacher", primary=False)

    def _enroll_students(self, student_ids: list[str], section_ids: list[str]) -> None:
        """Each student gets one section per slot; the slots split the sections between them."""
        per_student = self.district.spec.sections_per_student
        for slot in range(per_student):
            slot_sections = section_ids[slot::per_student] or section_ids
            order = student_ids[:]
            self.district.rng.shuffle(order)
            for position, student_id in enumerate(order):
                self._enroll_student(student_id, slot_sections[position % len(slot_sections)])

    def _enroll_student(self, student_id: str, class_id: str) -> None:
        spec, rng, calendar = self.district.spec, self.district.rng, self.district.calendar
        extra: dict[str, Any] = {"primary": False, "beginDate": calendar.start.isoformat()}
        if rng.random() < spec.rate_enrollment_end_date:
            ended = calendar.today - dt.timedelta(days=1 + rng.randrange(30))
            extra["endDate"] = ended.isoformat()
        record = self._enroll(student_id, class_id, "student", **extra)
        if rng.random() < spec.rate_tobedeleted:
            record["status"] = "tobedeleted"

    def _enroll(self, user_id: str, class_id: str, role: str, **extra: Any) -> Record:
        district = self.district
        district.enrollment_count += 1
        record: Record = {
            "sourcedId": f"enr-{district.enrollment_count:07d}",
            "status": "active",
            "user": district.ref("user", user_id),
            "class": district.ref("class", class_id),
            "school": district.ref("org", self.school_id),
            "role": role,
            **extra,
        }
        district.enrollments.append(record)
        return record


def _person(district: District) -> tuple[str, str]:
    """A given and a family name; at the spec's rate, one of them is an unusual one."""
    rng = district.rng
    given = rng.choice(GIVEN)
    family = rng.choice(FAMILY)
    if rng.random() < district.spec.rate_unusual_name:
        if rng.random() < 0.5:
            given = rng.choice(UNUSUAL_GIVEN)
        else:
            family = rng.choice(UNUSUAL_FAMILY)
    return given, family


def _email(district: District, given: str, family: str, user_id: str, domain: str) -> str | None:
    """The user's address; at the spec's rates, none or one already given to someone else."""
    spec, rng = district.spec, district.rng
    email = f"{_ascii_part(given)}.{_ascii_part(family)}.{user_id[4:]}@{domain}"
    roll = rng.random()
    if roll < spec.rate_missing_email:
        return None
    if roll < spec.rate_missing_email + spec.rate_duplicate_email and district.emails:
        return rng.choice(district.emails)
    return email


def _demographics(district: District, user_id: str, grade: str | None) -> Record:
    rng, end_year = district.rng, district.calendar.end_year
    born = dt.date(end_year - 6 - int(grade or "6"), 1 + rng.randrange(12), 1 + rng.randrange(28))
    return {
        "sourcedId": user_id,
        "status": "active",
        "birthDate": born.isoformat(),
        "sex": rng.choice(("female", "male", "other", "unspecified")),
        "hispanicOrLatinoEthnicity": rng.random() < 0.2,
    }


def _ascii_part(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isascii() and ch.isalnum()) or "x"
