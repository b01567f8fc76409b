"""Guards: removals and archives above the district's thresholds are held for an admin, while
additions and updates go ahead. When anything is held, every owner change of the school waits
with it: a new owner takes the class (and its mark export) from the former one, so it is a
removal too. Pure."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from shared.sync.model import ARCHIVE_SECTION_REMOVED, ClassChange, SchoolPlan


@dataclass(frozen=True, slots=True)
class Thresholds:
    max_fraction: float = 0.10  # more than 10% of a type …
    max_count: int = 25  # … or more than 25 records, per school


@dataclass(frozen=True, slots=True)
class GuardedPlan:
    proceed: tuple[ClassChange, ...]
    held: tuple[ClassChange, ...]  # removals and owner changes, split off their changes
    reasons: tuple[str, ...]

    @property
    def is_held(self) -> bool:
        return bool(self.held)


def _exceeds(count: int, existing: int, thresholds: Thresholds) -> bool:
    if count == 0:
        return False
    return count > thresholds.max_count or count > thresholds.max_fraction * max(existing, 1)


@dataclass(frozen=True, slots=True)
class _Holds:
    """Which kinds of removal exceed the thresholds and are held."""

    archives: bool
    students: bool
    co_teachers: bool

    @property
    def owners(self) -> bool:
        """Owner changes wait whenever something else does."""
        return self.archives or self.students or self.co_teachers


def _hold_reasons(
    checks: Iterable[tuple[str, bool, int, int]], thresholds: Thresholds
) -> list[str]:
    """One reason per (label, exceeded, count, existing) check that exceeded the thresholds."""
    return [
        f"{count} {label} of {existing} exceeds the limit "
        f"({thresholds.max_count} records or {thresholds.max_fraction:.0%})"
        for label, exceeded, count, existing in checks
        if exceeded
    ]


def _split_change(change: ClassChange, holds: _Holds) -> tuple[ClassChange, ClassChange]:
    """(the removals held, the rest that goes ahead); either may be empty."""
    removal = replace(
        ClassChange(change.class_id, change.section_id, change.school_id),
        archive_reason=change.archive_reason
        if holds.archives and change.archive_reason == ARCHIVE_SECTION_REMOVED
        else None,
        remove_students=change.remove_students if holds.students else (),
        remove_co_teachers=change.remove_co_teachers if holds.co_teachers else (),
        owner_id=change.owner_id if holds.owners and not change.create else None,
    )
    if removal.is_empty():
        return removal, change
    keep = replace(
        change,
        archive_reason=None if removal.archive_reason else change.archive_reason,
        remove_students=() if removal.remove_students else change.remove_students,
        remove_co_teachers=() if removal.remove_co_teachers else change.remove_co_teachers,
        owner_id=None if removal.owner_id else change.owner_id,
    )
    return removal, keep


def _split_changes(
    changes: Iterable[ClassChange], holds: _Holds
) -> tuple[tuple[ClassChange, ...], tuple[ClassChange, ...]]:
    """(proceed, held), in plan order, without empty changes."""
    proceed: list[ClassChange] = []
    held: list[ClassChange] = []
    for change in changes:
        removal, keep = _split_change(change, holds)
        if not removal.is_empty():
            held.append(removal)
        if not keep.is_empty():
            proceed.append(keep)
    return tuple(proceed), tuple(held)


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
    holds = _Holds(
        archives=_exceeds(archived, existing_classes, thresholds),
        students=_exceeds(students, existing_students, thresholds),
        co_teachers=_exceeds(co_teachers, existing_co_teachers, thresholds),
    )
    reasons = _hold_reasons(
        (
            ("classes archived", holds.archives, archived, existing_classes),
            ("students removed", holds.students, students, existing_students),
            ("co-teachers removed", holds.co_teachers, co_teachers, existing_co_teachers),
        ),
        thresholds,
    )
    if not reasons:
        return GuardedPlan(plan.changes, (), ())
    proceed, held = _split_changes(plan.changes, holds)
    owners = sum(1 for c in held if c.owner_id)
    if owners:
        reasons.append(f"{owners} owner change(s) wait too: the former owners keep their classes")
    return GuardedPlan(proceed, held, tuple(reasons))
