"""What an admin sees of a run: state, progress, counts per school, and the first warnings (those
about the run itself, such as a selected school the SIS does not send, before those of schools).
Failure reasons are shown through ``failure_text``: an SIS's words never show a token or secret."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shared.store import layout
from shared.store.ports import DocumentStore, Filter
from shared.sync.runs import failure_text, load_run

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


def _shown_failure(failure: Any) -> Any:
    if not isinstance(failure, Mapping):
        return failure
    return {k: failure_text(v) if isinstance(v, str) else v for k, v in failure.items()}


def summarize_run(run: Mapping[str, Any]) -> dict[str, Any]:
    """The run document as the API shows it: known fields, ISO times, duration. Pure."""
    out = {k: v for k, v in run.items() if k in RUN_FIELDS}
    if "failure" in out:
        out["failure"] = _shown_failure(out["failure"])
    for key in ("created_at", "started_at", "finished_at"):
        if run.get(key):
            out[key] = run[key].isoformat()
    if run.get("started_at") and run.get("finished_at"):
        out["seconds"] = round((run["finished_at"] - run["started_at"]).total_seconds(), 2)
    return out


def school_summary(doc: Mapping[str, Any]) -> dict[str, Any]:
    shown = {k: doc[k] for k in SCHOOL_FIELDS if k in doc}
    for key in ("reason", "where"):
        if isinstance(shown.get(key), str):
            shown[key] = failure_text(shown[key])
    return shown


def first_warnings(store: DocumentStore, folder: str) -> list[dict[str, Any]]:
    """The run's own warnings (no school) first, then the schools', WARNINGS_SHOWN at most."""
    run_level = list(store.query(folder, Filter("school_id", "==", None), limit=WARNINGS_SHOWN))
    seen = {doc.id for doc in run_level}
    rest = store.query(folder, limit=WARNINGS_SHOWN + len(seen))
    docs = run_level + [doc for doc in rest if doc.id not in seen]
    return [{k: v for k, v in w.data.items() if k != "at"} for w in docs[:WARNINGS_SHOWN]]


def run_status(store: DocumentStore, district_id: str, run_id: str) -> dict[str, Any]:
    run = load_run(store, district_id, run_id)

    def part(name: str) -> str:
        return layout.run_part(district_id, run_id, name)

    pages_done = int(store.count(part("pages")))
    pages_known = sum(int(f.data.get("pages_known") or 0) for f in store.query(part("fetches")))
    schools = {
        doc.data.get("school_id", doc.id): school_summary(doc.data)
        for doc in store.query(part("schools"))
    }
    return {
        **summarize_run(run),
        "run_id": run_id,
        "progress": {"pages_done": pages_done, "pages_known": max(pages_known, pages_done)},
        "schools": schools,
        "warnings": first_warnings(store, part("warnings")),
        "warnings_total": int(store.count(part("warnings"))),
    }
