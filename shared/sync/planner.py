"""The roster planner: from the SIS mirror of one school, the classes the sync made and the
teachers' own changes, compute the classroom changes. Pure: no I/O, no clock, no ids invented
(class ids come from ``class_id_for``)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace

from shared.sync.model import (
    ARCHIVE_SECTION_REMOVED,
    ARCHIVE_TERM_ENDED,
    ClassChange,
    ClassroomClass,
    DataWarning,
    Member,
    SchoolPlan,
    SisEnrollment,
    SisSection,
    Term,
)


def terms_ended(term_ids: Iterable[str], terms: Mapping[str, Term], today: dt.date) -> bool:
    """True when the class has terms and every one of them ended before today. A term the
    district has not sent is treated as open (never archive on missing data)."""
    ids = list(term_ids)
    if not ids:
        return False
    for term_id in ids:
        term = terms.get(term_id)
        if term is None or term.end_date is None or term.end_date >= today:
            return False
    return True


def _teachers(enrollments: Iterable[SisEnrollment], today: dt.date) -> tuple[str | None, list[str]]:
    """(owner, co-teachers) from a section's current teacher enrollments: the primary teacher owns
    the class; without a primary flag the first teacher by id does."""
    current = sorted(
        (e for e in enrollments if e.role == "teacher" and e.current(today)),
        key=lambda e: (not e.primary, e.user_id),
    )
    teachers = list(dict.fromkeys(e.user_id for e in current))
    if not teachers:
        return None, []
    return teachers[0], teachers[1:]


def _members(
    current: Mapping[str, Member], desired: Iterable[str]
) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """(add, restore, remove) for one member list. Teacher changes win: a member the teacher
    removed is not re-added, one the teacher added is never removed by the sync."""
    wanted = dict.fromkeys(desired)
    add, restore, remove = [], [], []
    for user_id in wanted:
        member = current.get(user_id)
        if member is None:
            add.append(user_id)
        elif member.status == "removed" and member.removed_by == "sis":
            restore.append(user_id)
    for user_id, member in current.items():
        if user_id not in wanted and member.status == "active" and member.source == "sis":
            remove.append(user_id)
    return tuple(add), tuple(restore), tuple(sorted(remove))


def _no_teacher(section: SisSection, school_id: str, consequence: str) -> DataWarning:
    return DataWarning(
        "section_without_teacher",
        "class",
        section.sourced_id,
        f"section {section.title!r} has no current teacher in the SIS; {consequence}",
        "assign a teacher to the section in the SIS",
        school_id,
    )


def plan_school_sync(
    *,
    school_id: str,
    sections: Iterable[SisSection],
    enrollments: Iterable[SisEnrollment],
    classes: Iterable[ClassroomClass],
    terms: Mapping[str, Term],
    known_users: Callable[[str], bool],
    today: dt.date,
    class_id_for: Callable[[str], str],
) -> SchoolPlan:
    by_section: dict[str, list[SisEnrollment]] = defaultdict(list)
    section_list = list(sections)
    section_ids = {s.sourced_id for s in section_list}
    warnings: list[DataWarning] = []
    for enrollment in enrollments:
        if enrollment.class_id not in section_ids:
            if enrollment.status == "active":
                warnings.append(
                    DataWarning(
                        "unknown_class",
                        "enrollment",
                        enrollment.sourced_id,
                        f"the enrollment points at class {enrollment.class_id!r}, which the SIS "
                        "did not send for this school",
                        "check the enrollment's class and school in the SIS",
                        school_id,
                    )
                )
            continue
        if enrollment.status == "active" and not known_users(enrollment.user_id):
            warnings.append(
                DataWarning(
                    "unknown_user",
                    "enrollment",
                    enrollment.sourced_id,
                    f"the enrollment points at user {enrollment.user_id!r}, whom the SIS did not "
                    "send for this school",
                    "check that the user is active and belongs to the school in the SIS",
                    school_id,
                )
            )
            continue
        by_section[enrollment.class_id].append(enrollment)

    existing = {c.section_id: c for c in classes}
    changes: list[ClassChange] = []
    for section in sorted(section_list, key=lambda s: s.sourced_id):
        current = existing.pop(section.sourced_id, None)
        section_enrollments = by_section.get(section.sourced_id, [])
        owner, co_teachers = _teachers(section_enrollments, today)
        students = sorted(
            {e.user_id for e in section_enrollments if e.role == "student" and e.current(today)}
        )
        ended = terms_ended(section.term_ids, terms, today)

        if section.status != "active":
            if current is not None and not current.archived:
                changes.append(
                    ClassChange(
                        current.class_id,
                        section.sourced_id,
                        school_id,
                        archive_reason=ARCHIVE_SECTION_REMOVED,
                    )
                )
            continue

        if current is None:
            if ended:
                continue  # last year's section arriving late: nothing to offer
            if owner is None:
                warnings.append(_no_teacher(section, school_id, "so it is not offered as a class"))
                continue
            changes.append(
                ClassChange(
                    class_id_for(section.sourced_id),
                    section.sourced_id,
                    school_id,
                    create=True,
                    sis_title=section.title,
                    term_ids=section.term_ids,
                    owner_id=owner,
                    add_students=tuple(students),
                    add_co_teachers=tuple(co_teachers),
                )
            )
            continue

        change = ClassChange(current.class_id, section.sourced_id, school_id)
        if section.title != current.sis_title:
            change = replace(change, sis_title=section.title)
        if section.term_ids != current.term_ids:
            change = replace(change, term_ids=section.term_ids)
        if current.archived:
            if current.archived_reason == ARCHIVE_SECTION_REMOVED and not ended:
                change = replace(change, unarchive=True)
            else:
                if not change.is_empty():
                    changes.append(change)
                continue
        elif ended:
            changes.append(replace(change, archive_reason=ARCHIVE_TERM_ENDED))
            continue
        if owner is None:
            warnings.append(_no_teacher(section, school_id, "the class keeps its owner"))
        elif owner != current.owner_id:
            change = replace(change, owner_id=owner)
        # A former owner the SIS still lists as a teacher is among `co_teachers`; a co-teacher
        # promoted to owner leaves the co-teacher list (the apply step drops the entry).
        effective_owner = owner or current.owner_id
        desired_co = [t for t in co_teachers if t != effective_owner]
        co_current = {k: v for k, v in current.co_teachers.items() if k != effective_owner}
        add_co, restore_co, remove_co = _members(co_current, desired_co)
        add_st, restore_st, remove_st = _members(current.students, students)
        change = replace(
            change,
            add_co_teachers=add_co,
            restore_co_teachers=restore_co,
            remove_co_teachers=remove_co,
            add_students=add_st,
            restore_students=restore_st,
            remove_students=remove_st,
        )
        if not change.is_empty():
            changes.append(change)

    # Synced classes whose section the mirror no longer has at all (removed from a full fetch
    # earlier and since pruned) are archived the same way.
    for leftover in existing.values():
        if not leftover.archived:
            changes.append(
                ClassChange(
                    leftover.class_id,
                    leftover.section_id,
                    school_id,
                    archive_reason=ARCHIVE_SECTION_REMOVED,
                )
            )
    return SchoolPlan(school_id, tuple(changes), tuple(warnings))
