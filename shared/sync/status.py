"""What an admin sees of a run: state, progress, rate and timing, counts per school, and how many
warnings (listed by shared/sync/admin_reads.py, never by the progress poll). Failure reasons are
shown through ``failure_text``: an SIS's words never show a token or secret."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from shared.ids import safe_id
from shared.store import layout
from shared.store.ports import DocumentStore, Order
from shared.sync.runs import TERMINAL_RUN_STATES, failure_text, load_run
from shared.sync.warning_sets import run_total

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
    "cancelled_by",
    "source",  # a CSV package's run: "csv" and its package
    "package",
)
SCHOOL_FIELDS = ("state", "counts", "held_counts", "hold_reasons", "reason", "where", "quiet")


def _shown_failure(failure: Any) -> Any:
    if not isinstance(failure, Mapping):
        return failure
    return {k: failure_text(v) if isinstance(v, str) else v for k, v in failure.items()}


def summarize_run(run: Mapping[str, Any]) -> dict[str, Any]:
    """The run document as the API shows it: known fields, ISO times, duration. Pure."""
    out = {k: v for k, v in run.items() if k in RUN_FIELDS}
    if "failure" in out:
        out["failure"] = _shown_failure(out["failure"])
    for key in ("created_at", "started_at", "finished_at", "cancelled_at"):
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


def _rate(run: Mapping[str, Any], pages_done: int, page_size: Any, now: dt.datetime) -> Any:
    """Pages per second since the run started (until it finished), and the records per second
    that makes at the district's page size (an upper bound: a last page may be short). Pure."""
    started = run.get("started_at")
    if not started:
        return None
    seconds = ((run.get("finished_at") or now) - started).total_seconds()
    if seconds <= 0:
        return None
    pages = round(pages_done / seconds, 2)
    size = page_size if isinstance(page_size, int) and page_size > 0 else None
    return {
        "elapsed_seconds": round(seconds, 2),
        "pages_per_second": pages,
        "records_per_second": round(pages * size, 1) if size else None,
    }


def _timing(run: Mapping[str, Any]) -> dict[str, Any]:
    created, started = run.get("created_at"), run.get("started_at")
    if created and started:
        return {"queued_seconds": round((started - created).total_seconds(), 2)}
    return {}


ENDED = ("complete", "failed")


def known_pages(
    items: list[str], fetches: Mapping[str, Mapping[str, Any]], previous: Mapping[str, int]
) -> tuple[int, bool]:
    """The run's known total of pages and whether it is final. Pure. An item whose fetch ended
    counts its pages; one whose first page came with the SIS's total counts that; one not
    started (or started without a total) counts what the same item took in the district's
    previous run, else 1. Final once every item ended or has the SIS's total."""
    total, final = 0, True
    for item in items:
        fetch = fetches.get(item) or {}
        known = fetch.get("pages_known")
        if fetch.get("state") in ENDED or isinstance(known, int):
            total += int(known or 0)
            continue
        final = False
        total += max(int(previous.get(item) or 1), 1)
    return total, final


def _items(run: Mapping[str, Any]) -> list[str]:
    lanes = run.get("lanes") or {}
    return [item for lane in sorted(lanes) for item in lanes[lane]]


def _fetched(
    store: DocumentStore, district_id: str, run_id: str, items: list[str]
) -> dict[str, dict[str, Any]]:
    """The run's fetch documents of ``items``, by item: read by path, as a query would cost the
    emulator a pass over every document it holds (docs/bench.md)."""
    folder = layout.run_part(district_id, run_id, "fetches")
    paths = [f"{folder}/{item}" for item in items]
    found = store.get_many(paths, fields=["state", "pages_known"]) if paths else {}
    return {path.rsplit("/", 1)[1]: doc for path, doc in found.items()}


def previous_pages(
    store: DocumentStore, district_id: str, run: Mapping[str, Any]
) -> dict[str, int]:
    """Pages per item of the district's run created just before this one (one run read, one
    batched read of its fetch documents of this run's items): the estimate for items not
    started yet."""
    if not run.get("created_at"):
        return {}
    before = store.page(
        layout.runs(district_id),
        order=[Order("created_at", descending=True)],
        after=[run["created_at"]],
        limit=1,
    )
    if not before:
        return {}
    fetched = _fetched(store, district_id, before[0].id, _items(run))
    return {item: int(f["pages_known"]) for item, f in fetched.items() if f.get("pages_known")}


def progress(
    store: DocumentStore, district_id: str, run_id: str, run: Mapping[str, Any]
) -> dict[str, Any]:
    """Pages done, the known total (never below pages done) and whether that total is final.
    The previous run is read only while some item of this run has no total of its own."""
    pages_done = int(store.count(layout.run_part(district_id, run_id, "pages")))
    items = _items(run)
    fetches = _fetched(store, district_id, run_id, items)
    known, final = known_pages(items, fetches, {})
    if not final:
        known, final = known_pages(items, fetches, previous_pages(store, district_id, run))
    if "lanes" not in run:  # its schools are not listed yet: nothing is known
        final = run.get("state") in TERMINAL_RUN_STATES
    return {"pages_done": pages_done, "pages_known": max(known, pages_done), "total_final": final}


def _school_docs(
    store: DocumentStore, folder: str, run: Mapping[str, Any]
) -> list[tuple[str, Mapping[str, Any]]]:
    """The run's school documents, (id, data): by path when the run names its schools (its start
    step did), else by a query of the folder."""
    named = run.get("schools")
    if not isinstance(named, list):
        return [(doc.id, doc.data) for doc in store.query(folder)]
    paths = [f"{folder}/{safe_id(str(school))}" for school in named]
    found = store.get_many(paths, fields=[*SCHOOL_FIELDS, "school_id"]) if paths else {}
    return [(path.rsplit("/", 1)[1], found[path]) for path in paths if path in found]


def run_status(
    store: DocumentStore, district_id: str, run_id: str, now: dt.datetime
) -> dict[str, Any]:
    """The progress poll: a few batched reads by path, a count of the run's pages and a read of
    its warning sets' heads, never the warnings themselves (their count; they are listed by
    GET .../warnings)."""
    run = load_run(store, district_id, run_id)

    def part(name: str) -> str:
        return layout.run_part(district_id, run_id, name)

    shown = progress(store, district_id, run_id, run)
    schools = {
        data.get("school_id", doc_id): school_summary(data)
        for doc_id, data in _school_docs(store, part("schools"), run)
    }
    district = store.get(layout.district(district_id)) or {}
    page_size = (district.get("connection") or {}).get("page_size")
    return {
        **summarize_run(run),
        **_timing(run),
        "run_id": run_id,
        "progress": shown,
        "rate": _rate(run, shown["pages_done"], page_size, now),
        "schools": schools,
        "warnings_total": _warnings_total(store, district_id, run_id, run),
    }


def _warnings_total(
    store: DocumentStore, district_id: str, run_id: str, run: Mapping[str, Any]
) -> int:
    """The finished run's exact count; while it runs, its warning sets' counts (which count a
    warning two schools recorded twice, shared/sync/warning_sets.py)."""
    if isinstance(run.get("warnings"), int):
        return int(run["warnings"])
    return run_total(store, district_id, run_id, exact=False)
