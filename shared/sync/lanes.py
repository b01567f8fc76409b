"""Lanes: how a run's fetching is spread over tasks. Every (school, resource) item is dealt to
one of ``max_concurrency`` lanes; a lane fetches its items one after another, one page per task,
so at most that many requests reach the SIS at once (Infinite Campus allows 5), with no shared
semaphore document."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from shared.ids import from_safe_id
from shared.oneroster.paging import PageRequest
from shared.store import layout
from shared.sync import mirror
from shared.sync.district import DistrictConfig
from shared.sync.ports import SyncPorts
from shared.sync.watermarks import delta_filter, read_watermark, watermark_path
from shared.tasks import PageTask, payload


def items_for(schools: Sequence[str]) -> list[str]:
    return [layout.item_key(s, r) for s in schools for r in mirror.SCHOOL_RESOURCES]


def deal_lanes(items: Sequence[str], max_concurrency: int) -> dict[str, list[str]]:
    """Items dealt round-robin to at most ``max_concurrency`` lanes. Pure."""
    count = max(1, min(max_concurrency, len(items)))
    return {str(i): list(items[i::count]) for i in range(count)}


def split_item(item: str) -> tuple[str, str]:
    school, resource = item.split("~~", 1)
    return from_safe_id(school), resource


def first_request(
    ports: SyncPorts,
    district: DistrictConfig,
    run: Mapping[str, Any],
    item: str,
    read: Mapping[str, Mapping[str, Any]] | None = None,
) -> PageRequest:
    """The item's first page; a delta asks for the records modified since its watermark, from
    the documents the caller ``read`` by path when it read the watermark with them."""
    school, resource = split_item(item)
    query: dict[str, Any] = {}
    if run.get("kind") == "delta":
        path = watermark_path(district.district_id, item)
        if read is None:
            watermark = read_watermark(ports.store, district.district_id, item)
        else:
            watermark = (read.get(path) or {}).get("value")
        since = delta_filter(watermark)
        if since:
            query["filter"] = since
    return ports.reader(district, run).school_request(school, resource, **query)


def enqueue_page(ports: SyncPorts, task: PageTask) -> None:
    ports.queue.enqueue(ports.queue_name, payload(task), name=task.name())


def lane_item(run: Mapping[str, Any], lane: str, item_index: int) -> str | None:
    """The lane's item at ``item_index``; None past its last. Pure."""
    items = run["lanes"][lane]
    return str(items[item_index]) if item_index < len(items) else None


def enqueue_item(
    ports: SyncPorts,
    district: DistrictConfig,
    run_id: str,
    run: Mapping[str, Any],
    lane: str,
    item_index: int,
    read: Mapping[str, Mapping[str, Any]] | None = None,
) -> None:
    """The first page of the lane's item at ``item_index``; nothing when the lane is done.
    ``read``: documents read by path, the item's watermark among them (first_request)."""
    item = lane_item(run, lane, item_index)
    if item is None:
        return
    request = first_request(ports, district, run, item, read)
    enqueue_page(
        ports, PageTask(district.district_id, run_id, lane, item_index, 0, request.to_dict(), item)
    )
