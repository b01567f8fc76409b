"""Key claims: which SIS user of which school holds which (hashed) account-match key value,
district-wide, kept twice: by holder (``key_claims``, one document per school and user, what a
school step compares its users with) and by value (``key_values``, one document per value with a
field per holder, what a step reads to find the other holders of its users' values in one batched
read). See shared/sync/linking.py for how linking uses them."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence

from shared.ids import digest
from shared.store import layout
from shared.store.ports import DELETE_FIELD, DocumentStore, Filter, Write
from shared.sync.accounts import Claim, MatchKey, SisPerson, claim_document, key_hash


def _claim_path(district_id: str, school_id: str, user_id: str) -> str:
    return f"{layout.key_claims(district_id)}/{digest(school_id, user_id, length=32)}"


def claim_keys(
    store: DocumentStore,
    district_id: str,
    key: MatchKey,
    school_id: str,
    people: Sequence[SisPerson],
    now: dt.datetime,
) -> tuple[dict[str, str], set[str]]:
    """Records the (hashed) key value each user of the school holds and releases the claims of
    users the school no longer has; writes only what changed. Returns the hash by user id and
    the users whose claim changed."""
    wanted = {p.sourced_id: key_hash(key, v) for p in people if (v := p.key(key))}
    held: dict[str, str | None] = {}
    unindexed: set[str] = set()  # claimed before the by-value documents existed: indexed again
    for doc in store.query(layout.key_claims(district_id), Filter("school_id", "==", school_id)):
        user_id, value_hash = str(doc.data.get("sis_user_id")), doc.data.get("value_hash")
        held[user_id] = value_hash
        if value_hash is not None and not doc.data.get("indexed"):
            unindexed.add(user_id)
    changed: dict[str, str | None] = {
        u: h for u, h in wanted.items() if held.get(u) != h or u in unindexed
    }
    changed.update({u: None for u, h in held.items() if u not in wanted and h is not None})
    # by value first: a step that fails between the two is repeated, finding the claims changed
    indexed = {u: h for u, h in held.items() if u not in unindexed}
    store.commit(_by_value_writes(district_id, school_id, indexed, changed))
    store.commit(
        Write(
            "set",
            _claim_path(district_id, school_id, user_id),
            {**claim_document(user_id, school_id, value_hash, now), "indexed": True},
        )
        for user_id, value_hash in changed.items()
    )
    return wanted, set(changed)


def _by_value_writes(
    district_id: str,
    school_id: str,
    held: Mapping[str, str | None],
    changed: Mapping[str, str | None],
) -> list[Write]:
    """A changed claim leaves its old value's document and joins its new one (a field of its
    own in each, so steps of other schools writing the same value do not collide)."""
    folder, writes = layout.key_values(district_id), []
    for user_id, value_hash in changed.items():
        holder = digest(school_id, user_id, length=32)
        old = held.get(user_id)
        if old and old != value_hash:
            writes.append(Write("merge", f"{folder}/{old}", {"holders": {holder: DELETE_FIELD}}))
        if value_hash:
            entry = {"sis_user_id": user_id, "school_id": school_id}
            writes.append(Write("merge", f"{folder}/{value_hash}", {"holders": {holder: entry}}))
    return writes


def claims_of(
    store: DocumentStore, district_id: str, hashes: Iterable[str]
) -> dict[str, list[Claim]]:
    """Every school's claims on these key values, by value hash: one batched read of the values'
    documents."""
    folder = layout.key_values(district_id)
    docs = store.get_many([f"{folder}/{value_hash}" for value_hash in sorted(set(hashes))])
    found: dict[str, list[Claim]] = defaultdict(list)
    for path, doc in docs.items():
        for holder in sorted((doc.get("holders") or {}).values(), key=lambda h: h["sis_user_id"]):
            claim = Claim(str(holder["sis_user_id"]), str(holder["school_id"]))
            found[path.rsplit("/", 1)[-1]].append(claim)
    return found
