"""The roster planner: from the SIS mirror of one school, the classes the sync made and the
teachers' own changes, compute the classroom changes. Pure: no I/O, no clock, no ids invented
(class ids come from ``class_id_for``)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace

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
from shared.sync.roster_checks import (
    ended_terms_warning,
    enrollment_problem,
    outside_terms,
    role_conflict,
    titled_section,
)
from shared.sync.warning_codes import fix_text


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


def member_moves(
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
        fix_text("section_without_teacher"),
        school_id,
    )


def _unknown_class(enrollment: SisEnrollment, school_id: str) -> DataWarning:
    return DataWarning(
        "unknown_class",
        "enrollment",
        enrollment.sourced_id,
        f"the enrollment points at class {enrollment.class_id!r}, which the SIS "
        "did not send for this school",
        fix_text("unknown_class"),
        school_id,
    )


def _unknown_user(enrollment: SisEnrollment, school_id: str) -> DataWarning:
    return DataWarning(
        "unknown_user",
        "enrollment",
        enrollment.sourced_id,
        f"the enrollment points at user {enrollment.user_id!r}, whom the SIS did not "
        "send for this school",
        fix_text("unknown_user"),
        school_id,
    )


def _enrollment_warning(
    enrollment: SisEnrollment,
    sections: Mapping[str, SisSection],
    known_users: Callable[[str], bool],
    user_roles: Mapping[str, str],
    school_id: str,
) -> DataWarning | None:
    """Why an active enrollment cannot be used for the roster, if it cannot."""
    if enrollment.class_id not in sections:
        return _unknown_class(enrollment, school_id)
    if not known_users(enrollment.user_id):
        return _unknown_user(enrollment, school_id)
    return enrollment_problem(enrollment, school_id) or role_conflict(
        enrollment, user_roles.get(enrollment.user_id), school_id
    )


def _enrollments_by_section(
    enrollments: Iterable[SisEnrollment],
    sections: Mapping[str, SisSection],
    known_users: Callable[[str], bool],
    user_roles: Mapping[str, str],
    school_id: str,
) -> tuple[dict[str, list[SisEnrollment]], list[DataWarning]]:
    """The usable enrollments grouped by section id, and a warning for each active enrollment
    that cannot be used (unknown class or user, unknown role, dates out of order, a role the
    user does not have), or that lies outside its class's terms."""
    by_section: dict[str, list[SisEnrollment]] = defaultdict(list)
    warnings: list[DataWarning] = []
    for enrollment in enrollments:
        if enrollment.status != "active":
            if enrollment.class_id in sections:
                by_section[enrollment.class_id].append(enrollment)
            continue
        problem = _enrollment_warning(enrollment, sections, known_users, user_roles, school_id)
        if problem is not None:
            warnings.append(problem)
            continue
        by_section[enrollment.class_id].append(enrollment)
    return by_section, warnings


def _outside_terms(
    by_section: Mapping[str, list[SisEnrollment]],
    sections: Mapping[str, SisSection],
    terms: Mapping[str, Term],
    school_id: str,
) -> list[DataWarning]:
    found = (
        outside_terms(e, sections[section_id], terms, school_id)
        for section_id, listed in by_section.items()
        for e in listed
    )
    return [w for w in found if w is not None]


@dataclass(frozen=True, slots=True)
class _SectionRoster:
    """Who the SIS says is in one section today, and whether all its terms have ended."""

    owner: str | None
    co_teachers: tuple[str, ...]
    students: tuple[str, ...]
    ended: bool


def _section_roster(
    section: SisSection,
    enrollments: Iterable[SisEnrollment],
    terms: Mapping[str, Term],
    today: dt.date,
) -> _SectionRoster:
    listed = list(enrollments)
    owner, co_teachers = _teachers(listed, today)
    students = sorted({e.user_id for e in listed if e.role == "student" and e.current(today)})
    ended = terms_ended(section.term_ids, terms, today)
    return _SectionRoster(owner, tuple(co_teachers), tuple(students), ended)


# At most one change and one warning per section.
_SectionOutcome = tuple[ClassChange | None, DataWarning | None]


def _archive_removed(class_id: str, section_id: str, school_id: str) -> ClassChange:
    return ClassChange(class_id, section_id, school_id, archive_reason=ARCHIVE_SECTION_REMOVED)


def _unless_empty(change: ClassChange) -> ClassChange | None:
    return None if change.is_empty() else change


def _offer(
    section: SisSection,
    roster: _SectionRoster,
    terms: Mapping[str, Term],
    school_id: str,
    class_id_for: Callable[[str], str],
) -> _SectionOutcome:
    """A section the sync has no class for yet: offer a class, unless its terms are over."""
    if roster.ended:  # last year's section arriving late: nothing to offer
        return None, ended_terms_warning(section, terms, school_id)
    if roster.owner is None:
        return None, _no_teacher(section, school_id, "so it is not offered as a class")
    change = ClassChange(
        class_id_for(section.sourced_id),
        section.sourced_id,
        school_id,
        create=True,
        sis_title=section.title,
        term_ids=section.term_ids,
        owner_id=roster.owner,
        add_students=roster.students,
        add_co_teachers=roster.co_teachers,
    )
    return change, None


def _sis_field_updates(section: SisSection, current: ClassroomClass, school_id: str) -> ClassChange:
    """The SIS title and terms of a synced class, where the section changed them."""
    change = ClassChange(current.class_id, section.sourced_id, school_id)
    if section.title != current.sis_title:
        change = replace(change, sis_title=section.title)
    if section.term_ids != current.term_ids:
        change = replace(change, term_ids=section.term_ids)
    return change


def _owner_update(
    change: ClassChange,
    section: SisSection,
    current: ClassroomClass,
    owner: str | None,
    school_id: str,
) -> tuple[ClassChange, DataWarning | None]:
    if owner is None:
        return change, _no_teacher(section, school_id, "the class keeps its owner")
    if owner != current.owner_id:
        return replace(change, owner_id=owner), None
    return change, None


def _membership_updates(
    change: ClassChange, current: ClassroomClass, roster: _SectionRoster
) -> ClassChange:
    # A former owner the SIS still lists as a teacher is among `co_teachers`; a co-teacher
    # promoted to owner leaves the co-teacher list (the apply step drops the entry).
    effective_owner = roster.owner or current.owner_id
    desired_co = [t for t in roster.co_teachers if t != effective_owner]
    co_current = {k: v for k, v in current.co_teachers.items() if k != effective_owner}
    add_co, restore_co, remove_co = member_moves(co_current, desired_co)
    add_st, restore_st, remove_st = member_moves(current.students, roster.students)
    return replace(
        change,
        add_co_teachers=add_co,
        restore_co_teachers=restore_co,
        remove_co_teachers=remove_co,
        add_students=add_st,
        restore_students=restore_st,
        remove_students=remove_st,
    )


def _update(
    section: SisSection, current: ClassroomClass, roster: _SectionRoster, school_id: str
) -> _SectionOutcome:
    """A section the sync already made a class for: follow the SIS, archive when its terms
    ended, restore it when a removed section comes back."""
    change = _sis_field_updates(section, current, school_id)
    if current.archived:
        if current.archived_reason != ARCHIVE_SECTION_REMOVED or roster.ended:
            return _unless_empty(change), None  # stays archived; only the SIS fields follow
        change = replace(change, unarchive=True)
    elif roster.ended:
        return replace(change, archive_reason=ARCHIVE_TERM_ENDED), None
    change, warning = _owner_update(change, section, current, roster.owner, school_id)
    return _unless_empty(_membership_updates(change, current, roster)), warning


def _plan_section(
    section: SisSection,
    current: ClassroomClass | None,
    roster: _SectionRoster,
    terms: Mapping[str, Term],
    school_id: str,
    class_id_for: Callable[[str], str],
) -> _SectionOutcome:
    if section.status != "active":
        if current is not None and not current.archived:
            return _archive_removed(current.class_id, section.sourced_id, school_id), None
        return None, None
    if current is None:
        return _offer(section, roster, terms, school_id, class_id_for)
    return _update(section, current, roster, school_id)


def _archive_leftovers(leftovers: Iterable[ClassroomClass], school_id: str) -> list[ClassChange]:
    """Synced classes whose section the mirror no longer has at all (removed from a full fetch
    earlier and since pruned) are archived the same way."""
    return [
        _archive_removed(c.class_id, c.section_id, school_id) for c in leftovers if not c.archived
    ]


def _titled_sections(
    sections: Iterable[SisSection], school_id: str
) -> tuple[dict[str, SisSection], list[DataWarning]]:
    by_id: dict[str, SisSection] = {}
    warnings: list[DataWarning] = []
    for raw in sections:
        section, warning = titled_section(raw, school_id)
        by_id[section.sourced_id] = section
        if warning is not None:
            warnings.append(warning)
    return by_id, warnings


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
    user_roles: Mapping[str, str] | None = None,
) -> SchoolPlan:
    """``user_roles``: each known user's role as the SIS lists it (teacher or student); an
    enrollment in another role is not trusted."""
    by_id, warnings = _titled_sections(sections, school_id)
    by_section, skipped = _enrollments_by_section(
        enrollments, by_id, known_users, user_roles or {}, school_id
    )
    warnings += skipped + _outside_terms(by_section, by_id, terms, school_id)
    existing = {c.section_id: c for c in classes}
    changes: list[ClassChange] = []
    for section_id in sorted(by_id):
        section, current = by_id[section_id], existing.pop(section_id, None)
        roster = _section_roster(section, by_section.get(section_id, []), terms, today)
        change, warning = _plan_section(section, current, roster, terms, school_id, class_id_for)
        if change is not None:
            changes.append(change)
        if warning is not None:
            warnings.append(warning)
    changes.extend(_archive_leftovers(existing.values(), school_id))
    return SchoolPlan(school_id, tuple(changes), tuple(warnings))
