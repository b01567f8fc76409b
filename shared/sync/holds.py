"""Held changes: removals and archives past a guard threshold wait for an admin, who approves
(they are applied) or discards them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, fields
from typing import Any, Literal

from shared.errors import Conflict
from shared.ids import safe_id
from shared.store import layout
from shared.store.ports import Filter, Write
from shared.sync.apply import apply_changes
from shared.sync.guards import GuardedPlan
from shared.sync.model import ClassChange
from shared.sync.ports import SyncPorts
from shared.sync.runs import load_run

HOLD_CHUNK = 200  # changes per hold document, well under Firestore's 1 MiB per document

Decision = Literal["approve", "discard"]


def change_from_dict(data: Mapping[str, Any]) -> ClassChange:
    """A held change as stored (lists) back into a ClassChange (tuples)."""
    values: dict[str, Any] = {}
    for spec in fields(ClassChange):
        if spec.name in data:
            value = data[spec.name]
            values[spec.name] = tuple(value) if isinstance(value, list) else value
    return ClassChange(**values)


def hold_writes(district_id: str, run_id: str, school_id: str, guarded: GuardedPlan) -> list[Write]:
    folder = layout.run_part(district_id, run_id, "holds")
    held = list(guarded.held)
    return [
        Write(
            "set",
            f"{folder}/{safe_id(school_id)}~~{index:04d}",
            {
                "school_id": school_id,
                "state": "held",
                "reasons": list(guarded.reasons),
                "changes": [asdict(c) for c in held[start : start + HOLD_CHUNK]],
            },
        )
        for index, start in enumerate(range(0, len(held), HOLD_CHUNK))
    ]


def decide_held(
    ports: SyncPorts, district_id: str, run_id: str, decision: Decision, by: str
) -> dict[str, Any]:
    store, now = ports.store, ports.clock()
    run = load_run(store, district_id, run_id)
    if run.get("state") != "held":
        raise Conflict(f"run {run_id} is {run.get('state')}, not held")
    applied = 0
    holds = layout.run_part(district_id, run_id, "holds")
    for hold in store.query(holds, Filter("state", "==", "held")):
        if decision == "approve":
            changes = [change_from_dict(c) for c in hold.data.get("changes", [])]
            applied += apply_changes(store, district_id, run_id, changes, {}, now)
        state = "approved" if decision == "approve" else "discarded"
        store.update(hold.path, {"state": state, "decided_by": by, "decided_at": now})
    schools = layout.run_part(district_id, run_id, "schools")
    for school in store.query(schools, Filter("state", "==", "held")):
        store.update(school.path, {"state": "applied", "hold_decision": decision})
    store.set(
        layout.run(district_id, run_id),
        {
            "state": "succeeded_with_warnings" if run.get("warnings") else "succeeded",
            "hold_decision": {"decision": decision, "by": by, "at": now},
        },
        merge=True,
    )
    return {"decision": decision, "classes_written": applied}
