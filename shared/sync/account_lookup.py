"""Which of the app's accounts hold given match key values (``match_keys.<key>``).

A school step asks for every unlinked user's value. Few values (at most ``LIVE_VALUES``) are
looked up live, one ``in`` query per 30 (Firestore's limit for ``in``). For more, the district's
accounts are counted first:
- none: the count is the answer (for the run's later steps in the same process too);
- no more accounts than values asked for: one read of them all answers at once;
- more: the accounts are read once per run and process, by value, and the run's later steps in
  the same process look values up in that listing. A school of a district whose users are not
  linked yet asks for hundreds of values (18 ``in`` queries for 525), and its run for as many
  values as the district has users, so one read of every account costs about what the queries
  would return, in one query instead of hundreds. On the Firestore emulator each query also
  pays for every document stored (docs/bench.md), which made the ``in`` queries of a
  10,000-student district take minutes.
An account created while a run goes on may be missed by that run's later steps in a process that
listed the accounts before it; the next run links it."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor

from shared.store import layout
from shared.store.memo import StoreMemo
from shared.store.ports import Doc, DocumentStore, Filter

KEY_VALUES_PER_QUERY = 30  # Firestore's limit for an "in" filter
QUERIES_AT_ONCE = 4
LIVE_VALUES = 4 * KEY_VALUES_PER_QUERY  # up to four `in` queries: asked live
LISTINGS_KEPT = 8  # (district, run, key) listings a process keeps

Holders = dict[str, list[str]]  # key value -> ids of the accounts holding it


def holders_among(docs: Iterable[Doc], key: str, values: Iterable[str] | None = None) -> Holders:
    """The accounts among ``docs`` whose value of ``key`` is one of ``values`` (every value when
    None), by value, as an ``in`` filter matches (equal values). Pure."""
    wanted = None if values is None else set(values)
    found: Holders = {}
    for doc in docs:
        value = (doc.data.get("match_keys") or {}).get(key)
        if isinstance(value, str) and (wanted is None or value in wanted):
            found.setdefault(value, []).append(doc.id)
    return found


def _by_in_queries(
    store: DocumentStore, district_id: str, key: str, values: Sequence[str]
) -> Holders:
    def holders(chunk: Sequence[str]) -> list[Doc]:
        wanted = Filter(f"match_keys.{key}", "in", list(chunk))
        return list(store.query(layout.accounts(district_id), wanted))

    chunks = [
        values[start : start + KEY_VALUES_PER_QUERY]
        for start in range(0, len(values), KEY_VALUES_PER_QUERY)
    ]
    with ThreadPoolExecutor(max_workers=QUERIES_AT_ONCE) as pool:
        docs = [doc for found in pool.map(holders, chunks) for doc in found]
    return holders_among(docs, key, values)


class RunListings:
    """Every account of a district by value, read once per (district, run, key) in this process
    and kept for the run's later steps (the last ``LISTINGS_KEPT`` of each store). Steps that
    need the same listing at once wait for one read."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._listings: StoreMemo[Holders] = StoreMemo(LISTINGS_KEPT)
        self._reading: dict[tuple[int, str, str, str], threading.Lock] = {}

    def kept(self, store: DocumentStore, district_id: str, run_id: str, key: str) -> Holders | None:
        """The listing this process already read for the run, or None."""
        return self._listings.get(store, (district_id, run_id, key))

    def keep(
        self, store: DocumentStore, district_id: str, run_id: str, key: str, listing: Holders
    ) -> None:
        """Keeps ``listing`` as the run's (an empty one: the district had no account)."""
        self._listings.put(store, (district_id, run_id, key), listing)

    def holders(self, store: DocumentStore, district_id: str, run_id: str, key: str) -> Holders:
        name = (id(store), district_id, run_id, key)
        with self._lock:
            reading = self._reading.setdefault(name, threading.Lock())
        with reading:
            kept = self.kept(store, district_id, run_id, key)
            if kept is not None:
                return kept
            listing = holders_among(store.query(layout.accounts(district_id)), key)
            self.keep(store, district_id, run_id, key, listing)
            with self._lock:
                self._reading.pop(name, None)
            return listing


RUN_LISTINGS = RunListings()


def _pick(listing: Holders, values: Sequence[str]) -> Holders:
    return {value: list(listing[value]) for value in values if value in listing}


def accounts_by_key(
    store: DocumentStore,
    district_id: str,
    key: str,
    values: Sequence[str],
    run_id: str | None = None,
) -> Holders:
    """The accounts holding each value, by value (values no account holds are left out).
    ``run_id``: the run asking, whose listing of every account later steps may share."""
    values = sorted(set(values))
    if not values:
        return {}
    if len(values) <= LIVE_VALUES:
        return _by_in_queries(store, district_id, key, values)
    kept = RUN_LISTINGS.kept(store, district_id, run_id, key) if run_id else None
    if kept is not None:  # this process read every account for the run already
        return _pick(kept, values)
    stored = store.count(layout.accounts(district_id))
    if stored == 0:  # the run's later steps in this process need not count again
        if run_id:
            RUN_LISTINGS.keep(store, district_id, run_id, key, {})
        return {}
    if stored <= len(values):  # reading them all costs less than the ``in`` queries
        return holders_among(store.query(layout.accounts(district_id)), key, values)
    if run_id is None:
        return _by_in_queries(store, district_id, key, values)
    return _pick(RUN_LISTINGS.holders(store, district_id, run_id, key), values)
