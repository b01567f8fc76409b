"""Guards: removals and archives above the district's thresholds are held for an admin, while
additions and updates go ahead. Pure."""

from __future__ import annotations

from dataclasses import dataclass, replace

from shared.sync.model import ARCHIVE_SECTION_REMOVED, ClassChange, SchoolPlan


@dataclass(frozen=True, slots=True)
class Thresholds:
    max_fraction: float = 0.10  # more than 10% of a type …
    max_count: int = 25  # … or more than 25 records, per school


@dataclass(frozen=True, slots=True)
class GuardedPlan:
    proceed: tuple[ClassChange, ...]
    held: tuple[ClassChange, ...]  # only the removals, split off the changes they came from
    reasons: tuple[str, ...]

    @property
    def is_held(self) -> bool:
        return bool(self.held)


def _exceeds(count: int, existing: int, thresholds: Thresholds) -> bool:
    if count == 0:
        return False
    return count > thresholds.max_count or count > thresholds.max_fraction * max(existing, 1)


def guard_plan(
    plan: SchoolPlan,
    *,
    existing_classes: int,
    existing_students: int,
    existing_co_teachers: int,
    thresholds: Thresholds,
) -> GuardedPlan:
    """Splits the plan. Archives because a term ended are date-driven, not a sign of a bad
    response, so they are not held."""
    archived = sum(1 for c in plan.changes if c.archive_reason == ARCHIVE_SECTION_REMOVED)
    students = sum(len(c.remove_students) for c in plan.changes)
    co_teachers = sum(len(c.remove_co_teachers) for c in plan.changes)
    reasons = []
    hold_archives = _exceeds(archived, existing_classes, thresholds)
    hold_students = _exceeds(students, existing_students, thresholds)
    hold_co = _exceeds(co_teachers, existing_co_teachers, thresholds)
    for label, exceeded, count, existing in (
        ("classes archived", hold_archives, archived, existing_classes),
        ("students removed", hold_students, students, existing_students),
        ("co-teachers removed", hold_co, co_teachers, existing_co_teachers),
    ):
        if exceeded:
            reasons.append(
                f"{count} {label} of {existing} exceeds the limit "
                f"({thresholds.max_count} records or {thresholds.max_fraction:.0%})"
            )
    if not reasons:
        return GuardedPlan(plan.changes, (), ())
    proceed: list[ClassChange] = []
    held: list[ClassChange] = []
    for change in plan.changes:
        keep = change
        removal = replace(
            ClassChange(change.class_id, change.section_id, change.school_id),
            archive_reason=change.archive_reason
            if hold_archives and change.archive_reason == ARCHIVE_SECTION_REMOVED
            else None,
            remove_students=change.remove_students if hold_students else (),
            remove_co_teachers=change.remove_co_teachers if hold_co else (),
        )
        if not removal.is_empty():
            held.append(removal)
            keep = replace(
                change,
                archive_reason=None if removal.archive_reason else change.archive_reason,
                remove_students=() if removal.remove_students else change.remove_students,
                remove_co_teachers=() if removal.remove_co_teachers else change.remove_co_teachers,
            )
        if not keep.is_empty():
            proceed.append(keep)
    return GuardedPlan(tuple(proceed), tuple(held), tuple(reasons))
