"""A school's class listing (shared/sync/class_index.py) on the in-memory store and on the
Firestore emulator alike: completing it keeps the ids another step listed meanwhile (the writes
merge field by field, an empty share writes no map), and unlisting drops one id only."""

from __future__ import annotations

import os

from shared.store.ports import DocumentStore
from shared.sync.class_index import complete_writes, listed_ids, listing_writes, unlisting_writes


def test_completing_keeps_what_was_listed_meanwhile_and_unlisting_drops_one(
    store: DocumentStore,
) -> None:
    district = f"class-index-{os.getpid()}-{id(store)}"
    many = [f"sis-{n:03d}" for n in range(40)]  # every share holds some
    store.commit(listing_writes(district, "s1", ["sis-late", *many[:3]]))
    assert listed_ids(store, district, "s1") is None
    store.commit(complete_writes(district, "s1", many))
    assert listed_ids(store, district, "s1") == sorted([*many, "sis-late"])
    store.commit(complete_writes(district, "s1", []))  # a share with no id leaves its ids
    assert listed_ids(store, district, "s1") == sorted([*many, "sis-late"])
    store.commit(unlisting_writes(district, "s1", ["sis-late", "sis-000"]))
    assert listed_ids(store, district, "s1") == many[1:]
    assert listed_ids(store, district, "s2") is None
