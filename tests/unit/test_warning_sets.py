"""A run's warning sets (shared/sync/warning_sets.py) on the in-memory store: chunks, a writer
delivered again, foreign warnings two schools recorded, paging, and runs from before sets."""

from __future__ import annotations

import datetime as dt
import json

from hypothesis import given
from hypothesis import strategies as st

from shared.store import layout
from shared.store.memory import MemoryStore
from shared.sync.chunked import pack
from shared.sync.model import DataWarning
from shared.sync.warning_log import warning_key
from shared.sync.warning_sets import (
    run_total,
    run_warnings,
    school_set,
    sets_page,
    write_set,
)

D, R = "d1", "r1"
NOW = dt.datetime(2026, 12, 7, tzinfo=dt.UTC)


def _warning(school: str | None, n: int, code: str = "role_mismatch") -> DataWarning:
    return DataWarning(code, "enrollment", f"e-{n}", "why", "fix it", school)


def _by_key(*warnings: DataWarning) -> dict[str, DataWarning]:
    return {warning_key(w): w for w in warnings}


def _write(store: MemoryStore, school: str, *warnings: DataWarning) -> int:
    return write_set(store, D, R, school_set(school), _by_key(*warnings), NOW)


def _all_pages(store: MemoryStore, limit: int, **filters: str) -> list[str]:
    keys, cursor = [], None
    while True:
        found = sets_page(store, D, R, filters, limit, cursor)
        assert found is not None
        entries, cursor = found
        keys += [e["key"] for e in entries]
        if cursor is None:
            return keys


@given(st.lists(st.text(max_size=300), max_size=60), st.integers(200, 2000))
def test_packed_chunks_hold_every_entry_in_order_within_the_limit(texts, limit) -> None:
    entries = [{"key": f"{i:04d}", "text": t} for i, t in enumerate(texts)]
    chunks = pack(entries, limit)
    assert [e for c in chunks for e in json.loads(c)] == entries
    assert all(len(c.encode()) <= limit + 2 or len(json.loads(c)) == 1 for c in chunks)


def test_a_large_school_spreads_over_chunks_and_reads_back_whole() -> None:
    store = MemoryStore()
    warnings = [_warning("s1", n) for n in range(2000)]
    written = _write(store, "s1", *warnings)
    assert written > 2  # the set and several chunks
    assert len(list(run_warnings(store, D, R))) == 2000
    assert run_total(store, D, R) == 2000


def test_a_writer_delivered_again_keeps_what_its_first_delivery_stored() -> None:
    store = MemoryStore()
    _write(store, "s1", _warning("s1", 1), _warning("s1", 2))
    _write(store, "s1", _warning("s1", 2), _warning("s1", 3))
    assert {e["sourced_id"] for e in run_warnings(store, D, R)} == {"e-1", "e-2", "e-3"}
    assert run_total(store, D, R) == run_total(store, D, R, exact=False) == 3


def test_a_foreign_warning_two_schools_recorded_is_listed_and_counted_once() -> None:
    store = MemoryStore()
    about_s2 = _warning("s2", 9, "shared_match_key")
    _write(store, "s1", _warning("s1", 1), about_s2)
    _write(store, "s3", _warning("s3", 1), about_s2)
    assert run_total(store, D, R, exact=False) == 4  # the poll's quick count
    assert run_total(store, D, R) == 3
    assert _all_pages(store, 1).count(warning_key(about_s2)) == 1
    _write(store, "s2", about_s2)  # the school it names recorded it too
    assert run_total(store, D, R) == 3
    assert [e["key"] for e in run_warnings(store, D, R)].count(warning_key(about_s2)) == 1


def test_pages_of_every_size_list_each_warning_once_with_filters() -> None:
    store = MemoryStore()
    _write(store, "s1", *[_warning("s1", n) for n in range(7)], _warning("s1", 7, "term_ended"))
    _write(store, "s2", *[_warning("s2", n) for n in range(5)])
    every = {e["key"] for e in run_warnings(store, D, R)}
    for limit in (1, 2, 3, 50):
        listed = _all_pages(store, limit)
        assert len(listed) == len(set(listed)) == 13 and set(listed) == every
    assert len(_all_pages(store, 2, school_id="s2")) == 5
    assert len(_all_pages(store, 2, code="term_ended")) == 1
    assert _all_pages(store, 2, code="term_ended", school_id="s2") == []


def test_a_run_recorded_before_sets_is_read_from_its_warning_documents() -> None:
    store = MemoryStore()
    warning = _warning("s1", 1)
    folder = layout.run_part(D, R, "warnings")
    store.set(f"{folder}/{warning_key(warning)}", {"code": warning.code, "school_id": "s1"})
    assert sets_page(store, D, R, {}, 10, None) is None
    assert run_total(store, D, R) == 1
    assert [e["key"] for e in run_warnings(store, D, R)] == [warning_key(warning)]
