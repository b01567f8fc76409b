"""Removal inference for a full sync: a record missing from a complete fetch was removed in the
SIS. An empty answer while the mirror holds active records is suspect, never "everyone left".
Pure: it takes the ids the run's pages saw and the mirror as read."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


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
