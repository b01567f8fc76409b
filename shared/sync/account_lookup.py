"""Which of the app's accounts hold given match key values (``match_keys.<key>``).

A school step asks for every unlinked user's value: hundreds of values, one ``in`` query per 30
(Firestore's limit for ``in``). When the district holds no more accounts than values asked for
(a district whose app accounts do not exist yet, or a few), one count and at most one read of
them all answers the same question in one or two queries instead of dozens. A query's cost on
the Firestore emulator grows with every document stored, whatever it returns (docs/bench.md),
and in production each query is a round trip."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor

from shared.store import layout
from shared.store.ports import Doc, DocumentStore, Filter

KEY_VALUES_PER_QUERY = 30  # Firestore's limit for an "in" filter
QUERIES_AT_ONCE = 4

Holders = dict[str, list[str]]  # key value -> ids of the accounts holding it


def holders_among(docs: Iterable[Doc], key: str, values: Iterable[str]) -> Holders:
    """The accounts among ``docs`` whose value of ``key`` is one of ``values``, by value, as an
    ``in`` filter matches (equal values). Pure."""
    wanted = set(values)
    found: Holders = {}
    for doc in docs:
        value = (doc.data.get("match_keys") or {}).get(key)
        if isinstance(value, str) and value in wanted:
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


def accounts_by_key(
    store: DocumentStore, district_id: str, key: str, values: Sequence[str]
) -> Holders:
    """The accounts holding each value, by value (values no account holds are left out)."""
    values = sorted(set(values))
    if not values:
        return {}
    stored = store.count(layout.accounts(district_id))
    if stored == 0:
        return {}
    if stored <= len(values):  # reading them all costs less than the ``in`` queries
        return holders_among(store.query(layout.accounts(district_id)), key, values)
    return _by_in_queries(store, district_id, key, values)
