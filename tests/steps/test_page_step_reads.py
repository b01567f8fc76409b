"""What a page step reads (shared/sync/page_step.py): the run, the page's own record, the
district and the school's documents in one batched read, since the task names its item; the run
is not read again when the item ends and the lane's next item is chained."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest

from shared.store import layout
from shared.sync import service
from shared.sync.runs import create_run, load_run
from shared.tasks import PageTask, parse_sync_task, payload
from tests.conftest import StepWorld


@pytest.fixture
def district(make_sis, step_world: StepWorld) -> str:
    return step_world.register(make_sis(students=60, schools=2))


def _sync(world: StepWorld, district: str, **drain: Any) -> str:
    run_id = create_run(world.ports, district, kind="full", dry_run=False, requested_by="t@x.org")
    world.drain(**drain)
    assert load_run(world.store, district, run_id)["state"] in (
        "succeeded",
        "succeeded_with_warnings",
    )
    return run_id


class StepReads:
    """The reads of each page step, each read as the paths it asked for."""

    def __init__(self, world: StepWorld, monkeypatch: pytest.MonkeyPatch) -> None:
        self.steps: list[list[tuple[str, ...]]] = []
        self._depth = 0  # MemoryStore.get_many reads through get: count the outer call only
        self._active = False
        store = world.store
        get, get_many, step = store.get, store.get_many, service.run_page_step

        def counted_get(path: str) -> Any:
            self._note((path,))
            return get(path)

        def counted_get_many(paths: Any, fields: Any = None) -> Any:
            self._note(tuple(paths))
            self._depth += 1
            try:
                return get_many(paths, fields)
            finally:
                self._depth -= 1

        def counted_step(*args: Any) -> Any:
            self.steps.append([])
            self._active = True
            try:
                return step(*args)
            finally:
                self._active = False

        monkeypatch.setattr(store, "get", counted_get)
        monkeypatch.setattr(store, "get_many", counted_get_many)
        monkeypatch.setattr(service, "run_page_step", counted_step)

    def _note(self, paths: tuple[str, ...]) -> None:
        if self._active and not self._depth:
            self.steps[-1].append(paths)

    def of(self, run_path: str) -> Iterator[list[tuple[str, ...]]]:
        return (reads for reads in self.steps if any(run_path in r for r in reads))


def test_a_page_step_reads_the_run_once_with_its_other_documents(
    district, step_world, monkeypatch
) -> None:
    _sync(step_world, district)
    reads = StepReads(step_world, monkeypatch)
    run_id = _sync(step_world, district)
    run_path = layout.run(district, run_id)
    steps = list(reads.of(run_path))
    assert len(steps) == len(reads.steps) > 0
    for step in steps:
        with_run = [r for r in step if run_path in r]
        assert len(with_run) == 1, step  # not again to chain the lane's next item
        assert any("/pages/" in p for p in with_run[0]), step  # the page's record beside it


def test_a_page_task_from_before_its_item_was_named_still_runs(
    district, step_world, monkeypatch
) -> None:
    """Tasks queued before an upgrade carry no item, and a task whose item does not match its
    lane's is read for the lane's own: both end as the run's tasks do."""
    queue = step_world.queue
    enqueue = queue.enqueue
    altered = iter(["", "sch-0099~~classes"])

    def without_item(queue_name: str, body: dict[str, Any], **kwargs: Any) -> Any:
        task = parse_sync_task(body)
        if isinstance(task, PageTask):
            body = payload(dataclasses.replace(task, item=next(altered, task.item)))
        return enqueue(queue_name, body, **kwargs)

    monkeypatch.setattr(queue, "enqueue", without_item)
    first = _sync(step_world, district)
    monkeypatch.setattr(queue, "enqueue", enqueue)
    again = _sync(step_world, district)
    pages = {
        run: sorted(d.id for d in step_world.store.query(layout.run_part(district, run, "pages")))
        for run in (first, again)
    }
    assert pages[first] == pages[again] and pages[first]


@pytest.mark.parametrize("item", ["a/b~~classes", "sch~~", "sch", 7])
def test_a_page_task_with_a_malformed_item_is_refused(item: Any) -> None:
    from shared.errors import InvalidInput

    body = payload(PageTask("d1", "r1", "0", 0, 0, {"path": "x"}, "sch~~classes"))
    parse_sync_task(body)
    with pytest.raises(InvalidInput, match="item"):
        parse_sync_task({**body, "item": item})


def test_an_item_ends_with_one_read_of_its_schools_fetches_and_the_next_items_watermark(
    district, step_world, monkeypatch
) -> None:
    """A delta's item end reads, in one batched read, the school's fetches (is the school done?)
    and the watermark of the lane's next item (its first page asks for what changed since)."""
    _sync(step_world, district)
    reads = StepReads(step_world, monkeypatch)
    run_id = create_run(
        step_world.ports, district, kind="delta", dry_run=False, requested_by="t@x.org"
    )
    step_world.drain()
    assert load_run(step_world.store, district, run_id)["state"].startswith("succeeded")
    watermarks, fetches = layout.watermarks(district) + "/", "/fetches/"
    for step in reads.steps:
        with_watermark = [r for r in step if any(p.startswith(watermarks) for p in r)]
        with_fetches = [r for r in step if any(fetches in p for p in r)]
        assert len(with_watermark) <= 1 and len(with_fetches) <= 1, step
        assert with_watermark == [] or with_watermark == with_fetches, step
    chained = [s for s in reads.steps if any(any(p.startswith(watermarks) for p in r) for r in s)]
    assert chained  # the lanes' later items were chained with their watermarks
