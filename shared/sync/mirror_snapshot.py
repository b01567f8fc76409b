"""A school's mirror as one snapshot: every mirror document of the school as JSON text in a few
chunks (chunked.py), so the school step reads the snapshot and then only the documents written
since, instead of every document.

Documents, under ``districts/{d}/schools/{school}/mirror_snapshot/``:
- ``writers``: ``runs``, the runs that wrote the school's mirror since the snapshot, one entry
  ``{run}|{nonce}`` per commit that wrote (a page step's first mirror commit, the school step's
  removals' commit), so a snapshot saved removes only the entries it read; and
  ``late``, one entry per page step that wrote the mirror after another delivery of it had
  recorded the page: such a write may land after the school step read the mirror.
- ``current``: the snapshot's head (``late_seen``, ``chunks``, ``count``, ``run_id``, ``at``),
  with its chunks in ``mirror_snapshot_chunks/snapshot-{nnn}``.
And under the run, ``runs/{run}/mirror_written/{school}``: ``ids``, the documents the run wrote
(``resource/id``), listed in the same commit as the documents, or ``bulk`` when one commit wrote
more than ``LISTED_MAX``.

Every write of a mirror document names its run in ``changed_run``, and the mirror's documents
are never deleted. So while ``late`` has as many entries as the snapshot saw, the mirror is the
snapshot with the documents of the runs in ``runs`` laid over it: those a run listed, read by
path, and those of a run that wrote in bulk (or listed none), found by a query on
``changed_run``. Reading a few documents by path costs less than a query: on the emulator a
query pays for every document stored (docs/bench.md). The snapshot is written after the school
step's removals (which it holds), when the step read the mirror whole or the documents laid
over grew past ``REWRITE_SHARE`` of it; then the entries of ``runs`` it read are removed. A run
that wrote meanwhile, even one already read, added an entry of its own, which stays."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from shared.ids import safe_id
from shared.store import layout
from shared.store.ports import ArrayRemove, ArrayUnion, DocumentStore, Filter, Write
from shared.sync import mirror
from shared.sync.chunked import chunk_writes, commit_chunked, pack, read_chunks

MirrorDocs = dict[str, list[dict[str, Any]]]
Stored = dict[str, dict[str, dict[str, Any]]]  # resource -> id -> the stored fields
REWRITE_SHARE = 0.05
MAX_RUNS = 30  # Firestore's limit on the values of an ``in`` filter
LISTED_MAX = 100  # documents one commit lists by id; more make the run one to query
NONCE_MARK = "|"  # in an entry of ``runs``: run id, then the writing commit's nonce
KEY = "snapshot"


def paths(district_id: str, school_id: str) -> tuple[str, str, str]:
    """The snapshot's head, the folder of its chunks, and the writers document."""
    school = layout.school_state(district_id, school_id)
    folder = f"{school}/mirror_snapshot"
    return f"{folder}/current", f"{school}/mirror_snapshot_chunks", f"{folder}/writers"


def written_path(district_id: str, school_id: str, run_id: str) -> str:
    """The run's list of the school's mirror documents it wrote."""
    return f"{layout.run_part(district_id, run_id, 'mirror_written')}/{safe_id(school_id)}"


def writer_entry(run_id: str) -> str:
    """A new entry of ``runs`` for one commit of ``run_id``."""
    return f"{run_id}{NONCE_MARK}{secrets.token_hex(6)}"


def writer_writes(
    district_id: str,
    school_id: str,
    run_id: str,
    written: Collection[str],
    entry: str | None = None,
) -> list[Write]:
    """To commit with mirror writes of ``run_id``: names the run among the writers of the
    school's mirror since the snapshot (an entry of this commit's own) and lists what it wrote
    (``resource/id``), or marks it as a run to query when the commit writes more than
    ``LISTED_MAX``."""
    listing = (
        {"ids": ArrayUnion(tuple(sorted(written)))}
        if len(written) <= LISTED_MAX
        else {"bulk": True}
    )
    entry = entry or writer_entry(run_id)
    return [
        Write("merge", paths(district_id, school_id)[2], {"runs": ArrayUnion((entry,))}),
        Write("merge", written_path(district_id, school_id, run_id), listing),
    ]


def late_write(district_id: str, school_id: str, marker: str) -> Write:
    """Marks the snapshot stale: a page step wrote after its page was recorded. Pure."""
    return Write("merge", paths(district_id, school_id)[2], {"late": ArrayUnion((marker,))})


def kept(data: Mapping[str, Any]) -> dict[str, Any]:
    """A mirror document's fields as the school step uses them: all but times (when it was
    written, which no plan reads). Pure."""
    return {k: v for k, v in data.items() if not isinstance(v, dt.datetime)}


def decoded(stored: Stored) -> MirrorDocs:
    """The school step's view: each document with its id as ``_id`` and its record fields as
    a map (``data``), in id order, as a query returns them. Pure."""
    return {
        resource: [
            {**data, "_id": doc_id, "data": mirror.data_of(data)}
            for doc_id, data in sorted(stored.get(resource, {}).items())
        ]
        for resource in mirror.SCHOOL_RESOURCES
    }


@dataclass
class SchoolMirror:
    """The school's mirror as the school step read it: ``docs`` (its view) and ``stored`` (the
    fields as stored, which a snapshot keeps), how it was read, and the ``late`` entries seen."""

    docs: MirrorDocs
    stored: Stored
    whole: bool
    laid: int = 0
    late: int = 0
    entries: tuple[str, ...] = ()  # of ``runs``, as read: a snapshot saved holds what they wrote

    def removed(self, resource: str, doc_id: str, fields: Mapping[str, Any]) -> None:
        self.stored[resource].setdefault(doc_id, {}).update(kept(fields))

    def worth_saving(self) -> bool:
        size = sum(len(docs) for docs in self.stored.values())
        return self.whole or self.laid > REWRITE_SHARE * size


def read_writers(store: DocumentStore, district_id: str, school_id: str) -> tuple[list[str], int]:
    """The entries of ``runs`` (a run id alone where written before entries had a nonce), and
    how many ``late`` entries there are."""
    writers = store.get(paths(district_id, school_id)[2]) or {}
    return [str(r) for r in writers.get("runs") or []], len(writers.get("late") or [])


def runs_of(entries: Sequence[str]) -> list[str]:
    """The runs the entries of ``runs`` name, each once, in order. Pure."""
    return list(dict.fromkeys(entry.split(NONCE_MARK, 1)[0] for entry in entries))


def read_snapshot(
    store: DocumentStore, district_id: str, school_id: str, late: int
) -> Stored | None:
    """The snapshot's documents; None without a whole one, or after a late write."""
    head_path, chunks, _ = paths(district_id, school_id)
    head = store.get(head_path)
    if not head or int(head.get("late_seen", -1)) != late:
        return None
    entries = read_chunks(store, chunks, KEY, int(head.get("chunks") or 0))
    if len(entries) != int(head.get("count") or 0):
        return None
    stored: Stored = {resource: {} for resource in mirror.SCHOOL_RESOURCES}
    for entry in entries:
        resource, doc_id = entry.pop("r"), entry.pop("_id")
        stored[resource][doc_id] = entry
    return stored


def listed(
    lists: Mapping[str, Mapping[str, Any]], runs: Sequence[str]
) -> tuple[set[str], list[str]]:
    """The documents (``resource/id``) the runs listed, and the runs whose documents must be
    found by query: those that wrote in bulk, and those with no list (written before runs
    listed their documents). ``lists``: the runs' lists by run. Pure."""
    ids: set[str] = set()
    queried = []
    for run_id in runs:
        found = lists.get(run_id)
        if not found or found.get("bulk"):
            queried.append(run_id)
        else:
            ids.update(str(i) for i in found.get("ids") or ())
    return ids, queried


def _read_listed(
    store: DocumentStore, district_id: str, school_id: str, ids: set[str], found: Stored
) -> None:
    """Reads the listed documents (``resource/id``) by path into ``found``."""
    where: dict[str, tuple[str, str]] = {}
    for entry in ids:
        resource, _, doc_id = entry.partition("/")
        if resource in found and doc_id:
            folder = layout.mirror(district_id, school_id, resource)
            where[f"{folder}/{doc_id}"] = (resource, doc_id)
    for path, data in store.get_many(sorted(where)).items():
        resource, doc_id = where[path]
        found[resource][doc_id] = kept(data)


def written_by(store: DocumentStore, district_id: str, school_id: str, runs: list[str]) -> Stored:
    """The mirror documents the given runs wrote (at most ``MAX_RUNS``): read by path where
    the runs listed them, else by one query per resource on ``changed_run``."""
    by_path = {written_path(district_id, school_id, r): r for r in runs}
    lists = {by_path[path]: data for path, data in store.get_many(list(by_path)).items()}
    ids, queried = listed(lists, runs)
    found: Stored = {resource: {} for resource in mirror.SCHOOL_RESOURCES}
    _read_listed(store, district_id, school_id, ids, found)
    for resource in mirror.SCHOOL_RESOURCES if queried else ():
        folder = layout.mirror(district_id, school_id, resource)
        for doc in store.query(folder, Filter("changed_run", "in", queried)):
            found[resource][doc.id] = kept(doc.data)
    return found


def save_snapshot(
    store: DocumentStore,
    district_id: str,
    school_id: str,
    school: SchoolMirror,
    source: tuple[str, dt.datetime],
) -> int:
    """Writes the snapshot of ``school`` (chunks, then the head; then the entries of ``runs`` it
    read are removed), made by the run ``source[0]`` at ``source[1]``. Returns the documents
    written."""
    head_path, chunks, writers = paths(district_id, school_id)
    entries = [
        {**data, "_id": doc_id, "r": resource}
        for resource in mirror.SCHOOL_RESOURCES
        for doc_id, data in sorted(school.stored.get(resource, {}).items())
    ]
    try:
        texts = pack(entries)
    except (TypeError, ValueError):  # a value JSON cannot hold: keep reading the mirror whole
        return 0
    head: dict[str, Any] = {"late_seen": school.late, "chunks": len(texts)}
    head.update(count=len(entries), run_id=source[0], at=source[1])
    parts = chunk_writes(chunks, KEY, texts)
    written = commit_chunked(store, parts, Write("set", head_path, head))
    # Only the runs read leave the list: a run that wrote since stays, to be laid over next time.
    done = Write("merge", writers, {"runs": ArrayRemove(school.entries)})
    return written + store.commit([done])
