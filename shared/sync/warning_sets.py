"""A run's data warnings, kept as one set per writer instead of one document per warning.

Each writer of a run (the start step, a school step, a batch of a CSV package's staging) stores
what it found in ``runs/{run}/warning_sets/{writer}``: the writer, how many warnings, their codes
and schools. The warnings themselves, sorted by key, are JSON text in
``runs/{run}/warning_chunks/{writer}-{nn}`` of at most ``CHUNK_BYTES`` each, written in the same
commit as the set. A school of 500 warnings costs two documents a run, not 500 (docs/bench.md,
"Warning sets").

A warning's key names its school, code and record (warning_log.py); a page's rejected records
reach the run through its school's step, so each key has one writer, with one exception: a
school's step also warns about users of other schools that share a match-key value with its own
(accounts.py), and two schools planning at the same moment may both record such a *foreign*
warning. Each set's document lists its foreign keys; readers show a foreign warning once, from
the set of the school it names when that set holds it, else from the first set that does. A
writer delivered again writes its set again, keeping the warnings the earlier delivery stored
(the union, as per-warning documents kept it). Runs recorded before sets existed keep their
per-warning documents under ``runs/{run}/warnings``, which every reader here still reads."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict

from shared.ids import digest, join_ids, split_ids
from shared.store import layout
from shared.store.cursors import read_page
from shared.store.ports import DOC_ID, Data, DocumentStore, Filter, Order, Write
from shared.sync.chunked import (
    Entry,
    Row,
    beyond,
    chunk_writes,
    commit_chunked,
    heads_from,
    pack,
    page_of,
    position,
    read_chunks,
)
from shared.sync.model import DataWarning

BY_ID = (Order(DOC_ID),)


def school_writer(school_id: str) -> str:
    """The writer name of a school's step."""
    return f"school~{school_id}"


def school_set(school_id: str) -> tuple[str, str]:
    """A school step as the writer of its set: its name and school."""
    return school_writer(school_id), school_id


def writer_key(writer: str) -> str:
    return digest("warning-set", writer)


def _folders(district_id: str, run_id: str) -> tuple[str, str, str]:
    part = layout.run_part
    return (
        part(district_id, run_id, "warning_sets"),
        part(district_id, run_id, "warning_chunks"),
        part(district_id, run_id, "warnings"),
    )


def entries_of(warnings: Mapping[str, DataWarning]) -> list[Entry]:
    """The warnings as stored, by key. Pure."""
    return [{"key": key, **asdict(warnings[key])} for key in sorted(warnings)]


def foreign_keys(entries: Sequence[Entry], school_id: str | None) -> list[str]:
    """The keys of the entries naming a school other than the writer's ``school_id``. Pure."""
    if school_id is None:
        return []
    return [e["key"] for e in entries if e.get("school_id") not in (None, "", school_id)]


def set_writes(
    district_id: str,
    run_id: str,
    writer: tuple[str, str | None],
    entries: Sequence[Entry],
    now: dt.datetime,
) -> list[Write]:
    """The set document of ``writer`` (its name and school) and its chunks. Pure."""
    sets, chunks, _ = _folders(district_id, run_id)
    key, texts = writer_key(writer[0]), pack(entries)
    foreign = foreign_keys(entries, writer[1])
    head = {
        "writer": writer[0],
        "count": len(entries),
        "foreign": join_ids(foreign),
        "foreign_schools": sorted({str(e["school_id"]) for e in entries if e["key"] in foreign}),
        "chunks": len(texts),
        "codes": sorted({str(e["code"]) for e in entries}),
        "school_ids": sorted({str(e.get("school_id") or "") for e in entries}),
        "at": now,
    }
    return [*chunk_writes(chunks, key, texts, set=key), Write("set", f"{sets}/{key}", head)]


def write_set(
    store: DocumentStore,
    district_id: str,
    run_id: str,
    writer: tuple[str, str | None],
    warnings: Mapping[str, DataWarning],
    now: dt.datetime,
) -> int:
    """Stores the warnings of ``writer`` (its name, and its school for a school's step), with
    those an earlier delivery of it stored. Returns the documents written."""
    sets, chunks, _ = _folders(district_id, run_id)
    key = writer_key(writer[0])
    stored = store.get(f"{sets}/{key}")
    merged = {e["key"]: e for e in entries_of(warnings)}
    if stored:
        for entry in read_chunks(store, chunks, key, int(stored.get("chunks") or 0)):
            merged.setdefault(entry["key"], entry)
    entries = [merged[k] for k in sorted(merged)]
    *parts, head = set_writes(district_id, run_id, writer, entries, now)
    return commit_chunked(store, parts, head)


def shown_foreign(
    store: DocumentStore, chunks: str, heads: Sequence[tuple[str, Data]]
) -> dict[str, str]:
    """Each foreign key the sets (in set order) hold, to the set it is shown with; left out
    when the set of the school it names holds it. Reads only those schools' chunks."""
    first: dict[str, str] = {}
    named: set[str] = set()
    for set_key, head in heads:
        for key in split_ids(head.get("foreign")):
            first.setdefault(key, set_key)
        named.update(head.get("foreign_schools") or ())
    if not first:
        return {}
    by_key = dict(heads)
    owned: set[str] = set()
    for owner in {writer_key(school_writer(school)) for school in named} & set(by_key):
        count = int(by_key[owner].get("chunks") or 0)
        owned.update(e["key"] for e in read_chunks(store, chunks, owner, count))
    return {key: set_key for key, set_key in first.items() if key not in owned}


def run_total(store: DocumentStore, district_id: str, run_id: str, *, exact: bool = True) -> int:
    """How many warnings the run recorded, plus its per-warning documents from before sets.
    ``exact=False`` (the progress poll): the sets' counts alone, which count a foreign warning
    two schools recorded twice."""
    sets, chunks, legacy = _folders(district_id, run_id)
    heads = sorted(((doc.id, doc.data) for doc in store.query(sets)), key=lambda h: h[0])
    counted = sum(int(head.get("count") or 0) for _, head in heads)
    if exact:
        foreign = sum(len(split_ids(head.get("foreign"))) for _, head in heads)
        counted += len(shown_foreign(store, chunks, heads)) - foreign
    return counted + store.count(legacy)


def run_warnings(store: DocumentStore, district_id: str, run_id: str) -> Iterator[Entry]:
    """Every warning of the run, set by set (an admin's question or a test's, never a poll)."""
    sets, chunks, legacy = _folders(district_id, run_id)
    heads = sorted(((doc.id, doc.data) for doc in store.query(sets)), key=lambda h: h[0])
    shown = shown_foreign(store, chunks, heads)
    for set_key, head in heads:
        foreign = set(split_ids(head.get("foreign")))
        for entry in read_chunks(store, chunks, set_key, int(head.get("chunks") or 0)):
            if entry["key"] not in foreign or shown.get(entry["key"]) == set_key:
                yield entry
    for doc in store.query(legacy):
        yield {"key": doc.id, **doc.data}


def _wanted(entry: Entry, code: str | None, school_id: str | None) -> bool:
    return (code is None or entry.get("code") == code) and (
        school_id is None or entry.get("school_id") == school_id
    )


def _set_heads(
    store: DocumentStore, sets: str, code: str | None, school_id: str | None
) -> list[tuple[str, Data]]:
    by_school = (Filter("school_ids", "array_contains_any", [school_id]),) if school_id else ()
    docs = store.query(sets, *by_school)
    heads = [(d.id, d.data) for d in docs if code is None or code in (d.data.get("codes") or ())]
    return sorted(heads, key=lambda head: head[0])


def sets_page(
    store: DocumentStore,
    district_id: str,
    run_id: str,
    filters: Mapping[str, str | None],
    limit: int,
    cursor: str | None,
) -> tuple[list[Entry], str | None] | None:
    """A page of the run's warnings in set order, then key order, filtered by ``code`` and
    ``school_id``; None for a run recorded before sets (read its per-warning documents). Reads
    the sets' small documents, then only the chunks of the sets the page reaches."""
    sets, chunks, legacy = _folders(district_id, run_id)
    code, school_id = filters.get("code"), filters.get("school_id")
    after = position(cursor)
    heads = _set_heads(store, sets, code, school_id)
    if not heads and next(iter(store.query(legacy, limit=1)), None) is not None:
        return None
    shown = shown_foreign(store, chunks, heads)
    rows: list[Row] = []
    for set_key, head, entries in heads_from(store, chunks, heads, after):
        foreign = set(split_ids(head.get("foreign")))
        rows += [
            (set_key, e)
            for e in entries
            if beyond(after, set_key, e)
            and (e["key"] not in foreign or shown.get(e["key"]) == set_key)
            and _wanted(e, code, school_id)
        ]
        if len(rows) > limit:
            break
    return page_of(rows, limit)


def legacy_page(
    store: DocumentStore,
    district_id: str,
    run_id: str,
    wanted: Iterable[Filter],
    limit: int,
    cursor: str | None,
) -> tuple[list[Entry], str | None]:
    """A page of a run's per-warning documents (runs recorded before sets)."""
    legacy = _folders(district_id, run_id)[2]
    page = read_page(store, legacy, *wanted, order=BY_ID, limit=limit, cursor=cursor)
    return [{"key": doc.id, **doc.data} for doc in page.docs], page.next_cursor
