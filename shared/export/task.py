"""The export task: writes one class's assignments and marks to the SIS with PUT and
deterministic sourcedIds.

Exactly once: a lineItem's id derives from district, SIS section and assignment, a result's from
those and the student, so a retry, a repeated export or a reconnect replaces rather than adds.
Only changed content is sent, and only changed state is written: each assignment and mark keeps
the hash of what the SIS last accepted, so an unchanged class costs its reads and one write (the
class's own ``export``). The results of an assignment are sent side by side within the vendor's
concurrency limit (``shared/export/sending.py``). A failure of one mark does not stop the others:
each assignment and each mark is exported under a guard that records a permanent SIS refusal, or
an unexpected error (with a reference to its log entry), as ``failed`` on that document alone.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial
from typing import Any

from shared.errors import Conflict, Forbidden, NotFound
from shared.export.classes import ClassMarks, class_doc, class_marks, export_enabled_district
from shared.export.context import export_context
from shared.export.job import ClassExport, Due, already_sent
from shared.export.mapping import (
    Assignment,
    Held,
    bodies,
    content_hash,
    plan_line_item,
    plan_result,
)
from shared.export.ports import ExportPorts
from shared.export.records import assignment_from, mark_from
from shared.export.sending import Sender
from shared.oneroster.errors import OneRosterError
from shared.store import layout
from shared.store.ports import Doc
from shared.tasks import ExportTask, final_on_last_delivery

__all__ = ["ClassExport", "already_sent", "handle_export"]

log = logging.getLogger(__name__)

Body = Callable[[Any], Any]


def _due_mark(
    job: ClassExport, mark_doc: Doc, assignment: Assignment, line_item: Any, result_body: Body
) -> Due | None:
    """The result to send for this mark; None when it is held or the SIS holds it already."""
    mark = mark_from(mark_doc.data, job.now.date())
    result = mark if isinstance(mark, Held) else plan_result(job.ctx, assignment, line_item, mark)
    if isinstance(result, Held):
        job.record(mark_doc.path, "held", stored=mark_doc.data, message=result.reason)
        return None
    digest = content_hash(result_body(result))
    if already_sent(mark_doc.data, digest):
        job.counts["unchanged"] += 1  # nothing to send, nothing to write
        return None
    return Due(mark_doc.path, result, digest)


def _export_marks(
    job: ClassExport,
    marks: list[Doc],
    assignment: Assignment,
    line_item: Any,
    result_body: Body,
) -> None:
    due: list[Due] = []
    for mark_doc in marks:
        with job.guarded(mark_doc.path):
            item = _due_mark(job, mark_doc, assignment, line_item, result_body)
            if item is not None:
                due.append(item)
    job.send_results(due)


def _export_assignment(
    job: ClassExport, doc: Doc, marks: Future[ClassMarks], line_item_body: Body, result_body: Body
) -> None:
    assignment = assignment_from(doc.id, doc.data)
    if isinstance(assignment, Held):
        job.record(doc.path, "held", stored=doc.data, message=assignment.reason)
        return
    planned = plan_line_item(job.ctx, assignment)
    if isinstance(planned, Held):
        job.record(doc.path, "held", stored=doc.data, message=planned.reason)
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
        stored=doc.data,
        hash=digest,
        sis_line_item_id=line_item.sourced_id,
        grading_period=period.title,
        message=None,
    )
    _export_marks(job, marks.result().get(doc.path, []), assignment, line_item, result_body)


def _export_class(job: ClassExport, task: ExportTask) -> None:
    """The published assignments in order; the class's marks are read meanwhile (the reads are
    most of an unchanged export's time)."""
    line_item_body, result_body = bodies(job.ctx, job.client.href_for, job.now)
    store = job.ports.store
    with ThreadPoolExecutor(1, thread_name_prefix="export-read") as reader:
        marks = reader.submit(class_marks, store, task.district_id, task.class_id)
        docs = [
            doc
            for doc in store.query(layout.coursework(task.district_id, task.class_id))
            if doc.data.get("state", "published") == "published"
        ]
        for doc in docs:
            with job.guarded(doc.path):
                _export_assignment(job, doc, marks, line_item_body, result_body)
            job.flush_if_full()
    job.flush()


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
    sender = Sender(task.district_id, district.max_concurrency)
    return ClassExport(ports, ctx, client, ports.clock(), retry_count, labels, sender=sender)


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
    try:
        _export_class(job, task)
    finally:
        job.close()
    seconds = round(time.monotonic() - started, 2)
    done = {"state": "done", "started_at": job.now, "counts": job.counts, "seconds": seconds}
    log.info("export.done", extra={"labels": job.labels, "fields": job.counts})
    return _finish(ports, path, done)
