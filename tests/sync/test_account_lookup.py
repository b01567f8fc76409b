"""Looking up accounts by match key value answers the same whichever way it reads: by ``in``
queries (30 values each), by a count alone when the district holds no account, by reading every
account when it holds no more accounts than values asked for, or from the run's one listing of
every account. Counted on the memory store, compared on the Firestore emulator."""

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
MANY = [f"v{n}" for n in range(150)]  # more values than are asked for live


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


POOL = VALUES + MANY[:130]
accounts_strategy = st.dictionaries(
    st.from_regex(r"acc-[a-z0-9]{1,6}", fullmatch=True),
    st.fixed_dictionaries(
        {}, optional={"email": st.sampled_from(POOL), "username": st.sampled_from(POOL)}
    ),
    max_size=160,
)


@settings(max_examples=60, deadline=None)
@given(
    accounts=accounts_strategy,
    values=st.lists(st.sampled_from(POOL), max_size=160),
    with_run=st.booleans(),
)
def test_every_way_finds_the_same_holders(
    accounts: dict[str, Any], values: list[str], with_run: bool
) -> None:
    store = MemoryStore()
    seed(store, "d1", accounts)
    run_id = f"run-{uuid.uuid4().hex}" if with_run else None
    found = accounts_by_key(store, "d1", "email", values, run_id)
    assert {v: sorted(ids) for v, ids in found.items()} == expected(accounts, "email", values)


def test_a_district_without_accounts_costs_one_count() -> None:
    store = CountingStore()
    assert accounts_by_key(store, "d1", "email", MANY) == {}
    assert (store.counts, store.queries) == (1, 0)


def test_a_run_counts_a_district_without_accounts_once_and_the_next_run_again() -> None:
    store = CountingStore()
    run = f"run-{uuid.uuid4().hex}"
    assert accounts_by_key(store, "d1", "email", MANY, run) == {}
    assert accounts_by_key(store, "d1", "email", MANY[5:], run) == {}
    assert (store.counts, store.queries) == (1, 0)
    seed(store, "d1", {"acc-1": {"email": MANY[0]}})
    assert accounts_by_key(store, "d1", "email", MANY, f"run-{uuid.uuid4().hex}") == {
        MANY[0]: ["acc-1"]
    }
    assert store.counts == 2


def test_few_values_are_asked_live() -> None:
    store = CountingStore()
    seed(store, "d1", {"acc-1": {"email": VALUES[0]}})
    assert accounts_by_key(store, "d1", "email", VALUES * 10) == {VALUES[0]: ["acc-1"]}
    assert (store.counts, store.queries) == (0, 1)  # 12 values: one `in` query


def test_few_accounts_are_read_at_once_many_by_in_queries() -> None:
    few, many = CountingStore(), CountingStore()
    seed(few, "d1", {"acc-1": {"email": MANY[0]}})
    assert accounts_by_key(few, "d1", "email", MANY) == {MANY[0]: ["acc-1"]}
    assert few.queries == 1
    seed(many, "d1", {f"acc-{n}": {"email": f"v{n}"} for n in range(200)})
    found = accounts_by_key(many, "d1", "email", MANY)
    assert found == {value: [f"acc-{value[1:]}"] for value in MANY}
    assert many.queries == -(-len(MANY) // account_lookup.KEY_VALUES_PER_QUERY)


def test_a_run_reads_every_account_once_and_the_next_run_again() -> None:
    store = CountingStore()
    seed(store, "d1", {f"acc-{n}": {"email": f"v{n}"} for n in range(200)})
    run = f"run-{uuid.uuid4().hex}"
    first = accounts_by_key(store, "d1", "email", MANY[:140], run)
    second = accounts_by_key(store, "d1", "email", MANY[10:], run)
    assert first == {value: [f"acc-{value[1:]}"] for value in MANY[:140]}
    assert second == {value: [f"acc-{value[1:]}"] for value in MANY[10:]}
    assert store.queries == 1  # one listing for the run, then answers from it
    seed(store, "d1", {"acc-late": {"email": "late@x.org"}})
    asked = [*MANY[:130], "late@x.org"]
    assert "late@x.org" not in accounts_by_key(store, "d1", "email", asked, run)
    later = accounts_by_key(store, "d1", "email", asked, f"run-{uuid.uuid4().hex}")
    assert later["late@x.org"] == ["acc-late"]  # the next run reads the accounts again
    assert store.queries == 2


def test_the_emulator_answers_alike_every_way(sync_harness: Any) -> None:
    """Live ``in`` queries, the listing and the run's listing against the Firestore emulator."""
    store = FirestoreStore(sync_harness.db)
    district_id = f"lookup-{uuid.uuid4().hex[:8]}"
    accounts = {f"acc-{n:03d}": {"email": f"v{n % 150}@x.org"} for n in range(200)}
    seed(store, district_id, accounts)
    cases = {
        "live": [f"v{n}@x.org" for n in range(0, 80, 2)],  # 40 values
        "in queries": [f"v{n}@x.org" for n in range(130)],  # 130 values, 200 accounts
        "listing": [f"v{n}@x.org" for n in range(130)] + [f"w{n}@x.org" for n in range(80)],
    }
    for name, asked in cases.items():
        found = accounts_by_key(store, district_id, "email", asked)
        assert {v: sorted(ids) for v, ids in found.items()} == expected(accounts, "email", asked), (
            name
        )
    run = f"run-{uuid.uuid4().hex}"
    by_run = accounts_by_key(store, district_id, "email", cases["in queries"], run)
    assert {v: sorted(ids) for v, ids in by_run.items()} == expected(
        accounts, "email", cases["in queries"]
    )
    assert accounts_by_key(store, f"{district_id}-empty", "email", cases["listing"]) == {}
