"""The page step: fetch one OneRoster page into the mirror, record it, and chain the next page,
or, at an item's end, the lane's next item and (when the school's fetches all ended) its school
step. A repeated delivery finds the page recorded and only chains again."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from shared.districts import district_from, load_district
from shared.errors import NotFound
from shared.ids import join_ids, safe_id
from shared.oneroster.errors import OneRosterError
from shared.oneroster.paging import Page, PageRequest
from shared.oneroster.records import Parsed
from shared.store import layout
from shared.sync import mirror
from shared.sync.district import DistrictConfig
from shared.sync.lanes import enqueue_item, enqueue_page, lane_item, split_item
from shared.sync.mirror_snapshot import late_write
from shared.sync.mirror_store import (
    MirrorPage,
    entries,
    page_content,
    unchanged_page,
    write_mirror,
)
from shared.sync.model import DataWarning
from shared.sync.ports import SyncPorts
from shared.sync.runs import TERMINAL_RUN_STATES, load_run
from shared.sync.warning_codes import fix_text
from shared.sync.watermarks import newest, watermark_path
from shared.tasks import PageTask, SchoolTask, final_on_last_delivery, payload

log = logging.getLogger(__name__)


def rejection_warnings(
    parsed: Parsed[Any], request: PageRequest, resource: str, school_id: str
) -> list[DataWarning]:
    return [
        DataWarning(
            "invalid_record",
            resource,
            rejection.sourced_id or f"(row {request.offset + rejection.index + 1})",
            rejection.reason,
            fix_text("invalid_record"),
            school_id,
        )
        for rejection in parsed.rejections
    ]


def page_document(
    item: str,
    index: int,
    page: Page,
    parsed: Parsed[Any],
    written: int,
    rejections: list[DataWarning],
) -> dict[str, Any]:
    """The page's record. Its rejected records' warnings reach the run through the school's
    step, which records them with its own (shared/sync/warning_sets.py). Pure."""
    school_id, resource = split_item(item)
    return {
        "item": item,
        "school_id": school_id,
        "resource": resource,
        "index": index,
        "ids": join_ids(
            [safe_id(r.sourced_id) for r in parsed.records] + [safe_id(i) for i in page.keep_ids]
        ),
        "records": len(parsed.records),
        "written": written,
        "rejected": len(parsed.rejections),
        "rejections": json.dumps([asdict(w) for w in rejections]) if rejections else None,
        "total": page.total,
        "max_modified": newest(r.date_last_modified for r in parsed.records),
        # JSON text: Firestore cannot hold the nested arrays of the query parameters
        "next": json.dumps(page.next.to_dict()) if page.next else None,
    }


@dataclass(frozen=True)
class SchoolDocs:
    """What a page step reads of its school: the run its quiet state names, and the run that
    first wrote its mirror of the page's resource (shared/sync/mirror_store.py)."""

    quiet_run: str | None
    mirror_started_by: str | None
    # the quiet run's pages' content hashes, by page key, when its state keeps them
    quiet_contents: Mapping[str, str] | None = None


def _fetch(
    ports: SyncPorts,
    district: DistrictConfig,
    run: Mapping[str, Any],
    task: PageTask,
    item: str,
    retry_count: int,
    school: SchoolDocs,
) -> PageRequest | None:
    """Fetches and records the page; returns the next page's request. ``school``: the
    school's documents read with the page's other documents."""
    school_id, resource = split_item(item)
    reader = ports.reader(district, run)
    request = PageRequest.from_dict(task.request)
    with final_on_last_delivery(retry_count):
        page = reader.fetch_page(request)
    parsed = reader.parse_page(page)
    store, run_id, district_id = ports.store, task.run_id, task.district_id
    page_entries = entries(parsed.records)
    content = page_content(page_entries)
    written, copy, key = 0, None, page_key(task, item)
    quiet_run, quiet_contents = school.quiet_run, school.quiet_contents
    if not unchanged_page(store, district_id, quiet_run, key, content, quiet_contents):
        target = MirrorPage(district_id, school_id, resource, run_id, key, school.mirror_started_by)
        written, copy = write_mirror(store, target, page_entries, ports.clock())
    rejected = rejection_warnings(parsed, request, resource, school_id)
    doc = page_document(item, task.page_index, page, parsed, written, rejected)
    recorded = {**doc, "content": content, "done_at": ports.clock()}
    if copy is not None:
        recorded["mirror_copy"] = copy  # the pieces of its copy (mirror_copies.py)
    if not store.create(page_path(task, item), recorded) and written:
        # Another delivery recorded the page first: this one's mirror writes may land after
        # the school step read the mirror, so its snapshot is no longer whole.
        store.commit([late_write(district_id, school_id, f"{run_id}~{key}")])
    _record_pages_known(ports, task, item, page)
    _log_page(task, item, len(parsed.records), written)
    return page.next


def _record_pages_known(ports: SyncPorts, task: PageTask, item: str, page: Page) -> None:
    """The first page tells how many pages the item has, when the SIS gives a total (an item of
    one page is told by the end of its fetch, in the same step)."""
    if task.page_index != 0 or page.total is None or page.next is None:
        return
    per_page = max(page.received, 1)
    fetch = f"{layout.run_part(task.district_id, task.run_id, 'fetches')}/{item}"
    ports.store.set(fetch, {"pages_known": -(-page.total // per_page) or 1}, merge=True)


def _log_page(task: PageTask, item: str, records: int, written: int) -> None:
    school_id, _ = split_item(item)
    labels = {
        "district": task.district_id,
        "run": task.run_id,
        "school": school_id,
        "task": page_key(task, item),
    }
    log.info(
        "sync.page", extra={"labels": labels, "fields": {"records": records, "written": written}}
    )


def page_key(task: PageTask, item: str) -> str:
    return layout.page_key(item, task.page_index)


def page_path(task: PageTask, item: str) -> str:
    return f"{layout.run_part(task.district_id, task.run_id, 'pages')}/{page_key(task, item)}"


def _recorded_next(doc: dict[str, Any]) -> PageRequest | None:
    return PageRequest.from_dict(json.loads(doc["next"])) if doc.get("next") else None


def end_fetch(
    ports: SyncPorts,
    task: PageTask,
    item: str,
    fields: dict[str, Any],
    district: DistrictConfig | None = None,
    run: Mapping[str, Any] | None = None,
) -> None:
    """Records the item's fetch as ended (complete or failed); chains the lane's next item and,
    when this was the school's last fetch, its school step. ``district`` and ``run``: the
    documents the step already read, if it did (a run's lanes never change). The school's
    fetches and the next item's watermark are read in one batched read."""
    school_id, resource = split_item(item)
    folder = layout.run_part(task.district_id, task.run_id, "fetches")
    ports.store.set(
        f"{folder}/{item}",
        {"item": item, "school_id": school_id, "resource": resource, **fields},
        merge=True,
    )
    district = district or load_district(ports.store, task.district_id)
    run = run if run is not None else load_run(ports.store, task.district_id, task.run_id)
    fetches = [f"{folder}/{layout.item_key(school_id, r)}" for r in mirror.SCHOOL_RESOURCES]
    following = lane_item(run, task.lane, task.item_index + 1)
    delta = run.get("kind") == "delta"
    watermark = [watermark_path(task.district_id, following)] if following and delta else []
    read = ports.store.get_many([*fetches, *watermark], ["state", "value"])
    enqueue_item(ports, district, task.run_id, run, task.lane, task.item_index + 1, read)
    if all((read.get(p) or {}).get("state") in ("complete", "failed") for p in fetches):
        school = SchoolTask(task.district_id, task.run_id, school_id)  # every fetch ended
        ports.queue.enqueue(ports.queue_name, payload(school), name=school.name())


@dataclass(frozen=True)
class StepDocs:
    """What a page step reads in one batched read: its run, the page's own record (a repeated
    delivery finds it), the district's settings and the school's documents."""

    run: dict[str, Any]
    page: dict[str, Any] | None
    district: dict[str, Any] | None
    school: SchoolDocs


def _step_documents(ports: SyncPorts, task: PageTask, item: str) -> StepDocs:
    school_id, resource = split_item(item)
    run = layout.run(task.district_id, task.run_id)
    page = page_path(task, item)
    district = layout.district(task.district_id)
    state = layout.school_state(task.district_id, school_id)
    start = layout.mirror_start(task.district_id, school_id, resource)
    found = ports.store.get_many([run, page, district, state, start])
    if run not in found:
        raise NotFound(f"run {task.run_id!r} does not exist")
    quiet = (found.get(state) or {}).get("quiet") or {}
    started_by = (found.get(start) or {}).get("run_id")
    contents = quiet.get("page_contents")
    school = SchoolDocs(
        quiet.get("run_id") or None,
        str(started_by) if started_by else None,
        contents if isinstance(contents, Mapping) else None,
    )
    return StepDocs(found[run], found.get(page), found.get(district), school)


def _lane_item(run: Mapping[str, Any], task: PageTask) -> str:
    return str(run["lanes"][task.lane][task.item_index])


def _read_step(ports: SyncPorts, task: PageTask) -> tuple[str, StepDocs]:
    """The step's item and documents: read together when the task names its item, as the run's
    lanes do; a task from before items were named (or naming another) reads them after the run."""
    item = task.item or _lane_item(load_run(ports.store, task.district_id, task.run_id), task)
    docs = _step_documents(ports, task, item)
    lanes_own = _lane_item(docs.run, task)
    if lanes_own != item:
        item, docs = lanes_own, _step_documents(ports, task, lanes_own)
    return item, docs


def _fetch_or_fail(
    ports: SyncPorts,
    run: Mapping[str, Any],
    task: PageTask,
    item: str,
    retry_count: int,
    docs: StepDocs,
) -> tuple[PageRequest | None, DistrictConfig, str | None]:
    """Fetches the page: (the next page's request, the district, None), or, when the SIS
    refused for good, ends the item's fetch as failed: (None, the district, the reason). A
    transient failure raises, so Cloud Tasks delivers the step again."""
    district = district_from(task.district_id, docs.district)
    labels = {"district": task.district_id, "run": task.run_id}
    try:
        fetched = _fetch(ports, district, run, task, item, retry_count, docs.school)
        return fetched, district, None
    except OneRosterError as exc:
        if exc.transient:
            log.warning("sync.page_retry", extra={"labels": labels})
            raise
        log.error("sync.fetch_failed", extra={"labels": labels, "fields": {"item": item}})
        ended = {"state": "failed", "reason": exc.message, "pages_known": task.page_index}
        end_fetch(ports, task, item, ended, district, run)
        return None, district, exc.message


def _chain(
    ports: SyncPorts,
    task: PageTask,
    item: str,
    next_request: PageRequest | None,
    district: DistrictConfig | None,
    run: Mapping[str, Any],
) -> dict[str, Any]:
    """Enqueues the next page, or ends the item's fetch as complete after its last page."""
    if next_request is not None:
        following = PageTask(
            task.district_id,
            task.run_id,
            task.lane,
            task.item_index,
            task.page_index + 1,
            next_request.to_dict(),
            item,
        )
        enqueue_page(ports, following)
        return {"state": "page_done", "next": True}
    pages = task.page_index + 1
    ended = {"state": "complete", "pages": pages, "pages_known": pages}
    end_fetch(ports, task, item, ended, district, run)
    return {"state": "item_done"}


def run_page_step(ports: SyncPorts, task: PageTask, retry_count: int) -> dict[str, Any]:
    item, docs = _read_step(ports, task)
    run = docs.run
    if run.get("state") in TERMINAL_RUN_STATES:
        return {"state": run["state"], "skipped": True}
    if docs.page is not None:  # a repeated delivery: the page is recorded, chain again
        return _chain(ports, task, item, _recorded_next(docs.page), None, run)
    next_request, district, failure = _fetch_or_fail(ports, run, task, item, retry_count, docs)
    if failure is not None:
        return {"state": "failed", "reason": failure}
    return _chain(ports, task, item, next_request, district, run)
