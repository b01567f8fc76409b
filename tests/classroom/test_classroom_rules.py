"""Each classroom rule, done through the teacher API, survives a full and a delta sync (against a
local SIS on the whole local stack)."""

from __future__ import annotations

from shared.ids import safe_id
from shared.store import layout
from tests.classroom.conftest import Classroom


def _member(doc: dict, group: str, user: str) -> tuple:
    entry = doc[group][safe_id(user)]
    return entry["status"], entry.get("source"), entry.get("removed_by")


def test_a_declined_class_stays_declined_through_full_and_delta_syncs(classroom: Classroom):
    assert classroom.on_class("POST", "/decline")["state"] == "declined"
    for kind in ("full", "delta"):
        classroom.sync(kind)
        assert classroom.stored()["offer_state"] == "declined", kind
    listed = classroom.api("GET", "/classes?state=declined").json()["classes"]
    assert [c["class_id"] for c in listed] == [classroom.class_id]


def test_an_accepted_class_is_active_and_listed_as_active(classroom: Classroom):
    classroom.on_class("POST", "/accept")
    classroom.sync("delta")
    active = classroom.api("GET", "/classes?state=active").json()["classes"]
    assert [c["class_id"] for c in active] == [classroom.class_id]
    assert active[0]["active_students"] == len(classroom.students)


def test_a_rename_is_kept_while_the_sis_title_updates_beside_it(classroom: Classroom):
    sis = classroom.running.sis.store
    classroom.on_class("PATCH", "", {"name": "Room 12 Algebra"})
    for kind in ("full", "delta"):
        sis.patch("classes", classroom.section_id, {"title": f"Algebra ({kind} title)"})
        classroom.sync(kind)
        seen = classroom.on_class("GET")
        assert (seen["name"], seen["name_source"]) == ("Room 12 Algebra", "teacher"), kind
        assert seen["sis_title"] == f"Algebra ({kind} title)"


def test_a_student_added_by_hand_stays_through_full_and_delta_syncs(classroom: Classroom):
    newcomer = classroom.school_users("student")[0]
    classroom.on_class("POST", "/students", {"sis_user_id": newcomer})
    for kind in ("full", "delta"):
        classroom.sync(kind)
        assert _member(classroom.stored(), "students", newcomer) == ("active", "manual", None)
    entry = classroom.stored()["students"][safe_id(newcomer)]
    assert entry["changed_by"] == "teacher@district.example.org"


def test_a_student_removed_by_hand_is_not_re_added_by_full_or_delta_sync(classroom: Classroom):
    leaver = classroom.students[0]
    classroom.on_class("DELETE", f"/students/{safe_id(leaver)}")
    enrollment = next(
        e for e in classroom.enrollments("student") if e["user"]["sourcedId"] == leaver
    )
    for kind in ("full", "delta"):
        # The SIS sends the enrollment again (changed), so the delta reads it too.
        classroom.running.sis.store.patch(
            "enrollments", enrollment["sourcedId"], {"primary": False}
        )
        classroom.sync(kind)
        assert _member(classroom.stored(), "students", leaver)[::2] == ("removed", "teacher")


def test_a_co_teacher_added_by_hand_stays_through_full_and_delta_syncs(classroom: Classroom):
    colleague = classroom.school_users("teacher")[0]
    classroom.on_class("POST", "/co_teachers", {"sis_user_id": colleague})
    classroom.add_staff("colleague@district.example.org", colleague)
    for kind in ("full", "delta"):
        classroom.sync(kind)
        assert _member(classroom.stored(), "co_teachers", colleague) == ("active", "manual", None)
    theirs = classroom.api("GET", "/classes", email="colleague@district.example.org")
    assert classroom.class_id in [c["class_id"] for c in theirs.json()["classes"]]


def test_a_new_primary_teacher_in_the_sis_becomes_the_owner(classroom: Classroom):
    successor = classroom.school_users("teacher")[0]
    primary = next(e for e in classroom.enrollments("teacher") if e.get("primary"))
    classroom.running.sis.store.patch(
        "enrollments", primary["sourcedId"], {"user": {"sourcedId": successor, "type": "user"}}
    )
    classroom.add_staff("successor@district.example.org", successor)
    for kind in ("delta", "full"):
        classroom.sync(kind)
        assert classroom.stored()["owner"]["sis_user_id"] == successor, kind
    mine = classroom.api("GET", "/classes", email="successor@district.example.org").json()
    assert classroom.class_id in [c["class_id"] for c in mine["classes"]]
    assert classroom.api("GET", f"/classes/{classroom.class_id}").status_code == 403


def test_a_student_removed_in_the_sis_keeps_work_and_returns_with_it(classroom: Classroom):
    student = classroom.students[0]
    db, district, class_id = classroom.harness.db, classroom.district, classroom.class_id
    db.document(f"{layout.coursework(district, class_id)}/quiz-1").set({"title": "Quiz"})
    mark = db.collection(layout.marks(district, class_id, "quiz-1")).document(safe_id(student))
    mark.set({"sis_user_id": student, "score": 9})
    enrollment = next(
        e for e in classroom.enrollments("student") if e["user"]["sourcedId"] == student
    )
    sis = classroom.running.sis.store
    sis.mark_tobedeleted("enrollments", enrollment["sourcedId"])
    classroom.sync("delta")
    assert _member(classroom.stored(), "students", student)[::2] == ("removed", "sis")
    assert mark.get().to_dict()["score"] == 9
    sis.patch("enrollments", enrollment["sourcedId"], {"status": "active"})
    classroom.sync("full")
    assert _member(classroom.stored(), "students", student) == ("active", "sis", None)
    assert mark.get().to_dict()["score"] == 9
