"""Key claims: which SIS user of which school holds which (hashed) account-match key value,
district-wide, kept twice: by holder (``school_key_claims``: a school's claims in CHUNKS
documents, what a school step compares its users with) and by value (``key_values``, one
document per value with a field per holder, what a step reads to find the other holders of its
users' values in one batched read). See shared/sync/linking.py for how linking uses them.

A school's claims are written only by its own school step, so its documents need no merge: a
duplicate or concurrent delivery of the step reads the same claims and writes the same
documents. Claims kept before, one ``key_claims`` document per school and user, are read once
when the school has none of its own documents yet, and carried over."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence

from shared.ids import digest
from shared.store import layout
from shared.store.ports import DELETE_FIELD, DocumentStore, Filter, Write
from shared.sync.accounts import Claim, MatchKey, SisPerson, key_hash

# Documents a school's claims are spread over, by user: about 60 bytes a user, so even a school
# of 100,000 users keeps each well under Firestore's 1 MiB a document.
CHUNKS = 16
Held = dict[str, str]  # user id -> value hash


def _chunk(user_id: str) -> int:
    return int(digest(user_id, length=8), 16) % CHUNKS


def _chunk_paths(district_id: str, school_id: str) -> list[str]:
    school = digest(school_id, length=32)
    return [f"{layout.school_key_claims(district_id)}/{school}-{i:02d}" for i in range(CHUNKS)]


def _read_held(
    store: DocumentStore, district_id: str, school_id: str
) -> tuple[Held, set[str], bool]:
    """The school's claims; the users claimed before the by-value documents existed (to be
    indexed again); whether they were read from the school's own documents (False: carried over
    from the documents kept before, or none)."""
    paths = _chunk_paths(district_id, school_id)
    found = store.get_many(paths, ["claims"])
    if found:
        held: Held = {}
        for doc in found.values():
            held.update(json.loads(str(doc.get("claims") or "{}")))
        return held, set(), True
    return (*_carried_over(store, district_id, school_id), False)


def _carried_over(store: DocumentStore, district_id: str, school_id: str) -> tuple[Held, set[str]]:
    held: Held = {}
    unindexed: set[str] = set()
    for doc in store.query(layout.key_claims(district_id), Filter("school_id", "==", school_id)):
        user_id, value_hash = str(doc.data.get("sis_user_id")), doc.data.get("value_hash")
        if value_hash is not None:
            held[user_id] = str(value_hash)
            if not doc.data.get("indexed"):
                unindexed.add(user_id)
    return held, unindexed


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
    held, unindexed, own = _read_held(store, district_id, school_id)
    changed: dict[str, str | None] = {
        u: h for u, h in wanted.items() if held.get(u) != h or u in unindexed
    }
    changed.update({u: None for u in held if u not in wanted})
    # by value first: a step that fails between the two is repeated, finding the claims changed
    indexed = {u: h for u, h in held.items() if u not in unindexed}
    store.commit(_by_value_writes(district_id, school_id, indexed, changed))
    stored = held if own else {}  # claims carried over are all written to the new documents
    store.commit(_by_holder_writes(district_id, school_id, stored, wanted, now))
    return wanted, set(changed)


def _by_holder_writes(
    district_id: str, school_id: str, held: Held, wanted: Held, now: dt.datetime
) -> list[Write]:
    """The school's documents whose claims differ from those read. Pure."""
    before: list[Held] = [{} for _ in range(CHUNKS)]
    after: list[Held] = [{} for _ in range(CHUNKS)]
    for user_id, value_hash in held.items():
        before[_chunk(user_id)][user_id] = value_hash
    for user_id, value_hash in wanted.items():
        after[_chunk(user_id)][user_id] = value_hash
    paths = _chunk_paths(district_id, school_id)
    return [
        Write("set", paths[i], _chunk_document(school_id, i, after[i], now))
        for i in range(CHUNKS)
        if after[i] != before[i]
    ]


def _chunk_document(
    school_id: str, chunk: int, claims: Held, now: dt.datetime
) -> dict[str, object]:
    text = json.dumps(claims, sort_keys=True, separators=(",", ":"))
    return {"school_id": school_id, "chunk": chunk, "claims": text, "claimed_at": now}


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
