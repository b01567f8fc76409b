"""The stage step, a CSV run's first: stream the package once from storage, record its problems
as data warnings, and write its good rows to the staging bucket as the pages the ordinary steps
read (reader.py has the layout); then hand over to the start step.

Idempotent under duplicate and concurrent delivery: a delivery first claims the run with a lease
(``staging`` on the run document); a second delivery that finds the lease held is retried later
(TransientError), one that finds the run ``staged`` only enqueues the start task (its name is
deterministic). Every staged object and warning is keyed, so a delivery that stages again after
a lease expired writes the same objects. A file-level error met mid-stream (invalid UTF-8 at a
line) fails the run, removes the staged objects and removes nothing from the roster."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from shared.csvpackage import CsvRow, Package, PackageError, open_package
from shared.csvsource.ports import PackageStorage
from shared.csvsource.reader import page_name, staging_prefix
from shared.csvsource.split import (
    RESOURCES_OF_FILE,
    SCHOOL_FILES,
    Splitter,
    merged,
    more_problems,
    problem_warnings,
    routes,
    typed_rows,
    unusable_id,
)
from shared.errors import RunFailure
from shared.oneroster.errors import TransientError
from shared.store import layout
from shared.sync.model import DataWarning
from shared.sync.ports import SyncPorts
from shared.sync.runs import TERMINAL_RUN_STATES, load_run, record_warnings
from shared.sync.warning_log import warning_key
from shared.tasks import StageTask, StartTask, final_on_last_delivery, payload

LEASE = dt.timedelta(minutes=10)  # longer than a sync task may run (infra/functions.tf: 540 s)
WARNING_BATCH = 500
ROW_WARNINGS = 5_000  # listed per file; the rest are counted in one csv_more_problems warning
WHERE = "reading the package"
Row = dict[str, Any]


class WarningSink:
    """Data warnings recorded in batches, with the run's epoch read once; at most
    ``ROW_WARNINGS`` per file, then one warning counting the rest (a file of bad rows must not
    cost a million writes)."""

    def __init__(self, ports: SyncPorts, district_id: str, run_id: str, epoch: str) -> None:
        self.ports, self.district_id, self.run_id, self.epoch = ports, district_id, run_id, epoch
        self.pending: list[DataWarning] = []
        self.flushed: set[str] = set()  # keys of warnings recorded by an earlier batch
        self.batches = 0
        self.per_file: dict[str, int] = {}
        self.unlisted: dict[str, int] = {}
        self.count = 0

    def add(self, file: str, warnings: Iterable[DataWarning]) -> None:
        for warning in warnings:
            self.count += 1
            if self.per_file.get(file, 0) >= ROW_WARNINGS:
                self.unlisted[file] = self.unlisted.get(file, 0) + 1
                continue
            self.per_file[file] = self.per_file.get(file, 0) + 1
            self.pending.append(warning)
        if len(self.pending) >= WARNING_BATCH:
            self.flush()

    def flush(self) -> None:
        """Records the pending warnings as the next batch's set (warning_sets.py), leaving out
        those an earlier batch recorded: the same staging always makes the same batches."""
        batch = [w for w in self.pending if warning_key(w) not in self.flushed]
        self.pending = []
        if not batch:
            return
        self.flushed.update(warning_key(w) for w in batch)
        writer, self.batches = f"csv-{self.batches:05d}", self.batches + 1
        record_warnings(
            self.ports, self.district_id, self.run_id, batch, writer=writer, epoch=self.epoch
        )

    def close(self) -> None:
        self.pending += [more_problems(f, n, ROW_WARNINGS) for f, n in self.unlisted.items()]
        self.flush()


class Stager:
    """One staging of one package into ``prefix`` of the staging bucket."""

    def __init__(
        self, storage: PackageStorage, bucket: str, prefix: str, run: Mapping[str, Any]
    ) -> None:
        self.storage, self.bucket, self.prefix = storage, bucket, prefix
        self.full = run.get("kind") == "full"
        self.rows: dict[str, int] = {}
        self.kept: dict[str, list[str]] = {}
        self.splitter = Splitter(self._write_page)

    def _write_page(self, item: str, index: int, rows: list[Row]) -> None:
        self.storage.write_json(self.bucket, page_name(self.prefix, item, index), {"rows": rows})

    def write(self, name: str, value: Any) -> None:
        self.storage.write_json(self.bucket, f"{self.prefix}/{name}", value)

    def good_rows(self, kind: str, rows: Iterable[CsvRow], sink: WarningSink) -> Iterable[Row]:
        """The usable records of a file; problems go to ``sink``; an unusable row's sourcedId
        is kept (full run) so it does not count as removed."""
        count, own_file = 0, f"{kind}.csv"  # 1.2's users also yield roles.csv rows with problems
        for row in rows:
            count += row.file == own_file
            if row.problems:
                sink.add(row.file, problem_warnings(row.problems))
            if row.record is not None:
                yield row.record
                continue
            kept = unusable_id(row.problems) if self.full and row.file == own_file else None
            if kept is not None:
                for resource in RESOURCES_OF_FILE.get(kind, ()):
                    self.kept.setdefault(resource, []).append(kept)
        self.rows[kind] = count

    def split(self, kind: str, rows: Iterable[CsvRow], sink: WarningSink, version: str) -> None:
        for record in self.good_rows(kind, rows, sink):
            for item in routes(kind, record, version):
                self.splitter.add(item, record)


def _stored_schools(ports: SyncPorts, district_id: str) -> list[Row]:
    """The schools earlier runs saw, as REST rows (a delta package lists only changed orgs)."""
    return [
        {
            "sourcedId": d.data.get("sourcedId"),
            "status": d.data.get("status") or "active",
            "name": d.data.get("name") or "",
            "type": "school",
        }
        for d in ports.store.query(layout.sis_schools(district_id))
    ]


def _stored_terms(ports: SyncPorts, district_id: str) -> list[Row]:
    return [
        {
            "sourcedId": d.data.get("sourcedId"),
            "status": d.data.get("status") or "active",
            "title": d.data.get("title") or "",
            "type": "term",
            "startDate": d.data.get("start_date"),
            "endDate": d.data.get("end_date"),
        }
        for d in ports.store.query(layout.sis_terms(district_id))
    ]


def _listings(
    ports: SyncPorts, district_id: str, package: Package, stager: Stager, sink: WarningSink
) -> None:
    """orgs.json, schools.json and terms.json; a file the manifest does not send in bulk is
    merged over what earlier runs saw."""
    orgs = list(stager.good_rows("orgs", package.rows("orgs"), sink))
    sessions = list(stager.good_rows("academicSessions", package.rows("academicSessions"), sink))
    schools, terms = typed_rows(orgs, "school"), typed_rows(sessions, "term")
    files = package.manifest.files
    if files.get("orgs") != "bulk":
        schools = merged(_stored_schools(ports, district_id), schools)
    if files.get("academicSessions") != "bulk":
        terms = merged(_stored_terms(ports, district_id), terms)
    stager.write("orgs.json", orgs)
    stager.write("schools.json", schools)
    stager.write("terms.json", terms)


def _stream(
    ports: SyncPorts, task: StageTask, run: Mapping[str, Any], stager: Stager, sink: WarningSink
) -> None:
    source = run["package"]
    assert ports.packages is not None
    with (
        ports.packages.open_read(source["bucket"], source["name"]) as stream,
        open_package(stream) as package,
    ):
        sink.add("", problem_warnings(package.notes))
        _listings(ports, task.district_id, package, stager, sink)
        for kind in SCHOOL_FILES:
            stager.split(kind, package.rows(kind), sink, package.manifest.version)
    index = stager.splitter.close()
    stager.write("index.json", index)
    if stager.kept:
        stager.write("kept.json", stager.kept)


def stage_package(ports: SyncPorts, task: StageTask, run: Mapping[str, Any]) -> dict[str, Any]:
    """Stages the run's package; returns the run's ``staged`` field. RunFailure (nothing
    staged is left behind) when the package turns out unreadable."""
    if ports.packages is None:
        raise RunFailure("no package storage is configured for CSV runs", "staging")
    prefix = staging_prefix(task.district_id, task.run_id)
    stager = Stager(ports.packages, ports.staging_bucket, prefix, run)
    epoch = str(run.get("full_epoch") or task.run_id)
    sink = WarningSink(ports, task.district_id, task.run_id, epoch)
    try:
        _stream(ports, task, run, stager, sink)
    except PackageError as exc:
        ports.packages.delete_prefix(ports.staging_bucket, f"{prefix}/")
        raise RunFailure(str(exc), WHERE) from None
    finally:
        sink.close()
    pages = stager.splitter.pages
    return {
        "prefix": prefix,
        "pages": sum(pages.values()),
        "items": len(pages),
        "rows": stager.rows,
        "problems": sink.count,
        "kept": sum(len(ids) for ids in stager.kept.values()),
    }


def _claim(ports: SyncPorts, task: StageTask, token: str) -> bool:
    """Takes the lease on staging the run, unless another delivery holds a fresh one."""
    now = ports.clock()

    def free(run: Mapping[str, Any] | None) -> bool:
        if run is None or run.get("state") in TERMINAL_RUN_STATES or run.get("staged"):
            return False
        lease = run.get("staging") or {}
        return not lease or lease.get("since") is None or lease["since"] < now - LEASE

    path = layout.run(task.district_id, task.run_id)
    return ports.store.update_if(path, free, {"staging": {"token": token, "since": now}})


def _held_by(token: str) -> Any:
    def check(run: Mapping[str, Any] | None) -> bool:
        lease = (run or {}).get("staging") or {}
        ended = (run or {}).get("state") in TERMINAL_RUN_STATES
        return run is not None and not ended and lease.get("token") == token

    return check


def _stage_once(
    ports: SyncPorts, task: StageTask, run: Mapping[str, Any], retry_count: int
) -> dict[str, Any] | None:
    """Stages the run unless another delivery does; None when the run is staged now."""
    path, token = layout.run(task.district_id, task.run_id), uuid.uuid4().hex
    if not _claim(ports, task, token):
        run = load_run(ports.store, task.district_id, task.run_id)
        if run.get("state") in TERMINAL_RUN_STATES:
            return {"state": run["state"]}
        if run.get("staged"):
            return None
        with final_on_last_delivery(retry_count):
            raise TransientError("another delivery is staging the package; retried later")
    try:
        staged = stage_package(ports, task, run)
    except Exception:
        ports.store.update_if(path, _held_by(token), {"staging": None})  # free the lease
        raise
    if ports.store.update_if(path, _held_by(token), {"staged": staged}):
        return None
    run = load_run(ports.store, task.district_id, task.run_id)  # cancelled, or lease lost
    return None if run.get("staged") else {"state": run.get("state")}


def run_stage_step(ports: SyncPorts, task: StageTask, retry_count: int) -> dict[str, Any]:
    run = load_run(ports.store, task.district_id, task.run_id)
    if run.get("state") in TERMINAL_RUN_STATES:
        return {"state": run["state"]}
    if not run.get("staged"):
        ended = _stage_once(ports, task, run, retry_count)
        if ended is not None:
            return ended
    start = StartTask(task.district_id, task.run_id)
    ports.queue.enqueue(ports.queue_name, payload(start), name=start.name())
    return {"state": "staged"}
