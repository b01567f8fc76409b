"""The known total of a run's pages (shared/sync/status.py): counts what each fetch knows, guesses
a fetch not started from the district's previous run, and says when it is final."""

from __future__ import annotations

import datetime as dt
from typing import Any

from shared.store import layout
from shared.store.memory import MemoryStore
from shared.sync.status import known_pages, progress

ITEMS = ["s1~~students", "s1~~classes", "s2~~students"]


def test_fetches_not_started_count_one_page_each_and_the_total_is_not_final() -> None:
    assert known_pages(ITEMS, {}, {}) == (3, False)


def test_a_fetch_not_started_counts_the_pages_of_the_same_fetch_in_the_previous_run() -> None:
    assert known_pages(ITEMS, {}, {"s1~~students": 7}) == (9, False)


def test_a_fetch_under_way_counts_the_sis_total_over_the_previous_runs_guess() -> None:
    fetches: dict[str, dict[str, Any]] = {"s1~~students": {"pages_known": 4}}
    assert known_pages(ITEMS, fetches, {"s1~~students": 7}) == (6, False)


def test_the_total_is_final_once_every_fetch_ended_or_reported_a_total() -> None:
    fetches: dict[str, dict[str, Any]] = {
        "s1~~students": {"pages_known": 4},
        "s1~~classes": {"state": "complete", "pages_known": 2},
        "s2~~students": {"state": "failed", "pages_known": 0},
    }
    assert known_pages(ITEMS, fetches, {"s2~~students": 9}) == (6, True)


def test_the_total_never_shrinks_below_pages_already_done() -> None:
    totals = []
    fetches: dict[str, dict[str, Any]] = {}
    steps: list[tuple[str, dict[str, Any]]] = [
        ("s1~~students", {"pages_known": 2}),
        ("s1~~classes", {"pages_known": 1}),
    ]
    steps.append(("s2~~students", {"state": "complete", "pages_known": 3}))
    totals.append(known_pages(ITEMS, fetches, {})[0])
    for item, doc in steps:
        fetches[item] = doc
        totals.append(known_pages(ITEMS, fetches, {})[0])
    assert totals == sorted(totals)


def _run(store: MemoryStore, run_id: str, at: dt.datetime, pages: dict[str, int]) -> None:
    lanes = {"0": ITEMS}
    store.set(layout.run("d", run_id), {"state": "running", "created_at": at, "lanes": lanes})
    for item, count in pages.items():
        fetch = f"{layout.run_part('d', run_id, 'fetches')}/{item}"
        store.set(fetch, {"state": "complete", "pages_known": count})


def test_the_poll_guesses_from_the_run_created_just_before() -> None:
    store, start = MemoryStore(), dt.datetime(2026, 9, 1, tzinfo=dt.UTC)
    _run(store, "older", start, {"s1~~students": 50})
    _run(store, "before", start + dt.timedelta(days=1), {"s1~~students": 5, "s2~~students": 2})
    _run(store, "now", start + dt.timedelta(days=2), {})
    run = store.get(layout.run("d", "now")) or {}
    shown = progress(store, "d", "now", run)
    assert shown == {"pages_done": 0, "pages_known": 5 + 1 + 2, "total_final": False}
