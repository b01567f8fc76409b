"""What an admin sees of a run: state, progress, counts per school, and the first warnings."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shared.store import layout
from shared.store.ports import DocumentStore
from shared.sync.runs import load_run

RUN_FIELDS = (
    "kind",
    "dry_run",
    "state",
    "counts",
    "held_counts",
    "failure",
    "school_count",
    "hold_decision",
    "requested_by",
)
SCHOOL_FIELDS = ("state", "counts", "held_counts", "hold_reasons", "reason", "where")
WARNINGS_SHOWN = 200


def summarize_run(run: Mapping[str, Any]) -> dict[str, Any]:
    """The run document as the API shows it: known fields, ISO times, duration. Pure."""
    out = {k: v for k, v in run.items() if k in RUN_FIELDS}
    for key in ("created_at", "started_at", "finished_at"):
        if run.get(key):
            out[key] = run[key].isoformat()
    if run.get("started_at") and run.get("finished_at"):
        out["seconds"] = round((run["finished_at"] - run["started_at"]).total_seconds(), 2)
    return out


def run_status(store: DocumentStore, district_id: str, run_id: str) -> dict[str, Any]:
    run = load_run(store, district_id, run_id)

    def part(name: str) -> str:
        return layout.run_part(district_id, run_id, name)

    pages_done = store.count(part("pages"))
    pages_known = sum(int(f.data.get("pages_known") or 0) for f in store.query(part("fetches")))
    schools = {
        doc.data.get("school_id", doc.id): {k: doc.data[k] for k in SCHOOL_FIELDS if k in doc.data}
        for doc in store.query(part("schools"))
    }
    warnings = [
        {k: v for k, v in w.data.items() if k != "at"}
        for w in store.query(part("warnings"), limit=WARNINGS_SHOWN)
    ]
    return {
        **summarize_run(run),
        "run_id": run_id,
        "progress": {"pages_done": pages_done, "pages_known": max(pages_known, pages_done)},
        "schools": schools,
        "warnings": warnings,
    }
