"""A school's first sync keeps a copy of each page's mirror documents beside the run's pages, so
its school step puts the mirror together from the copies instead of reading back, by query,
every document the run just wrote: on the emulator that read cost more CPU than writing the
copies and reading them (docs/bench.md).

A page step whose run is the first to write the school's mirror of its resource
(``MirrorPage.stored`` is false: it writes every record of the page) also writes the page's
documents, as the mirror stores them less their times, as compressed JSON in one or more pieces:
``runs/{run}/mirror_copies/{page key}-{nnn}`` (``piece``: bytes). The page's record says how
many (``mirror_copy``); a page whose mirror was written otherwise has none, and its school reads
the mirror as before (mirror_store.py).

The copies are the mirror exactly when the run is the only one that wrote the school's mirror
(the snapshot's ``writers`` name no other, and no late write) and each resource's mirror holds
as many documents as the copies do: the documents are never deleted, so a document from before
(one no copy holds) shows in the count."""

from __future__ import annotations

import json
import zlib
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor

from shared.store import layout
from shared.store.ports import DocumentStore, Write
from shared.sync import mirror
from shared.sync.mirror_snapshot import Stored, kept

PIECE_BYTES = 900_000  # under Firestore's 1 MiB a document
PIECES_A_COMMIT = 8  # 8 x 900,000 bytes: under Firestore's 10 MiB a request
Copy = tuple[str, str, int]  # (page key, resource, pieces)


def folder(district_id: str, run_id: str) -> str:
    return layout.run_part(district_id, run_id, "mirror_copies")


def copy_writes(
    district_id: str, run_id: str, page_key: str, writes: Sequence[Write]
) -> list[Write]:
    """The pieces of a page's copy, from the writes of its mirror documents (each ``set``, the
    whole document). Empty when a value cannot be held as JSON: the page then has no copy.
    Pure."""
    documents = [{**kept(w.data), "_id": w.path.rsplit("/", 1)[1]} for w in writes]
    try:
        text = json.dumps(documents, separators=(",", ":"), sort_keys=True)
    except (TypeError, ValueError):
        return []
    packed = zlib.compress(text.encode("utf-8"), 1)
    pieces = [packed[at : at + PIECE_BYTES] for at in range(0, len(packed), PIECE_BYTES)]
    base = folder(district_id, run_id)
    return [
        Write("set", f"{base}/{page_key}-{n:03d}", {"n": n, "piece": piece})
        for n, piece in enumerate(pieces)
    ]


def commit_copy(store: DocumentStore, pieces: Sequence[Write]) -> int:
    """Commits a copy's pieces, ``PIECES_A_COMMIT`` a request; returns how many."""
    for start in range(0, len(pieces), PIECES_A_COMMIT):
        store.commit(pieces[start : start + PIECES_A_COMMIT])
    return len(pieces)


def _paths(district_id: str, run_id: str, copies: Sequence[Copy]) -> list[list[str]]:
    base = folder(district_id, run_id)
    return [[f"{base}/{key}-{n:03d}" for n in range(pieces)] for key, _, pieces in copies]


def read_copies(
    store: DocumentStore, district_id: str, run_id: str, copies: Sequence[Copy]
) -> Stored | None:
    """The documents the pages' copies hold, by resource and id, a later page's over an earlier
    one's (the order the pages of an item are written in); None when a piece is missing."""
    groups = _paths(district_id, run_id, copies)
    found = store.get_many([p for group in groups for p in group])
    stored: Stored = {resource: {} for resource in mirror.SCHOOL_RESOURCES}
    for (_, resource, _), group in sorted(zip(copies, groups, strict=True)):
        if any(p not in found for p in group):
            return None
        packed = b"".join(bytes(found[p].get("piece") or b"") for p in group)
        for document in json.loads(zlib.decompress(packed)) if packed else []:
            stored[resource][document.pop("_id")] = document
    return stored


def holds_every_document(
    store: DocumentStore,
    district_id: str,
    school_id: str,
    stored: Mapping[str, Mapping[str, object]],
) -> bool:
    """Whether each resource's mirror of the school holds as many documents as ``stored`` (a
    count each, side by side): then it holds no other."""

    def count(resource: str) -> bool:
        folder_path = layout.mirror(district_id, school_id, resource)
        return store.count(folder_path) == len(stored.get(resource, {}))

    with ThreadPoolExecutor(max_workers=len(mirror.SCHOOL_RESOURCES)) as pool:
        return all(pool.map(count, mirror.SCHOOL_RESOURCES))
