"""A school's key claims (shared/sync/key_claims.py): kept in a few documents of its own, written
only where they changed; released claims leave their values' documents; claims kept before, one
document per school and user, are carried over once. On the in-memory store."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from shared.ids import digest
from shared.store import layout
from shared.store.memory import MemoryStore
from shared.store.ports import Write
from shared.sync.accounts import SisPerson, key_hash
from shared.sync.key_claims import CHUNKS, claim_keys, claims_of

NOW = dt.datetime(2026, 12, 7, tzinfo=dt.UTC)
D, SCHOOL = "d1", "sch-1"


class CountingStore(MemoryStore):
    def __init__(self) -> None:
        super().__init__()
        self.written: list[str] = []
        self.queried: list[str] = []

    def commit(self, writes: Iterable[Write]) -> int:
        writes = list(writes)
        self.written += [w.path for w in writes]
        return super().commit(writes)

    def query(self, collection: str, *filters: Any, limit: int | None = None) -> Any:
        self.queried.append(collection)
        return super().query(collection, *filters, limit=limit)


def _people(count: int, start: int = 0) -> list[SisPerson]:
    return [
        SisPerson(f"stu-{i:05d}", "student", "A", "B", email=f"s{i}@x.org")
        for i in range(start, start + count)
    ]


def _holders(store: MemoryStore, people: list[SisPerson]) -> dict[str, list[str]]:
    claims = claims_of(store, D, [key_hash("email", p.key("email") or "") for p in people])
    return {h: [c.sis_user_id for c in found] for h, found in claims.items()}


def test_a_school_keeps_its_claims_in_a_few_documents_written_only_when_they_change() -> None:
    store, people = CountingStore(), _people(200)
    hashes, changed = claim_keys(store, D, "email", SCHOOL, people, NOW)
    assert changed == {p.sourced_id for p in people} and len(hashes) == 200
    own = [p for p in store.written if "/school_key_claims/" in p]
    assert len(own) == CHUNKS  # 200 users over 16 documents, not 200
    assert all(len(v) == 1 for v in _holders(store, people).values())

    store.written.clear()
    assert claim_keys(store, D, "email", SCHOOL, people, NOW)[1] == set()
    assert store.written == []


def test_a_user_who_left_is_released_and_a_new_one_claims() -> None:
    store = CountingStore()
    claim_keys(store, D, "email", SCHOOL, _people(50), NOW)
    store.written.clear()
    now_people = _people(49, start=1) + _people(1, start=100)
    _, changed = claim_keys(store, D, "email", SCHOOL, now_people, NOW)
    assert changed == {"stu-00000", "stu-00100"}
    assert _holders(store, _people(1)) == {}
    assert list(_holders(store, _people(1, start=100)).values()) == [["stu-00100"]]
    assert len([p for p in store.written if "/school_key_claims/" in p]) <= 2


def test_claims_kept_one_document_per_user_are_carried_over_once() -> None:
    store, people = CountingStore(), _people(20)
    old = layout.key_claims(D)
    for i, person in enumerate(people):
        value_hash = key_hash("email", person.key("email") or "")
        doc = {"sis_user_id": person.sourced_id, "school_id": SCHOOL, "value_hash": value_hash}
        if i:  # the first was claimed before the by-value documents existed
            doc["indexed"] = True
            holder = digest(SCHOOL, person.sourced_id, length=32)
            entry = {"sis_user_id": person.sourced_id, "school_id": SCHOOL}
            store.set(f"{layout.key_values(D)}/{value_hash}", {"holders": {holder: entry}})
        store.set(f"{old}/{digest(SCHOOL, person.sourced_id, length=32)}", doc)

    _, changed = claim_keys(store, D, "email", SCHOOL, people, NOW)
    assert changed == {"stu-00000"}  # indexed again; the others were already
    assert all(len(v) == 1 for v in _holders(store, people).values())
    assert len(_holders(store, people)) == 20
    assert store.queried == [old]

    store.queried.clear()
    assert claim_keys(store, D, "email", SCHOOL, people, NOW)[1] == set()
    assert store.queried == []  # the school's own documents are read by path from now on
