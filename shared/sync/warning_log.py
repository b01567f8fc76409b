"""The district's record of each data warning across runs: one document per (school, code,
record), the key of the run's own warning documents without the run, holding when it was first and
last seen and by how many runs (``runs_seen``).

Exact under duplicate and concurrent deliveries of a school step: a delivery reads the documents
(one batched read), leaves out those whose ``recent_runs`` already hold the run, and writes the
others with values computed from what it read, so deliveries of the same run that race write the
same values (the run counted once), and a delivery after the first writes nothing. Two *different*
runs of a district updating one warning at the same instant could lose one count; runs of a
district do not overlap in normal operation, and a transaction per warning would cost a round
trip each.

Which warnings are the district's current ones: each document carries an ``epoch``, the full run
that saw it (for a delta, the latest full run created before the delta; ``full_epoch`` on the
run). The current warnings are those whose epoch is the district's latest full run that ended
without failing, or a full run created after it (running, failed or cancelled): a warning fixed
in the SIS is not seen by the next full run, keeps its old epoch, and leaves the list when that
run ends."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from shared.errors import NotFound
from shared.ids import digest, join_ids, split_ids
from shared.store import layout
from shared.store.ports import DOC_ID, Data, DocumentStore, Filter, Order, Write
from shared.sync.model import DataWarning

# Run ids kept per warning, as one text (shared/ids.py join_ids): enough to tell a late
# duplicate delivery.
RECENT_RUNS = 20
READ_FIELDS = ("recent_runs", "runs_seen", "last_seen_at")
EPOCHS = 30  # Firestore's limit on the values of an ``in`` filter
NEWEST_FIRST = (Order("created_at", descending=True), Order(DOC_ID, descending=True))
# A full run whose warnings are complete: every school planned (a failed run may lack some).
COMPLETE = frozenset({"succeeded", "succeeded_with_warnings", "held", "deciding"})
ENDED = COMPLETE | {"failed"}
SEEN_FIELDS = ("first_seen_run", "first_seen_at", "last_seen_run", "last_seen_at", "runs_seen")


def warning_key(warning: DataWarning) -> str:
    return digest(warning.school_id or "", warning.code, warning.sourced_id)


def first_record(warning: DataWarning, run_id: str, epoch: str, now: dt.datetime) -> Data:
    """The district document of a warning seen for the first time. Pure."""
    return {
        **asdict(warning),
        "first_seen_run": run_id,
        "first_seen_at": now,
        "last_seen_run": run_id,
        "last_seen_at": now,
        "runs_seen": 1,
        "recent_runs": run_id,
        "epoch": epoch,
    }


def seen_again(
    warning: DataWarning, run_id: str, epoch: str, now: dt.datetime, stored: Mapping[str, Any]
) -> Data:
    """The fields that change when another run sees a stored warning. The latest sighting sets
    the text (the fields ``stored`` does not already hold as they are), last seen and epoch; a
    late one (an older run's retry) only counts. Pure."""
    recent = join_ids([*split_ids(stored.get("recent_runs"))[-(RECENT_RUNS - 1) :], run_id])
    fields: Data = {"runs_seen": int(stored.get("runs_seen") or 0) + 1, "recent_runs": recent}
    last = stored.get("last_seen_at")
    if last is None or now >= last:
        text = asdict(warning)
        fields.update({k: v for k, v in text.items() if k not in stored or stored[k] != v})
        fields.update({"last_seen_run": run_id, "last_seen_at": now, "epoch": epoch})
    return fields


def note_warnings(
    store: DocumentStore,
    district_id: str,
    run_id: str,
    epoch: str,
    now: dt.datetime,
    warnings: Mapping[str, DataWarning],
    known: Mapping[str, Mapping[str, Any]] | None = None,
) -> int:
    """Counts the run once on each warning's district document: one batched read, then one
    batched write of the documents this run has not counted yet. ``known``: documents the
    caller read just before, by key (with ``READ_FIELDS``), not read again. Returns the writes
    made."""
    folder = layout.district_warnings(district_id)
    paths = {key: f"{folder}/{key}" for key in warnings}
    known = known or {}
    unread = [path for key, path in paths.items() if key not in known]
    stored = store.get_many(unread, fields=list(READ_FIELDS)) if unread else {}
    stored.update({paths[key]: dict(doc) for key, doc in known.items() if key in paths})
    writes = []
    for key, warning in warnings.items():
        doc = stored.get(paths[key])
        if doc is None:
            writes.append(Write("set", paths[key], first_record(warning, run_id, epoch, now)))
        elif run_id not in split_ids(doc.get("recent_runs")):
            writes.append(Write("update", paths[key], seen_again(warning, run_id, epoch, now, doc)))
    return store.commit(writes)


def latest_full_run(store: DocumentStore, district_id: str) -> str | None:
    found = store.page(
        layout.runs(district_id), Filter("kind", "==", "full"), order=NEWEST_FIRST, limit=1
    )
    return found[0].id if found else None


def current_epochs(store: DocumentStore, district_id: str) -> tuple[str, list[str]]:
    """The full run the district's warnings rest on, and every epoch whose warnings are current
    (that run and the full runs created after it)."""
    runs = store.page(
        layout.runs(district_id), Filter("kind", "==", "full"), order=NEWEST_FIRST, limit=EPOCHS
    )
    epochs: list[str] = []
    for doc in runs:
        epochs.append(doc.id)
        if doc.data.get("state") in COMPLETE:
            return doc.id, epochs
    ended = [doc.id for doc in runs if doc.data.get("state") in ENDED]
    if not ended:
        raise NotFound("no full sync has ended yet; start one with POST /runs, then ask again")
    return ended[0], epochs
