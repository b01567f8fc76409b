"""Looking up accounts by match key value answers the same whichever way it reads: by ``in``
queries (30 values each), by reading every account when the district holds no more accounts than
values asked for, or by a count alone when it holds none. Counted on the memory store, compared
on the Firestore emulator."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from shared.adapters.firestore_store import FirestoreStore
from shared.store import layout
from shared.store.memory import MemoryStore
from shared.store.ports import Doc, Filter
from shared.sync import account_lookup
from shared.sync.account_lookup import accounts_by_key

VALUES = [f"user{n}@rusd.example.org" for n in range(12)]


class CountingStore(MemoryStore):
    def __init__(self) -> None:
        super().__init__()
        self.queries = 0
        self.counts = 0

    def query(self, collection: str, *filters: Filter, limit: int | None = None) -> Iterator[Doc]:
        self.queries += 1
        return super().query(collection, *filters, limit=limit)

    def count(self, collection: str, *filters: Filter) -> int:
        self.counts += 1  # the memory store counts by querying: not a query of the caller's
        return sum(1 for _ in MemoryStore.query(self, collection, *filters))


def expected(accounts: dict[str, Any], key: str, values: list[str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for account_id, keys in sorted(accounts.items()):
        if keys.get(key) in values:
            found.setdefault(keys[key], []).append(account_id)
    return found


def seed(store: Any, district_id: str, accounts: dict[str, Any]) -> None:
    for account_id, keys in accounts.items():
        store.set(f"{layout.accounts(district_id)}/{account_id}", {"match_keys": keys})


accounts_strategy = st.dictionaries(
    st.from_regex(r"acc-[a-z0-9]{1,6}", fullmatch=True),
    st.fixed_dictionaries(
        {}, optional={"email": st.sampled_from(VALUES), "username": st.sampled_from(VALUES)}
    ),
    max_size=40,
)


@settings(max_examples=60, deadline=None)
@given(accounts=accounts_strategy, values=st.lists(st.sampled_from(VALUES), max_size=40))
def test_every_way_finds_the_same_holders(accounts: dict[str, Any], values: list[str]) -> None:
    store = MemoryStore()
    seed(store, "d1", accounts)
    found = {v: sorted(ids) for v, ids in accounts_by_key(store, "d1", "email", values).items()}
    assert found == expected(accounts, "email", values)


def test_a_district_without_accounts_costs_one_count() -> None:
    store = CountingStore()
    assert accounts_by_key(store, "d1", "email", VALUES * 10) == {}
    assert (store.counts, store.queries) == (1, 0)


def test_few_accounts_are_read_at_once_many_by_in_queries() -> None:
    few, many = CountingStore(), CountingStore()
    seed(few, "d1", {"acc-1": {"email": VALUES[0]}})
    values = [f"v{n}" for n in range(95)] + [VALUES[0]]
    assert accounts_by_key(few, "d1", "email", values) == {VALUES[0]: ["acc-1"]}
    assert few.queries == 1
    seed(many, "d1", {f"acc-{n}": {"email": f"v{n}"} for n in range(200)})
    found = accounts_by_key(many, "d1", "email", values)
    assert found == {f"v{n}": [f"acc-{n}"] for n in range(95)}
    assert many.queries == -(-96 // account_lookup.KEY_VALUES_PER_QUERY)


def test_the_emulator_answers_alike_both_ways(sync_harness: Any) -> None:
    """The listing and the ``in`` queries against the real Firestore emulator."""
    store = FirestoreStore(sync_harness.db)
    district_id = f"lookup-{uuid.uuid4().hex[:8]}"
    accounts = {f"acc-{n:03d}": {"email": f"v{n % 40}@x.org"} for n in range(60)}
    seed(store, district_id, accounts)
    asked = [f"v{n}@x.org" for n in range(0, 80, 2)]  # 40 values, 60 accounts: in queries
    by_queries = accounts_by_key(store, district_id, "email", asked)
    assert {v: sorted(ids) for v, ids in by_queries.items()} == expected(accounts, "email", asked)
    asked_more = asked + [f"w{n}@x.org" for n in range(30)]  # 70 values, 60 accounts: listing
    by_listing = accounts_by_key(store, district_id, "email", asked_more)
    assert {v: sorted(ids) for v, ids in by_listing.items()} == expected(
        accounts, "email", asked_more
    )
    assert accounts_by_key(store, f"{district_id}-empty", "email", asked) == {}
