"""A broken data set of one's own (``DistrictSpec(defects=True)``, ``--defects``): a few records of
every defect the sync's warning codes cover (shared/sync/warning_codes.py), mixed into the first
school of a normal district, whose other records stay good. Deterministic: the defects are placed
on fixed positions of the generated records.

Not data defects, so not here: ``selected_school_missing`` (the district's selection names a
school the SIS lacks), the account codes other than ``missing_email``/``duplicate_email`` (they
depend on the district's match key and the app's accounts)."""

from __future__ import annotations

import datetime as dt
from typing import Any

Record = dict[str, Any]
Records = dict[str, list[Record]]


def _ref(ref_type: str, sourced_id: str) -> Record:
    return {"sourcedId": sourced_id, "type": ref_type}


class _School:
    """The first school's records, to break some of them."""

    def __init__(self, records: Records) -> None:
        self.records = records
        self.id = next(o["sourcedId"] for o in records["orgs"] if o.get("type") == "school")
        self.classes = [c for c in records["classes"] if c["school"]["sourcedId"] == self.id]
        self.enrollments = [
            e for e in records["enrollments"] if e["school"]["sourcedId"] == self.id
        ]
        users = {u["sourcedId"]: u for u in records["users"]}
        active = [e for e in self.enrollments if e["status"] == "active"]
        self.students = sorted({e["user"]["sourcedId"] for e in active if e["role"] == "student"})
        self.teachers = sorted({e["user"]["sourcedId"] for e in active if e["role"] == "teacher"})
        self.users = users

    def enroll(self, sid: str, user: str, cls: str, role: str, **extra: Any) -> None:
        self.records["enrollments"].append(
            {
                "sourcedId": sid,
                "status": "active",
                "user": _ref("user", user),
                "class": _ref("class", cls),
                "school": _ref("org", self.id),
                "role": role,
                **extra,
            }
        )

    def add_class(self, sid: str, title: str, terms: list[str]) -> None:
        model = self.classes[0]
        self.records["classes"].append(
            {
                **model,
                "sourcedId": sid,
                "title": title,
                "terms": [_ref("academicSession", t) for t in terms],
            }
        )


def add_defects(records: Records, today: dt.date) -> None:
    """Breaks a few records of the first school, a few of each kind (see the module doc)."""
    school = _School(records)
    _enrollment_defects(school)
    _section_defects(school, today)
    _user_defects(school)
    _listing_defects(school)


def _enrollment_defects(school: _School) -> None:
    cls, other = school.classes[0]["sourcedId"], school.classes[1]["sourcedId"]
    student, teacher = school.students[0], school.teachers[-1]
    school.enroll("enr-bad-role-1", student, cls, "teacher", primary=True)  # role_mismatch
    school.enroll("enr-bad-role-2", teacher, other, "student")  # role_mismatch
    school.enroll("enr-bad-janitor", school.students[1], cls, "janitor")  # unknown role
    school.enroll(  # dates_out_of_order
        "enr-bad-dates", school.students[2], other, "student",
        beginDate="2026-10-01", endDate="2026-09-01",
    )  # fmt: skip
    school.enroll(  # enrollment_outside_term: ended long before the class's terms began
        "enr-bad-outside", school.students[3], other, "student",
        beginDate="2001-09-01", endDate="2002-06-01",
    )  # fmt: skip
    school.enroll("enr-bad-ghost-user", "usr-ghost", cls, "student")  # unknown_user
    school.enroll("enr-bad-ghost-class", school.students[4], "cls-ghost", "student")
    school.enroll("enr-bad-no-user", student, cls, "student")  # invalid_record: no user
    school.records["enrollments"][-1]["user"] = None
    gone = next(e for e in school.enrollments if e["role"] == "student" and e["status"] == "active")
    gone["status"] = "tobedeleted"  # tobedeleted_in_full


def _section_defects(school: _School, today: dt.date) -> None:
    school.classes[2]["title"] = "   "  # blank_section_title
    sessions = school.records["academicSessions"]
    old = today.year - 2
    sessions.append(
        {
            "sourcedId": "trm-bad-old",
            "status": "active",
            "title": "Old Fall",
            "type": "term",
            "startDate": f"{old}-08-15",
            "endDate": f"{old}-12-20",
            "schoolYear": str(old + 1),
        }
    )
    sessions.append(  # dates_out_of_order (a term)
        {
            "sourcedId": "trm-bad-backwards",
            "status": "active",
            "title": "Backwards term",
            "type": "term",
            "startDate": f"{today.year + 1}-06-01",
            "endDate": f"{today.year}-09-01",
            "schoolYear": str(today.year + 1),
        }
    )
    school.add_class("cls-bad-ended", "Old Algebra", ["trm-bad-old"])  # term_ended
    school.enroll("enr-bad-ended", school.teachers[0], "cls-bad-ended", "teacher", primary=True)
    terms = [t["sourcedId"] for t in school.classes[0]["terms"]]
    school.add_class("cls-bad-no-teacher", "Nobody teaches this", terms)  # no teacher
    school.enroll("enr-bad-lonely", school.students[5], "cls-bad-no-teacher", "student")
    school.add_class("cls-bad-status", "Archived in the SIS", terms)
    school.records["classes"][-1]["status"] = "archived"  # invalid_record: unknown status


def _user_defects(school: _School) -> None:
    users = school.users
    users[school.students[6]]["enabledUser"] = False  # disabled_user, still enrolled
    users[school.students[7]]["email"] = "not-an-address"  # malformed_email
    users[school.students[8]].pop("email", None)  # missing_email
    shared = users[school.students[9]].get("email") or "shared@district.example.org"
    users[school.students[9]]["email"] = shared  # duplicate_email
    users[school.students[10]]["email"] = shared


def _listing_defects(school: _School) -> None:
    # duplicate_sourced_id: the SIS lists this enrollment again at the end of the listing, as a
    # SIS whose records move while a client pages does (tools/oneroster_sis/reads.py)
    first = next(e for e in school.enrollments if e["status"] == "active")
    first["_listed_twice"] = True
    # org_not_school: a department the SIS lists among its schools, with a class of its own
    school.records["orgs"].append(
        {
            "sourcedId": "org-bad-department",
            "status": "active",
            "name": "Adult Education Department",
            "type": "department",
            "identifier": "900",
            "_listed_as_school": True,
        }
    )
