"""The district's record of the warnings a school's step finds in its own school, kept per school:
``districts/{d}/warning_history/{school hash}`` (``school_id``, ``chunks``, ``count``, ``at``)
and ``warning_history_chunks/{school hash}-{nnn}`` (chunked.py). Each entry is a warning with
when it was first and last seen, by how many runs, and its epoch (warning_log.py says what they
mean). A school's step reads its record in two reads and writes it back in one commit, instead
of reading and writing one document per warning.

Only a school's step writes its school's record. Two of them at once for one school are
deliveries of the same step, which count their run once each (``recent_runs``) and write the
same counts, so the read and write loses no count. Warnings that other writers record (the
start step, a CSV package's staging, a school's step warning about another school's users) keep
one document each (warning_log.py), as do the records from before this one. An entry new to a
school's record starts from such a document when one exists, and readers merge both. Entries
not seen for ``KEEP`` are dropped."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

from shared.ids import digest, split_ids
from shared.store import layout
from shared.store.ports import Data, DocumentStore, Filter, Write
from shared.sync.chunked import Entry, chunk_writes, commit_chunked, pack, read_chunks
from shared.sync.model import DataWarning
from shared.sync.warning_log import SEEN_FIELDS, first_record, seen_again

KEEP = dt.timedelta(days=400)  # a school year and more
# New warnings looked up by path alone; more first ask whether the school has any per-warning
# document (a query, which on the emulator costs more than a short batched read)
SEEDS_BY_PATH = 100
TIMES = ("first_seen_at", "last_seen_at")


def folders(district_id: str) -> tuple[str, str]:
    return layout.warning_history(district_id), layout.warning_history_chunks(district_id)


def school_key(school_id: str) -> str:
    return digest("warning-history", school_id)


def as_entry(key: str, data: Mapping[str, Any]) -> Entry:
    """A stored warning as an entry of JSON text (times as ISO text). Pure."""
    out: Entry = {"key": key}
    for name, value in data.items():
        out[name] = value.isoformat() if isinstance(value, dt.datetime) else value
    return out


def as_data(entry: Mapping[str, Any]) -> Data:
    """An entry as the fields a document would hold (times as datetimes). Pure."""
    return {
        name: dt.datetime.fromisoformat(value)
        if name in TIMES and isinstance(value, str)
        else value
        for name, value in entry.items()
        if name != "key"
    }


def _heads_read(store: DocumentStore, district_id: str, keys: Iterable[str]) -> dict[str, Entry]:
    heads, chunks = folders(district_id)
    found = store.get_many([f"{heads}/{key}" for key in keys])
    out: dict[str, Entry] = {}
    for path, head in found.items():
        key = path.rsplit("/", 1)[-1]
        for entry in read_chunks(store, chunks, key, int(head.get("chunks") or 0)):
            out[entry["key"]] = entry
    return out


def read_history(store: DocumentStore, district_id: str, school_id: str) -> dict[str, Entry]:
    """The school's record, by warning key (empty when it has none yet)."""
    return _heads_read(store, district_id, [school_key(school_id)])


def read_histories(
    store: DocumentStore, district_id: str, school_ids: Collection[str]
) -> dict[str, Entry]:
    """The records of several schools, by warning key."""
    return _heads_read(store, district_id, sorted({school_key(s) for s in school_ids}))


def _recent(entry: Mapping[str, Any], now: dt.datetime) -> bool:
    last = entry.get("last_seen_at")
    return not isinstance(last, str) or dt.datetime.fromisoformat(last) >= now - KEEP


def counted(
    entries: Mapping[str, Entry],
    warnings: Mapping[str, DataWarning],
    seeds: Mapping[str, Entry],
    sighting: tuple[str, str, dt.datetime],
) -> dict[str, Entry] | None:
    """The school's record once the run (``sighting``: run, epoch, time) saw ``warnings``,
    each counted once; None when nothing changed. ``seeds``: documents from before the record
    for warnings new to it. Pure."""
    run_id, epoch, now = sighting
    updated = {key: e for key, e in entries.items() if key in warnings or _recent(e, now)}
    changed = len(updated) != len(entries)
    for key, warning in warnings.items():
        entry = entries.get(key) or seeds.get(key)
        if entry is None:
            updated[key] = as_entry(key, first_record(warning, run_id, epoch, now))
        elif run_id not in split_ids(entry.get("recent_runs")):
            data = as_data(entry)
            updated[key] = as_entry(key, {**data, **seen_again(warning, run_id, epoch, now, data)})
        elif key in entries:
            continue
        else:
            updated[key] = entry
        changed = True
    return updated if changed else None


def legacy_seeds(
    store: DocumentStore, district_id: str, school_id: str, keys: Sequence[str]
) -> dict[str, Entry]:
    """The per-warning documents of ``keys`` (warnings new to the school's record): one batched
    read, after a query that finds whether the school has any such document when the keys are
    more than ``SEEDS_BY_PATH`` (a school's first record)."""
    folder = layout.district_warnings(district_id)
    if not keys:
        return {}
    if len(keys) > SEEDS_BY_PATH and _none_of_school(store, folder, school_id):
        return {}
    found = store.get_many([f"{folder}/{key}" for key in keys])
    return {
        path.rsplit("/", 1)[-1]: as_entry(path.rsplit("/", 1)[-1], d) for path, d in found.items()
    }


def _none_of_school(store: DocumentStore, folder: str, school_id: str) -> bool:
    found = store.query(folder, Filter("school_id", "==", school_id), limit=1)
    return next(iter(found), None) is None


def note_school(
    store: DocumentStore,
    district_id: str,
    school_id: str,
    sighting: tuple[str, str, dt.datetime],
    warnings: Mapping[str, DataWarning],
    entries: Mapping[str, Entry] | None = None,
) -> int:
    """Counts the run once on each of the school's own warnings in its record. ``entries``: the
    record as the caller just read it. Returns the documents written."""
    stored = read_history(store, district_id, school_id) if entries is None else entries
    new = [key for key in warnings if key not in stored]
    updated = counted(stored, warnings, legacy_seeds(store, district_id, school_id, new), sighting)
    if updated is None:
        return 0
    heads, chunks = folders(district_id)
    key, texts = school_key(school_id), pack([updated[k] for k in sorted(updated)])
    fields = {
        "school_id": school_id,
        "chunks": len(texts),
        "count": len(updated),
        "at": sighting[2],
    }
    head = Write("set", f"{heads}/{key}", fields)
    return commit_chunked(store, chunk_writes(chunks, key, texts, school=key), head)


def merged(records: Iterable[Mapping[str, Any] | None]) -> Data | None:
    """One warning's record from several (a school's record and a per-warning document): the
    latest sighting's fields, first seen at the earliest, the largest count. Pure."""
    held = [as_data(r) for r in records if r]
    if not held:
        return None
    floor = dt.datetime.min.replace(tzinfo=dt.UTC)
    latest = max(held, key=lambda r: r.get("last_seen_at") or floor)
    first = min(held, key=lambda r: r.get("first_seen_at") or floor)
    return {
        **latest,
        "first_seen_run": first.get("first_seen_run"),
        "first_seen_at": first.get("first_seen_at"),
        "runs_seen": max(int(r.get("runs_seen") or 0) for r in held),
    }


def seen_fields(
    store: DocumentStore, district_id: str, warnings: Sequence[Mapping[str, Any]]
) -> dict[str, Data]:
    """First and last seen and the count of the given warnings (each with ``key`` and
    ``school_id``), by key, from the schools' records and the per-warning documents."""
    schools = {str(w["school_id"]) for w in warnings if w.get("school_id")}
    history = read_histories(store, district_id, schools)
    folder = layout.district_warnings(district_id)
    paths = [f"{folder}/{w['key']}" for w in warnings]
    legacy = store.get_many(paths, fields=list(SEEN_FIELDS)) if paths else {}
    out: dict[str, Data] = {}
    for w in warnings:
        record = merged([history.get(w["key"]), legacy.get(f"{folder}/{w['key']}")])
        if record is not None:
            out[w["key"]] = {k: record[k] for k in SEEN_FIELDS if k in record}
    return out
