"""A run's school steps read the district's terms once per process: the start step wrote them
before any page, so a step of the same run finds them unchanged; the next run reads again."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

from shared.store import layout
from shared.store.memory import MemoryStore
from shared.store.ports import Doc, Filter
from shared.sync.school_inputs import run_terms


class QueryCounting(MemoryStore):
    def __init__(self) -> None:
        super().__init__()
        self.queries = 0

    def query(self, collection: str, *filters: Filter, limit: int | None = None) -> Iterator[Doc]:
        self.queries += 1
        return super().query(collection, *filters, limit=limit)


def _term(store: MemoryStore, district: str, term_id: str, title: str) -> None:
    data = {"sourcedId": term_id, "title": title, "start_date": "2026-08-01", "end_date": None}
    store.set(f"{layout.sis_terms(district)}/{term_id}", data)


def test_a_run_reads_the_terms_once_and_the_next_run_again() -> None:
    store, district = QueryCounting(), f"d-{uuid.uuid4().hex}"
    _term(store, district, "t1", "Fall")
    run = f"run-{uuid.uuid4().hex}"
    first = run_terms(store, district, run)
    first.clear()  # a caller's copy: what the run keeps is not changed
    assert run_terms(store, district, run)["t1"].title == "Fall"
    assert store.queries == 1
    _term(store, district, "t1", "Autumn")  # the next run's start step wrote it again
    assert run_terms(store, district, f"run-{uuid.uuid4().hex}")["t1"].title == "Autumn"
    assert store.queries == 2


def test_each_store_keeps_its_own_terms_for_the_same_district_and_run() -> None:
    first, second = QueryCounting(), QueryCounting()
    _term(first, "d1", "t1", "Fall")
    _term(second, "d1", "t1", "Spring")
    run = "scheduled-20261207-full"  # a scheduled run's id depends only on the day
    assert run_terms(first, "d1", run)["t1"].title == "Fall"
    assert run_terms(second, "d1", run)["t1"].title == "Spring"
    assert run_terms(first, "d1", run)["t1"].title == "Fall"
    assert (first.queries, second.queries) == (1, 1)
