"""Removal evidence. A full sync infers that a record missing from a complete fetch was removed in
the SIS; an empty answer while the mirror holds active records is suspect, never "everyone left".
A delta sync removes only on records it fetched itself: a removal the mirror shows from earlier
(held, discarded, inferred by a dry run) is news only a full sync may bring again, where the
guards see it. Pure: it takes the ids the run's pages saw and the mirror as read."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from shared.sync.model import ARCHIVE_SECTION_REMOVED, ClassChange, SchoolPlan


@dataclass(frozen=True)
class Removals:
    removed: dict[str, list[str]] = field(default_factory=dict)  # resource -> mirror doc ids
    suspect: list[str] = field(default_factory=list)  # resources that came back empty


def infer_removals(
    seen: Mapping[str, set[str]], docs: Mapping[str, Sequence[Mapping[str, Any]]]
) -> Removals:
    removals = Removals()
    for resource, mirrored in docs.items():
        active = [d["_id"] for d in mirrored if d.get("status") == "active"]
        ids_seen = seen.get(resource, set())
        if not ids_seen and active:
            removals.suspect.append(resource)
            continue
        gone = [doc_id for doc_id in active if doc_id not in ids_seen]
        if gone:
            removals.removed[resource] = gone
    return removals


def removal_fields(run_id: str, now: Any) -> dict[str, Any]:
    return {
        "status": "tobedeleted",
        "changed_run": run_id,
        "changed_at": now,
        "hash": "removed",
        "removed_by": "full-sync",
    }


MirrorView = dict[str, list[dict[str, Any]]]


def without_unseen_removals(
    seen: Mapping[str, set[str]], docs: Mapping[str, Sequence[dict[str, Any]]]
) -> MirrorView | None:
    """The mirror as a delta's own evidence shows it: records that are not active and that the
    run did not fetch are viewed as active again. None when there is no such record."""
    view: MirrorView = {}
    undone = False
    for resource, mirrored in docs.items():
        ids_seen = seen.get(resource, set())
        rows = []
        for doc in mirrored:
            stale = doc.get("status") != "active" and doc["_id"] not in ids_seen
            rows.append({**doc, "status": "active"} if stale else doc)
            undone = undone or stale
        view[resource] = rows
    return view if undone else None


def removes_something(change: ClassChange) -> bool:
    """Whether the change takes anything away: an archive, a member, a class from its owner."""
    return bool(change.removals) or (change.owner_id is not None and not change.create)


def _evidenced(change: ClassChange, evidence: ClassChange | None) -> ClassChange:
    """``change`` keeping only the removals ``evidence`` makes too."""
    other = evidence or ClassChange(change.class_id, change.section_id, change.school_id)
    archive = change.archive_reason
    if archive == ARCHIVE_SECTION_REMOVED and other.archive_reason != archive:
        archive = None
    owner = change.owner_id
    if not change.create and other.owner_id != owner:
        owner = None
    return replace(
        change,
        archive_reason=archive,
        owner_id=owner,
        remove_students=tuple(u for u in change.remove_students if u in other.remove_students),
        remove_co_teachers=tuple(
            u for u in change.remove_co_teachers if u in other.remove_co_teachers
        ),
    )


def keep_evidenced_removals(plan: SchoolPlan, evidence: SchoolPlan) -> SchoolPlan:
    """``plan`` with only the removals (section archives, students and co-teachers removed, owner
    changes) that ``evidence``, the plan of the mirror without unseen removals, makes too.
    Everything else of ``plan`` is kept as it is."""
    by_class = {c.class_id: c for c in evidence.changes}
    changes = (_evidenced(c, by_class.get(c.class_id)) for c in plan.changes)
    return SchoolPlan(plan.school_id, tuple(c for c in changes if not c.is_empty()), plan.warnings)
