"""The classroom rules of the roster planner (docs/architecture.md, "Plan → guard → apply"), one
test each, on the pure planner."""

from __future__ import annotations

import datetime as dt

from shared.sync.guards import Thresholds, guard_plan
from shared.sync.model import (
    ARCHIVE_SECTION_REMOVED,
    ARCHIVE_TERM_ENDED,
    ClassroomClass,
    Member,
    SisEnrollment,
    SisSection,
    Term,
)
from shared.sync.planner import plan_school_sync
from shared.sync.removals import keep_evidenced_removals, without_unseen_removals

TODAY = dt.date(2026, 11, 23)
TERMS = {
    "t1": Term("t1", dt.date(2026, 8, 15), dt.date(2027, 1, 20)),
    "old": Term("old", dt.date(2025, 8, 15), dt.date(2026, 6, 10)),
}


def section(sid: str = "sec-1", title: str = "Algebra I - Period 3", **kw) -> SisSection:
    return SisSection(sid, title, "sch-1", kw.pop("term_ids", ("t1",)), **kw)


def teacher(user: str, sid: str = "sec-1", primary: bool = True, **kw) -> SisEnrollment:
    return SisEnrollment(f"e-{user}-{sid}", user, sid, "teacher", primary, **kw)


def student(user: str, sid: str = "sec-1", **kw) -> SisEnrollment:
    return SisEnrollment(f"e-{user}-{sid}", user, sid, "student", **kw)


def synced(**kw) -> ClassroomClass:
    base = dict(
        class_id="sis-sec-1",
        section_id="sec-1",
        school_id="sch-1",
        offer_state="accepted",
        name="Algebra I - Period 3",
        name_source="sis",
        sis_title="Algebra I - Period 3",
        owner_id="t-1",
        term_ids=("t1",),
        students={"s-1": Member(), "s-2": Member()},
    )
    base.update(kw)
    return ClassroomClass(**base)


def plan(sections, enrollments, classes=(), today=TODAY):
    return plan_school_sync(
        school_id="sch-1",
        sections=sections,
        enrollments=enrollments,
        classes=classes,
        terms=TERMS,
        known_users=lambda _user: True,
        today=today,
        class_id_for=lambda s: f"sis-{s}",
    )


def only_change(result):
    assert len(result.changes) == 1, result.changes
    return result.changes[0]


def test_class_is_offered_named_from_the_section_title_with_owner_and_students() -> None:
    change = only_change(plan([section()], [teacher("t-1"), student("s-1"), student("s-2")]))
    assert change.create and change.class_id == "sis-sec-1"
    assert change.sis_title == "Algebra I - Period 3"
    assert change.owner_id == "t-1"
    assert change.add_students == ("s-1", "s-2")


def test_primary_teacher_owns_and_other_teachers_are_co_teachers() -> None:
    change = only_change(
        plan([section()], [teacher("t-9", primary=False), teacher("t-2", primary=True)])
    )
    assert change.owner_id == "t-2"
    assert change.add_co_teachers == ("t-9",)


def test_section_without_teacher_is_not_offered_and_warns() -> None:
    result = plan([section()], [student("s-1")])
    assert result.changes == ()
    assert [w.code for w in result.warnings] == ["section_without_teacher"]


def test_declined_class_stays_declined_and_is_not_offered_again() -> None:
    result = plan(
        [section()],
        [teacher("t-1"), student("s-1"), student("s-2")],
        [synced(offer_state="declined")],
    )
    assert result.changes == ()


def test_sis_rename_updates_the_sis_title_teacher_rename_is_kept() -> None:
    renamed = synced(name="Mr. T's algebra", name_source="teacher")
    change = only_change(
        plan(
            [section(title="Algebra I - P3 (new)")],
            [teacher("t-1"), student("s-1"), student("s-2")],
            [renamed],
        )
    )
    assert change.sis_title == "Algebra I - P3 (new)"
    assert not change.create  # the name itself is written only while name_source is "sis"


def test_manual_student_add_and_removal_survive_the_sync() -> None:
    current = synced(
        students={
            "s-1": Member(),
            "s-2": Member(status="removed", source="sis", removed_by="teacher"),
            "s-9": Member(source="manual"),
        }
    )
    result = plan([section()], [teacher("t-1"), student("s-1"), student("s-2")], [current])
    assert result.changes == ()  # s-2 not re-added, s-9 not removed


def test_manual_co_teacher_survives_and_removed_co_teacher_is_not_readded() -> None:
    current = synced(
        co_teachers={
            "t-5": Member(source="manual"),
            "t-6": Member(status="removed", removed_by="teacher"),
        }
    )
    result = plan(
        [section()],
        [teacher("t-1"), teacher("t-6", primary=False), student("s-1"), student("s-2")],
        [current],
    )
    assert result.changes == ()


def test_primary_teacher_change_updates_the_owner() -> None:
    change = only_change(
        plan(
            [section()],
            [teacher("t-1", primary=False), teacher("t-2"), student("s-1"), student("s-2")],
            [synced()],
        )
    )
    assert change.owner_id == "t-2"
    assert change.add_co_teachers == ("t-1",)  # the former owner still teaches the section


def test_student_who_leaves_is_removed_and_restored_when_added_again() -> None:
    left = only_change(plan([section()], [teacher("t-1"), student("s-1")], [synced()]))
    assert left.remove_students == ("s-2",)
    back = synced(students={"s-1": Member(), "s-2": Member(status="removed", removed_by="sis")})
    again = only_change(plan([section()], [teacher("t-1"), student("s-1"), student("s-2")], [back]))
    assert again.restore_students == ("s-2",) and again.remove_students == ()


def test_enrollment_that_ended_or_was_deleted_removes_the_student() -> None:
    change = only_change(
        plan(
            [section()],
            [
                teacher("t-1"),
                student("s-1", end_date=TODAY - dt.timedelta(days=1)),
                student("s-2", status="tobedeleted"),
            ],
            [synced()],
        )
    )
    assert change.remove_students == ("s-1", "s-2")


def test_section_no_longer_sent_archives_its_class_never_deletes() -> None:
    change = only_change(plan([section(status="tobedeleted")], [], [synced()]))
    assert change.archive_reason == ARCHIVE_SECTION_REMOVED
    assert not change.remove_students  # work and members stay
    vanished = only_change(plan([], [], [synced()]))
    assert vanished.archive_reason == ARCHIVE_SECTION_REMOVED


def test_classes_whose_terms_ended_are_archived_and_not_offered() -> None:
    change = only_change(
        plan(
            [section(term_ids=("old",))],
            [teacher("t-1"), student("s-1"), student("s-2")],
            [synced(term_ids=("old",))],
        )
    )
    assert change.archive_reason == ARCHIVE_TERM_ENDED
    assert plan([section(term_ids=("old",))], [teacher("t-1")]).changes == ()


def test_hand_made_classes_are_not_the_planners_input_and_stay_untouched() -> None:
    # The service passes only origin == "sis" classes; a hand-made class with the same title
    # is therefore never matched, renamed, archived or emptied.
    result = plan([section()], [teacher("t-1"), student("s-1")])
    assert {c.class_id for c in result.changes} == {"sis-sec-1"}


def test_enrollment_pointing_at_an_unknown_user_or_class_warns() -> None:
    result = plan_school_sync(
        school_id="sch-1",
        sections=[section()],
        enrollments=[teacher("t-1"), student("ghost"), student("s-1", sid="nowhere")],
        classes=[],
        terms=TERMS,
        known_users=lambda user: user != "ghost",
        today=TODAY,
        class_id_for=lambda s: f"sis-{s}",
    )
    assert sorted(w.code for w in result.warnings) == ["unknown_class", "unknown_user"]
    assert result.changes[0].add_students == ()


def test_guard_holds_mass_removals_while_additions_proceed() -> None:
    roster = {f"s-{i}": Member() for i in range(40)}
    current = synced(students=roster)
    result = plan([section()], [teacher("t-1"), student("s-0"), student("new")], [current])
    guarded = guard_plan(
        result,
        existing_classes=1,
        existing_students=40,
        existing_co_teachers=0,
        thresholds=Thresholds(),
    )
    assert guarded.is_held
    (proceed,) = guarded.proceed
    assert proceed.add_students == ("new",) and proceed.remove_students == ()
    (held,) = guarded.held
    assert len(held.remove_students) == 39
    assert "students removed" in guarded.reasons[0]


def test_guard_lets_small_changes_through() -> None:
    roster = {f"s-{i}": Member() for i in range(40)}
    result = plan(
        [section()],
        [teacher("t-1")] + [student(f"s-{i}") for i in range(38)],
        [synced(students=roster)],
    )
    guarded = guard_plan(
        result,
        existing_classes=1,
        existing_students=40,
        existing_co_teachers=0,
        thresholds=Thresholds(),
    )
    assert not guarded.is_held and guarded.proceed == result.changes


def _guard(result, students: int = 40):
    return guard_plan(
        result,
        existing_classes=2,
        existing_students=students,
        existing_co_teachers=0,
        thresholds=Thresholds(),
    )


def _mass_removal_and_owner_change():
    """Section 1 loses 39 of its 40 students; section 2 changes its primary teacher."""
    roster = {f"s-{i}": Member() for i in range(40)}
    classes = [
        synced(students=roster),
        synced(class_id="sis-sec-2", section_id="sec-2", owner_id="t-1", students={}),
    ]
    enrollments = [teacher("t-1"), student("s-0"), student("new"), teacher("t-2", "sec-2")]
    return plan([section(), section("sec-2")], enrollments, classes)


def test_guard_holds_the_owner_changes_of_a_held_plan_so_former_owners_keep_their_classes() -> None:
    guarded = _guard(_mass_removal_and_owner_change())
    assert [c.owner_id for c in guarded.held] == [None, "t-2"]
    assert all(c.owner_id is None for c in guarded.proceed)
    assert guarded.proceed[0].add_students == ("new",)
    assert "owner change(s) wait too" in guarded.reasons[-1]


def test_guard_lets_owner_changes_through_when_nothing_is_held() -> None:
    result = plan(
        [section()],
        [teacher("t-2"), student("s-1"), student("s-2")],
        [synced()],
    )
    guarded = _guard(result, students=2)
    assert not guarded.is_held and only_change(result).owner_id == "t-2"
    assert guarded.proceed == result.changes


def test_a_delta_views_removals_it_did_not_fetch_as_still_active() -> None:
    old = {"_id": "e-1", "status": "tobedeleted"}
    fetched = {"_id": "e-2", "status": "tobedeleted"}
    seen = {"enrollments": {"e-2"}}
    view = without_unseen_removals(seen, {"classes": [], "enrollments": [old, fetched]})
    assert view is not None
    assert [d["status"] for d in view["enrollments"]] == ["active", "tobedeleted"]
    assert old["status"] == "tobedeleted"  # the mirror as read is not changed
    assert without_unseen_removals(seen, {"classes": [], "enrollments": [fetched]}) is None


def test_a_delta_keeps_only_the_removals_its_own_records_show() -> None:
    roster = {"s-1": Member(), "s-2": Member(), "s-3": Member()}
    current = [
        synced(students=roster),
        synced(class_id="sis-sec-2", section_id="sec-2", students={}),
    ]
    everyone = [teacher("t-1"), student("s-1"), student("s-2"), student("s-3")]
    now = plan([section(), section("sec-2", status="tobedeleted")], everyone[:2], current)
    evidence = plan([section(), section("sec-2")], everyone[:3], current)
    kept = keep_evidenced_removals(now, evidence)
    assert only_change(kept).remove_students == ("s-3",)  # s-2 and the archive are older news
