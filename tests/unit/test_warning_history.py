"""The district's record of a school's warnings (shared/sync/warning_history.py) and the current
warnings read from it and from per-warning documents (shared/sync/current_warnings.py), on the
in-memory store."""

from __future__ import annotations

import datetime as dt

from shared.store import layout
from shared.store.memory import MemoryStore
from shared.sync.current_warnings import current_entries, current_page
from shared.sync.model import DataWarning
from shared.sync.warning_history import (
    KEEP,
    counted,
    note_school,
    read_history,
    seen_fields,
)
from shared.sync.warning_log import first_record, warning_key

D = "d1"
T0 = dt.datetime(2026, 9, 1, tzinfo=dt.UTC)


def _warning(school: str, n: int, code: str = "malformed_email") -> DataWarning:
    return DataWarning(code, "user", f"u-{n}", "why", "fix it", school)


def _by_key(*warnings: DataWarning) -> dict[str, DataWarning]:
    return {warning_key(w): w for w in warnings}


def _note(store: MemoryStore, school: str, run: str, day: int, *warnings: DataWarning) -> int:
    sighting = (run, run, T0 + dt.timedelta(days=day))
    return note_school(store, D, school, sighting, _by_key(*warnings))


def test_each_run_counts_once_and_a_delivery_again_writes_nothing() -> None:
    store = MemoryStore()
    warnings = [_warning("s1", n) for n in range(300)]
    assert _note(store, "s1", "r1", 0, *warnings) == 2  # the record and its one chunk
    assert _note(store, "s1", "r1", 0, *warnings) == 0
    _note(store, "s1", "r2", 1, *warnings)
    record = read_history(store, D, "s1")
    assert {e["runs_seen"] for e in record.values()} == {2}
    assert {e["first_seen_run"] for e in record.values()} == {"r1"}
    assert {e["last_seen_run"] for e in record.values()} == {"r2"}


def test_an_entry_not_seen_for_longer_than_kept_is_dropped() -> None:
    old, new = _warning("s1", 1), _warning("s1", 2)
    now = T0 + KEEP + dt.timedelta(days=1)
    stored = counted({}, _by_key(old), {}, ("r1", "r1", T0))
    assert stored is not None
    updated = counted(stored, _by_key(new), {}, ("r2", "r2", now))
    assert updated is not None and set(updated) == {warning_key(new)}


def test_a_warning_recorded_before_school_records_keeps_its_history() -> None:
    store = MemoryStore()
    warning = _warning("s1", 1)
    key = warning_key(warning)
    folder = layout.district_warnings(D)
    store.set(f"{folder}/{key}", {**first_record(warning, "r0", "r0", T0), "runs_seen": 5})
    _note(store, "s1", "r1", 1, warning)
    [entry] = read_history(store, D, "s1").values()
    assert (entry["runs_seen"], entry["first_seen_run"]) == (6, "r0")
    [shown] = current_entries(store, D, ["r1"])  # the old document is not listed again
    assert shown["key"] == key
    assert seen_fields(store, D, [shown])[key]["runs_seen"] == 6


def test_a_few_new_warnings_are_looked_up_by_path_and_many_after_one_query(monkeypatch) -> None:
    """A delta brings a school a few new warnings: their documents from before the school's
    record are read by path. On the emulator a query costs more than a short batched read
    (docs/bench.md), so only a first record of many new warnings asks first whether the school
    has any such document."""
    store = MemoryStore()
    queried: list[str] = []
    query = store.query

    def counting(collection, *filters, **kwargs):
        queried.append(collection)
        return query(collection, *filters, **kwargs)

    monkeypatch.setattr(store, "query", counting)
    warnings = [_warning("s1", n) for n in range(300)]
    _note(store, "s1", "r1", 0, *warnings)
    assert queried == [layout.district_warnings(D)]
    queried.clear()
    late = _warning("s1", 301)
    folder = layout.district_warnings(D)
    store.set(f"{folder}/{warning_key(late)}", {**first_record(late, "r0", "r0", T0)})
    _note(store, "s1", "r2", 1, *warnings, late, _warning("s1", 302))
    assert queried == []
    entry = read_history(store, D, "s1")[warning_key(late)]
    assert (entry["runs_seen"], entry["first_seen_run"]) == (2, "r0")


def test_current_pages_of_every_size_list_each_warning_once() -> None:
    store = MemoryStore()
    _note(store, "s1", "r1", 0, *[_warning("s1", n) for n in range(6)])
    _note(store, "s2", "r1", 0, *[_warning("s2", n, "missing_email") for n in range(4)])
    _note(store, "s2", "r0", 0, _warning("s2", 99))  # an older epoch: not current
    other = DataWarning("org_type", "org", "o-1", "why", "fix", None)  # a document of its own
    folder = layout.district_warnings(D)
    store.set(f"{folder}/{warning_key(other)}", first_record(other, "r1", "r1", T0))
    every = {e["key"] for e in current_entries(store, D, ["r1"])}
    assert len(every) == 11
    for limit in (1, 2, 5, 100):
        listed, cursor = [], None
        while True:
            page, cursor = current_page(store, D, ["r1"], {}, limit, cursor)
            listed += [e["key"] for e in page]
            if cursor is None:
                break
        assert len(listed) == len(set(listed)) and set(listed) == every
    by_code, _ = current_page(store, D, ["r1"], {"code": "missing_email"}, 100, None)
    by_school, _ = current_page(store, D, ["r1"], {"school_id": "s1"}, 100, None)
    assert (len(by_code), len(by_school)) == (4, 6)
