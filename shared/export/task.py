"""The export task: writes one class's assignments and marks to the SIS with PUT and
deterministic sourcedIds.

Exactly once: a lineItem's id derives from district, SIS section and assignment, a result's from
those and the student, so a retry, a repeated export or a reconnect replaces rather than adds.
Only changed content is sent: each assignment and mark keeps the hash of what the SIS last
accepted. A failure of one mark does not stop the others: each assignment and each mark is
exported under a guard that records a permanent SIS refusal, or an unexpected error (with a
reference to its log entry), as ``failed`` on that document alone.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from shared.errors import Conflict, Forbidden, NotFound
from shared.export.classes import class_doc, export_enabled_district
from shared.export.context import export_context
from shared.export.mapping import (
    Assignment,
    ExportContext,
    Held,
    bodies,
    content_hash,
    plan_line_item,
    plan_result,
)
from shared.export.ports import ExportPorts
from shared.export.records import assignment_from, mark_from
from shared.oneroster.errors import OneRosterError
from shared.store import layout
from shared.store.ports import Doc, Write
from shared.tasks import ExportTask, final_on_last_delivery

log = logging.getLogger(__name__)


@dataclass
class ClassExport:
    """One delivery's state: what it sends with, what it has recorded, and the counts."""

    ports: ExportPorts
    ctx: ExportContext
    client: Any
    now: dt.datetime
    retry_count: int
    labels: dict[str, str] = field(default_factory=dict)
    writes: list[Write] = field(default_factory=list)
    counts: dict[str, int] = field(
        default_factory=lambda: {"sent": 0, "unchanged": 0, "failed": 0, "held": 0}
    )

    def record(self, path: str, state: str, **extra: Any) -> None:
        self.writes.append(
            Write("merge", path, {"export": {"state": state, "last_attempt_at": self.now, **extra}})
        )
        self.counts[state] += 1

    def flush(self) -> None:
        self.ports.store.commit(self.writes)
        self.writes = []

    @contextlib.contextmanager
    def guarded(self, path: str) -> Iterator[None]:
        """Exports one assignment or mark. A transient SIS failure still raises (Cloud Tasks
        retries); anything else is recorded as ``failed`` on this document and the others go on:
        an error that is no SIS's would only fail the same way on every retry."""
        try:
            yield
        except OneRosterError as exc:
            if exc.transient:
                raise
            self.record(path, "failed", message=exc.message)
        except Exception:
            self.record(path, "failed", message=self.internal_failure(path))

    def internal_failure(self, path: str) -> str:
        """Logs the error in hand under a new reference; the teacher's message quotes it."""
        reference = uuid.uuid4().hex[:12]
        log.exception(
            "export.internal_error",
            extra={"labels": self.labels, "fields": {"reference": reference, "doc": path}},
        )
        return (
            f"An unexpected error stopped the export of this item (reference {reference}). "
            "Export again; if it happens again, give the reference to support."
        )

    def send(self, put: Callable[[], object]) -> str | None:
        """None when the SIS accepted the write, else the reason to record. A transient failure
        while Cloud Tasks still retries keeps what was accepted and raises."""
        try:
            with final_on_last_delivery(self.retry_count):
                put()
        except OneRosterError as exc:
            if exc.transient:
                self.flush()  # the retry finds these unchanged and skips them
                raise
            return exc.message
        return None


def already_sent(doc: Mapping[str, Any], content: str) -> bool:
    """The SIS already holds exactly this content (sent or confirmed unchanged before)."""
    previous = doc.get("export") or {}
    return previous.get("hash") == content and previous.get("state") in ("sent", "unchanged")


def _export_mark(
    job: ClassExport,
    mark_doc: Doc,
    assignment: Assignment,
    line_item: Any,
    result_body: Callable[[Any], Any],
) -> None:
    mark = mark_from(mark_doc.data, job.now.date())
    result = mark if isinstance(mark, Held) else plan_result(job.ctx, assignment, line_item, mark)
    if isinstance(result, Held):
        job.record(mark_doc.path, "held", message=result.reason)
        return
    digest = content_hash(result_body(result))
    if already_sent(mark_doc.data, digest):
        job.record(mark_doc.path, "unchanged", hash=digest)
        return
    failure = job.send(partial(job.client.put_result, result, now=job.now))
    if failure:
        job.record(mark_doc.path, "failed", message=failure)
    else:
        job.record(
            mark_doc.path, "sent", hash=digest, sis_result_id=result.sourced_id, message=None
        )


def _export_marks(
    job: ClassExport,
    assignment_doc: Doc,
    assignment: Assignment,
    line_item: Any,
    result_body: Callable[[Any], Any],
) -> None:
    for mark_doc in job.ports.store.query(f"{assignment_doc.path}/marks"):
        with job.guarded(mark_doc.path):
            _export_mark(job, mark_doc, assignment, line_item, result_body)


def _export_assignment(
    job: ClassExport,
    doc: Doc,
    line_item_body: Callable[[Any], Any],
    result_body: Callable[[Any], Any],
) -> None:
    assignment = assignment_from(doc.id, doc.data)
    if isinstance(assignment, Held):
        job.record(doc.path, "held", message=assignment.reason)
        return
    planned = plan_line_item(job.ctx, assignment)
    if isinstance(planned, Held):
        job.record(doc.path, "held", message=planned.reason)
        return
    line_item, period = planned
    digest = content_hash(line_item_body(line_item))
    state = "unchanged"
    if not already_sent(doc.data, digest):
        failure = job.send(partial(job.client.put_line_item, line_item, now=job.now))
        if failure:
            job.record(doc.path, "failed", message=failure)
            return
        state = "sent"
    job.record(
        doc.path,
        state,
        hash=digest,
        sis_line_item_id=line_item.sourced_id,
        grading_period=period.title,
        message=None,
    )
    _export_marks(job, doc, assignment, line_item, result_body)


def _finish(ports: ExportPorts, path: str, export: dict[str, Any]) -> dict[str, Any]:
    ports.store.set(path, {"export": {**export, "finished_at": ports.clock()}}, merge=True)
    return {k: v for k, v in export.items() if k in ("state", "message", "counts")}


def _prepare(
    ports: ExportPorts, task: ExportTask, cls: Mapping[str, Any], retry_count: int
) -> ClassExport:
    district = export_enabled_district(ports.store, task.district_id)
    client = ports.sis.client_for(district)
    with final_on_last_delivery(retry_count):
        ctx = export_context(ports.store, district, client, cls)
    labels = {"district": task.district_id, "class": task.class_id}
    return ClassExport(ports, ctx, client, ports.clock(), retry_count, labels)


def handle_export(ports: ExportPorts, task: ExportTask, retry_count: int = 0) -> dict[str, Any]:
    """Exports one class. Transient SIS failures raise (Cloud Tasks retries the task; marks
    already accepted are then unchanged and not sent again); permanent ones are recorded per
    assignment or mark, or on the class, and the task completes."""
    started = time.monotonic()
    path = layout.class_doc(task.district_id, task.class_id)
    cls = class_doc(ports.store, task.district_id, task.class_id)  # NotFound: nothing to record
    try:
        job = _prepare(ports, task, cls, retry_count)
    except (Forbidden, Conflict, NotFound) as exc:
        return _finish(ports, path, {"state": "refused", "message": exc.message})
    except OneRosterError as exc:
        if exc.transient:
            raise
        return _finish(ports, path, {"state": "failed", "message": exc.message})
    line_item_body, result_body = bodies(job.ctx, job.client.href_for, job.now)
    for doc in ports.store.query(layout.coursework(task.district_id, task.class_id)):
        if doc.data.get("state", "published") == "published":
            with job.guarded(doc.path):
                _export_assignment(job, doc, line_item_body, result_body)
            job.flush()
    done = _finish(
        ports,
        path,
        {"state": "done", "counts": job.counts, "seconds": round(time.monotonic() - started, 2)},
    )
    log.info(
        "export.done",
        extra={"labels": job.labels, "fields": job.counts},
    )
    return done
