"""The sync task dispatcher: one delivery of a sync task runs its step. A run goes
start (start_step.py) -> one page per task (page_step.py) -> one school step per school
(school_step.py) -> the run's end (runs.py); docs/architecture.md draws it. A CSV package's run
has a step before the start: stage (csvsource/stage.py) splits the package into pages.

Every step is idempotent under at-least-once delivery: pages are keyed by run, item and page
index; mirror writes are content-addressed; classroom writes set values computed from state,
never increments; tasks have deterministic names. Transient failures raise (Cloud Tasks retries,
see shared/tasks.py); permanent ones are recorded on the run and the delivery ends.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from shared.csvsource.stage import run_stage_step
from shared.errors import NotFound, RunFailure
from shared.oneroster.errors import OneRosterError
from shared.sync.page_step import run_page_step
from shared.sync.ports import SyncPorts
from shared.sync.runs import fail_run
from shared.sync.school_step import run_school_step
from shared.sync.start_step import run_start_step
from shared.tasks import PageTask, StageTask, StartTask, SyncTask

log = logging.getLogger(__name__)


def _run_step(ports: SyncPorts, task: SyncTask, retry_count: int) -> dict[str, Any]:
    if isinstance(task, StageTask):
        return run_stage_step(ports, task, retry_count)
    if isinstance(task, StartTask):
        return run_start_step(ports, task, retry_count)
    if isinstance(task, PageTask):
        return run_page_step(ports, task, retry_count)
    return run_school_step(ports, task)


def handle_task(ports: SyncPorts, task: SyncTask, retry_count: int = 0) -> dict[str, Any]:
    """Runs one delivery. Raises TransientError for Cloud Tasks to retry; records anything
    permanent on the run and returns."""
    labels = {"district": task.district_id, "run": task.run_id, "step": task.step}
    started = time.monotonic()
    try:
        result = _run_step(ports, task, retry_count)
    except NotFound as exc:  # the run or district is gone: nothing to do, nothing to retry
        log.warning("sync.task_orphaned", extra={"labels": labels})
        return {"state": "gone", "reason": exc.message}
    except OneRosterError as exc:
        if exc.transient:
            raise
        return _record_failure(ports, task, RunFailure(exc.message, f"{task.step} step"))
    except RunFailure as exc:
        return _record_failure(ports, task, exc)
    elapsed = round((time.monotonic() - started) * 1000)
    log.info(
        "sync.step_done", extra={"labels": labels, "fields": {"ms": elapsed, "retry": retry_count}}
    )
    return result


def _record_failure(ports: SyncPorts, task: SyncTask, exc: RunFailure) -> dict[str, Any]:
    labels = {"district": task.district_id, "run": task.run_id, "step": task.step}
    log.error("sync.failed", extra={"labels": labels, "fields": {"where": exc.where}})
    fail_run(ports, task.district_id, task.run_id, exc.message, exc.where)
    return {"state": "failed", "reason": exc.message}
