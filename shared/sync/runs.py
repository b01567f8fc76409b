"""A run's life: created (queued), failed with a reason and where, finished once every school
ended. The outcome is a pure function of the per-school documents, each written by its own task,
so no task updates a shared counter."""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

from shared.districts import load_district
from shared.errors import Conflict, NotFound
from shared.ids import safe_id
from shared.logs import redact
from shared.store import layout
from shared.store.ports import DocumentStore, Filter
from shared.sync.chunked import Entry
from shared.sync.model import DataWarning
from shared.sync.ports import SyncPorts
from shared.sync.warning_history import note_school
from shared.sync.warning_log import latest_full_run, note_warnings, warning_key
from shared.sync.warning_sets import run_total, write_set
from shared.tasks import StageTask, StartTask, payload

log = logging.getLogger(__name__)

RunKind = Literal["full", "delta"]
DECIDING = "deciding"  # a held run whose admin decision is being carried out (holds.py)
CANCELLED = "cancelled"  # stopped by an admin (or a disconnect): nothing more is applied
# The run's tasks are over: no step works on it and its outcome is not written again.
TERMINAL_RUN_STATES = frozenset(
    {"succeeded", "succeeded_with_warnings", "held", DECIDING, "failed", CANCELLED}
)
DISCONNECTED = "the district is disconnected; reconnect with PUT /connection, then sync"
TERMINAL_SCHOOL_STATES = frozenset({"applied", "planned", "held", "failed"})


def new_run_id(now_text: str, kind: str) -> str:
    return f"{now_text}-{kind}-{uuid.uuid4().hex[:8]}"


CSV_ONLY = (
    "the district takes OneRoster CSV packages: a run starts when a package is uploaded or "
    "lands in the district's bucket folder (docs/csv-packages.md); to sync over the OneRoster "
    "API, connect the SIS with PUT /connection"
)


def create_run(
    ports: SyncPorts,
    district_id: str,
    *,
    kind: RunKind,
    dry_run: bool,
    requested_by: str,
    run_id: str | None = None,
    package: Mapping[str, Any] | None = None,
) -> str:
    """Records a run and enqueues its first task. Returns quickly; the work happens in tasks.
    Asking twice for the same run id (a scheduler tick delivered twice) starts it once (the
    store's create raises Conflict for the second). ``package``: a CSV run's package (bucket,
    name, generation, size, version); its first step stages the package (csvsource/stage.py)."""
    district = load_district(ports.store, district_id)
    if not district.connected:  # refuse early: cannot sync
        raise Conflict(DISCONNECTED)
    if district.source == "csv" and package is None:
        raise Conflict(CSV_ONLY)
    now = ports.clock()
    run_id = run_id or new_run_id(f"{now:%Y%m%dT%H%M%S}", kind)
    # whose warnings a delta's are counted with (warning_log.py)
    epoch = run_id if kind == "full" else latest_full_run(ports.store, district_id) or run_id
    doc = run_document(district_id, kind, dry_run, requested_by, now, epoch, package)
    ports.store.create(layout.run(district_id, run_id), doc)
    if not dry_run:
        state: dict[str, Any] = {"last_at": now, "last_run": run_id}
        if kind == "full":
            state["last_full_at"] = now
        ports.store.set(layout.district(district_id), {"sync_state": state}, merge=True)
    task = StartTask(district_id, run_id) if package is None else StageTask(district_id, run_id)
    ports.queue.enqueue(ports.queue_name, payload(task), name=task.name())
    log.info("sync.run_created", extra={"labels": {"district": district_id, "run": run_id}})
    return run_id


def run_document(
    district_id: str,
    kind: RunKind,
    dry_run: bool,
    requested_by: str,
    now: Any,
    full_epoch: str,
    package: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """A new run's document, queued. Pure."""
    source = {"source": "csv", "package": dict(package)} if package is not None else {}
    return {
        "district_id": district_id,
        "kind": kind,
        "dry_run": dry_run,
        "requested_by": requested_by,
        "state": "queued",
        "created_at": now,
        "full_epoch": full_epoch,
        **source,
    }


def load_run(store: DocumentStore, district_id: str, run_id: str) -> dict[str, Any]:
    run = store.get(layout.run(district_id, run_id))
    if run is None:
        raise NotFound(f"run {run_id!r} does not exist")
    return run


_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
_URL_QUERY = re.compile(r"(https?://[^\s?#'\"]*)\?([^\s#'\",;)]*)")
_CREDENTIAL = re.compile(r"(?i)\b(token|secret|password|key)(\s*[:=]?\s*)[A-Za-z0-9._~+/=-]{12,}")
FAILURE_TEXT_LIMIT = 2000


def failure_text(text: str) -> str:
    """A failure reason fit to store and show: an SIS's own words may quote tokens, secrets or
    URLs with credentials in their query; those are masked, and the text is bounded."""
    text = _JWT.sub("[redacted]", redact(text))
    text = _URL_QUERY.sub(lambda m: f"{m.group(1)}?{re.sub('=[^&]*', '=***', m.group(2))}", text)
    text = _CREDENTIAL.sub(lambda m: f"{m.group(1)}{m.group(2)}[redacted]", text)
    return text[:FAILURE_TEXT_LIMIT]


def _not_cancelled(run: Mapping[str, Any] | None) -> bool:
    return run is not None and run.get("state") != CANCELLED


def fail_run(ports: SyncPorts, district_id: str, run_id: str, reason: str, where: str) -> None:
    """Records the failure, unless the run was cancelled (a cancelled run stays cancelled)."""
    ports.store.update_if(
        layout.run(district_id, run_id),
        _not_cancelled,
        {
            "state": "failed",
            "failure": {"reason": failure_text(reason), "where": failure_text(where)},
            "finished_at": ports.clock(),
        },
    )


def cancel_run(store: DocumentStore, district_id: str, run_id: str, by: str, now: Any) -> None:
    """Ends a queued or running run at once; its remaining tasks see a terminal run and stop.
    Conflict names the state when the run already ended (a held run is decided, not cancelled)."""
    fields = {"state": CANCELLED, "cancelled_by": by, "cancelled_at": now, "finished_at": now}
    if store.update_if(layout.run(district_id, run_id), _still_running, fields):
        return
    state = load_run(store, district_id, run_id).get("state")
    hint = "; decide a held run with POST .../decision" if state == "held" else ""
    raise Conflict(
        f"run {run_id} is {state}, not running; only a running run can be cancelled{hint}"
    )


def running_runs(store: DocumentStore, district_id: str) -> list[str]:
    """The district's queued and running runs."""
    wanted = Filter("state", "in", ["queued", "running"])
    return [doc.id for doc in store.query(layout.runs(district_id), wanted)]


def record_warnings(
    ports: SyncPorts,
    district_id: str,
    run_id: str,
    warnings: Iterable[DataWarning],
    *,
    writer: str | tuple[str, str | None],
    epoch: str | None = None,
    known: Mapping[str, Mapping[str, Any]] | None = None,
    history: Mapping[str, Entry] | None = None,
) -> int:
    """The warnings ``writer`` (a name, or a school step's name and school) found in the run,
    as its set (warning_sets.py: a retried task writes the same set again). Then the district's
    record of each warning counts the run once: a school step's own warnings in its school's
    record (warning_history.py), any other in the warning's document (warning_log.py).
    ``epoch``: the run's ``full_epoch``, read from the run when not given; ``known`` and
    ``history``: the documents and the school's record the caller just read. Returns the writes
    made."""
    by_key = {warning_key(w): w for w in warnings}
    if not by_key:
        return 0
    now = ports.clock()
    named = writer if isinstance(writer, tuple) else (writer, None)
    writes = write_set(ports.store, district_id, run_id, named, by_key, now)
    if epoch is None:
        run = ports.store.get(layout.run(district_id, run_id)) or {}
        epoch = str(run.get("full_epoch") or run_id)
    school = named[1]
    own = {k: w for k, w in by_key.items() if school is not None and w.school_id == school}
    if own:
        sighting = (run_id, epoch, now)
        writes += note_school(ports.store, district_id, str(school), sighting, own, history)
    rest = {k: w for k, w in by_key.items() if k not in own}
    return writes + note_warnings(ports.store, district_id, run_id, epoch, now, rest, known)


def _sum(schools: Sequence[Mapping[str, Any]], key: str) -> dict[str, int]:
    totals: dict[str, int] = {}
    for school in schools:
        for name, value in (school.get(key) or {}).items():
            totals[name] = totals.get(name, 0) + int(value)
    return totals


def run_outcome(schools: Sequence[Mapping[str, Any]], warnings: int) -> dict[str, Any]:
    """The run's final state and counts from its ended schools. Pure."""
    failed = [s for s in schools if s.get("state") == "failed"]
    if failed:
        state = "failed"
    elif any(s.get("state") == "held" for s in schools):
        state = "held"
    else:
        state = "succeeded_with_warnings" if warnings else "succeeded"
    counts = _sum(schools, "counts")
    if "warnings" in counts:
        # A warning about users of several schools (a shared email) is seen by each of their
        # school steps; the stored documents, one per record and kind, are the exact count.
        counts["warnings"] = warnings
    outcome: dict[str, Any] = {
        "state": state,
        "counts": counts,
        "held_counts": _sum(schools, "held_counts"),
        "warnings": warnings,
    }
    if failed:
        outcome["failure"] = {
            "reason": failed[0].get("reason", "a school failed"),
            "where": ", ".join(str(s.get("where", s.get("school_id"))) for s in failed),
        }
    return outcome


def _still_running(run: Mapping[str, Any] | None) -> bool:
    return run is not None and run.get("state") not in TERMINAL_RUN_STATES


# Up to this many schools, a school's completion reads the states of the run's schools by path
# (one batched read of small documents) instead of counting the ended ones: on the emulator a
# count costs as much as a query that passes over every document stored (docs/bench.md); in
# production a read per school and completion stays cheap at this size.
SCHOOLS_READ_BY_PATH = 100


def all_schools_ended(store: DocumentStore, run: Mapping[str, Any], schools_path: str) -> bool:
    """Whether every school of the run ended: a batched read of their states when the run names
    at most SCHOOLS_READ_BY_PATH of them, else one count aggregation."""
    named, count = run.get("schools"), int(run.get("school_count", 0))
    if isinstance(named, list) and len(named) == count <= SCHOOLS_READ_BY_PATH:
        paths = [f"{schools_path}/{safe_id(str(school))}" for school in named]
        found = store.get_many(paths, fields=["state"])
        return all((found.get(p) or {}).get("state") in TERMINAL_SCHOOL_STATES for p in paths)
    ended = Filter("state", "in", sorted(TERMINAL_SCHOOL_STATES))
    return store.count(schools_path, ended) >= count


def maybe_finish_run(ports: SyncPorts, district_id: str, run_id: str) -> None:
    """Ends the run once every school ended (``all_schools_ended``); the school documents are
    read whole once, by the task that ends the run."""
    store = ports.store
    run = load_run(store, district_id, run_id)
    if run.get("state") in TERMINAL_RUN_STATES:
        return
    schools_path = layout.run_part(district_id, run_id, "schools")
    if not all_schools_ended(store, run, schools_path):
        return
    schools = [doc.data for doc in store.query(schools_path)]
    if any(s.get("state") not in TERMINAL_SCHOOL_STATES for s in schools):
        return
    warnings = run_total(store, district_id, run_id)
    outcome = run_outcome(schools, warnings)
    # Two schools ending at the same moment both get here; the transaction lets one finish it.
    fields = {**outcome, "finished_at": ports.clock()}
    finished = store.update_if(layout.run(district_id, run_id), _still_running, fields)
    if not finished:
        return
    log.info(
        "sync.run_done",
        extra={
            "labels": {"district": district_id, "run": run_id},
            "fields": {"state": outcome["state"]},
        },
    )
