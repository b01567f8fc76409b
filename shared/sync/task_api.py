"""The sync task and scheduler handlers: verify the caller is Cloud Tasks or Cloud Scheduler,
then run one step or start the syncs that are due. 2xx ends a task; 503 (a transient error)
asks Cloud Tasks to retry."""

from __future__ import annotations

import logging

from shared.identity import verify_task_caller
from shared.oneroster.errors import OneRosterError
from shared.store import layout
from shared.sync.district import DistrictConfig
from shared.sync.ports import AdminPorts
from shared.sync.runs import create_run
from shared.sync.schedule import due_sync
from shared.sync.service import handle_task
from shared.tasks import parse_sync_task, retry_count_of
from shared.web.edge import ApiRequest, Response

log = logging.getLogger(__name__)


def handle_task_request(ports: AdminPorts, request: ApiRequest) -> Response:
    verify_task_caller(request.headers, ports.settings, ports.tokens)
    task = parse_sync_task(request.body)
    return 200, handle_task(ports.sync, task, retry_count_of(request.headers))


def _start_if_due(
    ports: AdminPorts, district_id: str, doc: dict[str, object]
) -> dict[str, str] | None:
    try:
        district = DistrictConfig.from_doc(district_id, doc)
    except OneRosterError:
        log.warning("sync.schedule_skipped", extra={"labels": {"district": district_id}})
        return None
    if district.source == "csv":  # its runs start when a package lands
        return None
    last = doc.get("sync_state") or {}
    assert isinstance(last, dict)
    now = ports.sync.clock()
    kind = due_sync(district.schedule, now, last.get("last_full_at"), last.get("last_at"))
    if kind is None:
        return None
    run_id = f"scheduled-{now:%Y%m%d}-{kind}"
    create_run(
        ports.sync, district_id, kind=kind, dry_run=False, requested_by="schedule", run_id=run_id
    )
    return {"district_id": district_id, "run_id": run_id, "kind": kind}


def handle_schedule(ports: AdminPorts, request: ApiRequest) -> Response:
    """Cloud Scheduler tick: start the syncs that are due, per district."""
    verify_task_caller(request.headers, ports.settings, ports.tokens)
    started = []
    for doc in ports.sync.store.query(layout.districts()):
        if doc.data.get("connected"):
            run = _start_if_due(ports, doc.id, doc.data)
            if run:
                started.append(run)
    return 200, {"started": started}
