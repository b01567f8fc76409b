"""Many small records kept as JSON text in a few documents: ``{folder}/{key}-{nnn}``, field
``entries``, each at most ``CHUNK_BYTES``, beside a head document that tells how many chunks are
current. Used for a run's warning sets (warning_sets.py), the district's record of a school's
warnings (warning_history.py) and a school's mirror snapshot (mirror_snapshot.py): a school of
500 warnings costs two documents, not 500."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

from shared.store.cursors import decode_cursor, encode_cursor
from shared.store.ports import Data, DocumentStore, Write

CHUNK_BYTES = 250_000  # well under Firestore's 1 MiB a document
COMMIT_BYTES = 8_000_000  # under Firestore's 10 MiB a request
Entry = dict[str, Any]


def pack(entries: Sequence[Entry], limit: int = CHUNK_BYTES) -> list[str]:
    """The entries as JSON texts of at most ``limit`` bytes each (one entry may exceed it
    alone), in order; one empty text for none. Pure."""
    chunks: list[str] = []
    held: list[str] = []
    size = 0
    for entry in entries:
        text = json.dumps(entry, separators=(",", ":"), sort_keys=True)
        if held and size + len(text) + 1 > limit:
            chunks.append("[" + ",".join(held) + "]")
            held, size = [], 0
        held.append(text)
        size += len(text) + 1
    chunks.append("[" + ",".join(held) + "]")
    return chunks


def chunk_writes(folder: str, key: str, texts: Sequence[str], **fields: Any) -> list[Write]:
    """A write of each chunk, with ``fields`` beside its text. Pure."""
    return [
        Write("set", f"{folder}/{key}-{n:03d}", {**fields, "n": n, "entries": text})
        for n, text in enumerate(texts)
    ]


def read_chunks(store: DocumentStore, folder: str, key: str, count: int) -> list[Entry]:
    """The entries of the first ``count`` chunks of ``key``, in order (one batched read)."""
    paths = [f"{folder}/{key}-{n:03d}" for n in range(count)]
    found = store.get_many(paths) if paths else {}
    out: list[Entry] = []
    for path in paths:
        out += json.loads((found.get(path) or {}).get("entries") or "[]")
    return out


def commit_chunked(store: DocumentStore, chunks: Sequence[Write], head: Write) -> int:
    """The chunks and then their head, in one commit when they fit in one request (so a reader
    never sees a head with chunks of another write), else in several, the head last."""
    groups: list[list[Write]] = [[]]
    size = 0
    for write in chunks:
        weight = len(write.data.get("entries") or "")
        if groups[-1] and (size + weight > COMMIT_BYTES or len(groups[-1]) >= 400):
            groups.append([])
            size = 0
        groups[-1].append(write)
        size += weight
    groups[-1].append(head)
    return sum(store.commit(group) for group in groups)


Row = tuple[str, Entry]  # a head's id and one of its entries: a listing's position


def position(cursor: str | None) -> tuple[str, str] | None:
    """A listing's cursor as (head id, entry key); None for the first page."""
    if not cursor:
        return None
    head_id, key = decode_cursor(cursor, 2)
    return str(head_id), str(key)


def heads_from(
    store: DocumentStore,
    chunks: str,
    heads: Sequence[tuple[str, Data]],
    after: tuple[str, str] | None,
) -> Iterator[tuple[str, Data, list[Entry]]]:
    """Each head (in the given order, by id) from the cursor's on, with all its entries, read
    only when the caller asks for the next one."""
    for head_id, head in heads:
        if after is None or head_id >= after[0]:
            yield head_id, head, read_chunks(store, chunks, head_id, int(head.get("chunks") or 0))


def beyond(after: tuple[str, str] | None, head_id: str, entry: Entry) -> bool:
    """Whether the entry comes after the cursor's position. Pure."""
    return after is None or (head_id, entry["key"]) > after


def page_of(rows: Sequence[Row], limit: int) -> tuple[list[Entry], str | None]:
    """The first ``limit`` rows' entries and the cursor after them, when more follow. Pure."""
    page = rows[:limit]
    more = len(rows) > limit
    return [entry for _, entry in page], (
        encode_cursor([page[-1][0], page[-1][1]["key"]]) if more else None
    )
