"""Held changes: removals and archives past a guard threshold, and the owner changes of the same
school, wait for an admin, who approves (they are applied) or discards them. The decision is
taken once: claiming it moves the run from ``held`` to ``deciding`` atomically, so of two
answers sent at once one wins and the other is refused, naming the decision taken."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import asdict, fields
from typing import Any, Literal

from shared.errors import Conflict
from shared.ids import safe_id
from shared.store import layout
from shared.store.ports import Data, DocumentStore, Filter, Write
from shared.sync.apply import apply_changes
from shared.sync.guards import GuardedPlan
from shared.sync.model import ClassChange
from shared.sync.ports import SyncPorts
from shared.sync.runs import DECIDING, load_run

HOLD_CHUNK = 200  # changes per hold document, well under Firestore's 1 MiB per document

Decision = Literal["approve", "discard"]
DECIDED = {"approve": "approved", "discard": "discarded"}


def change_from_dict(data: Mapping[str, Any]) -> ClassChange:
    """A held change as stored (lists) back into a ClassChange (tuples)."""
    values: dict[str, Any] = {}
    for spec in fields(ClassChange):
        if spec.name in data:
            value = data[spec.name]
            values[spec.name] = tuple(value) if isinstance(value, list) else value
    return ClassChange(**values)


def _owner_accounts(changes: list[ClassChange], links: Mapping[str, str]) -> list[dict[str, Any]]:
    """The accounts of the new owners, as linked when the change was planned."""
    owners = sorted({c.owner_id for c in changes if c.owner_id})
    return [{"sis_user_id": o, "account_id": links.get(o)} for o in owners]


def hold_writes(
    district_id: str,
    run_id: str,
    school_id: str,
    guarded: GuardedPlan,
    links: Mapping[str, str],
) -> list[Write]:
    folder = layout.run_part(district_id, run_id, "holds")
    held = list(guarded.held)
    chunks = [held[start : start + HOLD_CHUNK] for start in range(0, len(held), HOLD_CHUNK)]
    return [
        Write(
            "set",
            f"{folder}/{safe_id(school_id)}~~{index:04d}",
            {
                "school_id": school_id,
                "state": "held",
                "reasons": list(guarded.reasons),
                "changes": [asdict(c) for c in chunk],
                "owner_accounts": _owner_accounts(chunk, links),
            },
        )
        for index, chunk in enumerate(chunks)
    ]


def _refusal(run_id: str, run: Mapping[str, Any]) -> str:
    taken = run.get("hold_decision") or {}
    if taken.get("decision") in DECIDED:
        return (
            f"run {run_id} was already {DECIDED[taken['decision']]} by {taken.get('by')}; "
            "a held run is decided once"
        )
    return (
        f"run {run_id} is {run.get('state')}, not held; "
        "only a held run can be approved or discarded"
    )


def _is_held(run: Data | None) -> bool:
    return run is not None and run.get("state") == "held"


def claim_decision(
    store: DocumentStore, district_id: str, run_id: str, claim: Mapping[str, Any]
) -> dict[str, Any]:
    """Takes the decision atomically: ``held`` -> ``deciding`` with the decision. Sending the
    decision already taken again finishes one cut off midway; any other answer is a Conflict."""
    path = layout.run(district_id, run_id)
    if store.update_if(path, _is_held, {"state": DECIDING, "hold_decision": dict(claim)}):
        return dict(claim)
    run = load_run(store, district_id, run_id)
    taken = run.get("hold_decision") or {}
    if run.get("state") == DECIDING and taken.get("decision") == claim["decision"]:
        return dict(taken)
    raise Conflict(_refusal(run_id, run))


def _apply_hold(
    store: DocumentStore, district_id: str, run_id: str, hold: Mapping[str, Any], now: dt.datetime
) -> int:
    changes = [change_from_dict(c) for c in hold.get("changes", [])]
    links = {
        str(a["sis_user_id"]): str(a["account_id"])
        for a in hold.get("owner_accounts", [])
        if a.get("account_id")
    }
    return apply_changes(store, district_id, run_id, changes, links, now)


def _settle_holds(
    store: DocumentStore, district_id: str, run_id: str, claim: Mapping[str, Any], now: dt.datetime
) -> int:
    """Applies (approve) or drops (discard) every hold still held; each hold is marked once its
    changes are written, so finishing a cut-off decision skips what was done."""
    applied = 0
    folder = layout.run_part(district_id, run_id, "holds")
    for hold in store.query(folder, Filter("state", "==", "held")):
        if claim["decision"] == "approve":
            applied += _apply_hold(store, district_id, run_id, hold.data, now)
        store.update(
            hold.path,
            {"state": DECIDED[claim["decision"]], "decided_by": claim["by"], "decided_at": now},
        )
    return applied


def decide_held(
    ports: SyncPorts, district_id: str, run_id: str, decision: Decision, by: str
) -> dict[str, Any]:
    store, now = ports.store, ports.clock()
    claim = claim_decision(store, district_id, run_id, {"decision": decision, "by": by, "at": now})
    applied = _settle_holds(store, district_id, run_id, claim, now)
    schools = layout.run_part(district_id, run_id, "schools")
    for school in store.query(schools, Filter("state", "==", "held")):
        store.update(school.path, {"state": "applied", "hold_decision": decision})
    run = load_run(store, district_id, run_id)
    store.update(
        layout.run(district_id, run_id),
        {"state": "succeeded_with_warnings" if run.get("warnings") else "succeeded"},
    )
    return {"decision": decision, "classes_written": applied}
