"""The mirror: a copy of what the SIS sent, per school and resource, written only where a record's
content changed (content hash), and read back whole by the school step."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from shared.ids import digest, safe_id
from shared.store import layout
from shared.store.ports import DocumentStore, Write
from shared.sync import mirror
from shared.sync.mirror_copies import (
    Copy,
    commit_copy,
    copy_writes,
    holds_every_document,
    read_copies,
)
from shared.sync.mirror_snapshot import (
    MAX_RUNS,
    SchoolMirror,
    Stored,
    decoded,
    kept,
    read_snapshot,
    read_writers,
    runs_of,
    writer_writes,
    written_by,
)


@dataclass(frozen=True)
class Entry:
    """A parsed record as the mirror keeps it, with its content hash (computed once a page)."""

    record: Any
    data: dict[str, Any]
    content: str
    text: str  # data as the mirror stores it (mirror.data_text)


def entries(records: Sequence[Any]) -> list[Entry]:
    """Pure."""
    out = []
    for record in records:
        data = mirror.mirror_data(record)
        text = mirror.data_text(data)
        out.append(Entry(record, data, mirror.content_hash(record.status, data, text), text))
    return out


def changed_writes(
    folder: str,
    page: Sequence[Entry],
    known: Mapping[str, Any],
    source: tuple[str, str],
    now: dt.datetime,
) -> list[Write]:
    """Writes for the records whose content differs from the stored hash; ``source``: the run
    and the page (its key) writing them. Pure."""
    writes = []
    for entry in page:
        record, data, content = entry.record, entry.data, entry.content
        path = f"{folder}/{safe_id(record.sourced_id)}"
        if known.get(path) == content:
            continue
        doc = {
            "sourcedId": record.sourced_id,
            "status": record.status,
            "dateLastModified": record.date_last_modified,
            "hash": content,
            **mirror.stored_fields(record, data, entry.text),
            "changed_run": source[0],
            "changed_page": source[1],
            "changed_at": now,
        }
        writes.append(Write("set", path, doc))
    return writes


def written_before(
    folder: str,
    page: Sequence[Entry],
    stored: Mapping[str, Mapping[str, Any]],
    source: tuple[str, str],
) -> int:
    """The page's records already stored as they are by the same run and page: an earlier
    delivery of the step wrote them and died before recording the page. Pure."""
    count = 0
    for entry in page:
        doc = stored.get(f"{folder}/{safe_id(entry.record.sourced_id)}") or {}
        if (
            doc.get("hash") == entry.content
            and (doc.get("changed_run"), doc.get("changed_page")) == source
        ):
            count += 1
    return count


@dataclass(frozen=True)
class MirrorPage:
    """Where a page's records go: the school's mirror of one resource, for one run and page
    (``page_key``). ``started_by``: the run that first wrote that mirror (its ``mirror_start``
    document), None when no run has. A mirror no other run wrote holds no stored hash to compare
    with (at most a record this run sent on two pages, written again), so a school's first sync
    writes its records without looking any up."""

    district_id: str
    school_id: str
    resource: str
    run_id: str
    page_key: str
    started_by: str | None

    @property
    def stored(self) -> bool:
        return self.started_by is not None and self.started_by != self.run_id


def write_mirror(
    store: DocumentStore, target: MirrorPage, page: Sequence[Entry], now: dt.datetime
) -> tuple[int, int | None]:
    """Writes the page's changed records; returns how many records this run and page wrote,
    those an earlier delivery of the step wrote included, and, when the run is the first to
    write this mirror, the pieces of the page's copy (mirror_copies.py; else None)."""
    if not page:
        return 0, 0  # nothing to copy
    district_id, school_id, resource = target.district_id, target.school_id, target.resource
    folder = layout.mirror(district_id, school_id, resource)
    source = (target.run_id, target.page_key)
    stored: dict[str, Any] = {}
    if target.stored:
        paths = [f"{folder}/{safe_id(e.record.sourced_id)}" for e in page]
        stored = store.get_many(paths, ["hash", "changed_run", "changed_page"])
    known = {path: doc.get("hash") for path, doc in stored.items()}
    writes = changed_writes(folder, page, known, source, now)
    before = written_before(folder, page, stored, source)
    if not writes:
        return before, None
    # The first commit resets the school's quiet state (its plan must be made again,
    # shared/sync/quiet.py), names the run among the mirror's writers since its snapshot with
    # what it writes (mirror_snapshot.py) and, the first time, as the run that first wrote
    # this mirror.
    written = [f"{resource}/{write.path.rsplit('/', 1)[1]}" for write in writes]
    first = [
        Write("set", layout.school_state(district_id, school_id), {"quiet": None}),
        *writer_writes(district_id, school_id, target.run_id, written),
    ]
    if target.started_by is None:
        start = {"run_id": target.run_id, "at": now}
        first.append(Write("set", layout.mirror_start(district_id, school_id, resource), start))
    count = store.commit([*first, *writes]) - len(first) + before
    return count, _copy(store, target, writes)


def _copy(store: DocumentStore, target: MirrorPage, writes: Sequence[Write]) -> int | None:
    """The page's copy, when the run wrote every record of the page (its first sync of this
    mirror): its pieces are committed after the documents, so a copy is never ahead of them."""
    if target.stored:
        return None
    pieces = copy_writes(target.district_id, target.run_id, target.page_key, writes)
    return commit_copy(store, pieces) if pieces else None


def page_content(page: Sequence[Entry]) -> str:
    """One hash of a page's records and their contents. Pure."""
    return digest(*sorted(f"{safe_id(e.record.sourced_id)}:{e.content}" for e in page), length=32)


def unchanged_page(
    store: DocumentStore,
    district_id: str,
    quiet_run: str | None,
    page_key: str,
    content: str,
    quiet_contents: Mapping[str, str] | None = None,
) -> bool:
    """Whether the mirror already holds this page as it is: the school's mirror was not written
    since ``quiet_run``, the run its quiet state names (quiet.py; any write clears it), and that
    run received the same page (``page_key``: item and index) with the same contents. From
    ``quiet_contents``, the contents of that run's pages its quiet state keeps, when it keeps
    them; else one read instead of one per record, besides the quiet state the caller read."""
    if not quiet_run:
        return False
    if quiet_contents is not None:
        return quiet_contents.get(page_key) == content
    path = f"{layout.run_part(district_id, quiet_run, 'pages')}/{page_key}"
    earlier = store.get_many([path], fields=["content"]).get(path)
    return (earlier or {}).get("content") == content


def _read_whole(store: DocumentStore, district_id: str, school_id: str) -> Stored:
    """Every mirror document of the school, read concurrently."""

    def read(resource: str) -> dict[str, dict[str, Any]]:
        folder = layout.mirror(district_id, school_id, resource)
        return {doc.id: kept(doc.data) for doc in store.query(folder)}

    with ThreadPoolExecutor(max_workers=len(mirror.SCHOOL_RESOURCES)) as pool:
        results = pool.map(read, mirror.SCHOOL_RESOURCES)
        return dict(zip(mirror.SCHOOL_RESOURCES, results, strict=True))


def _from_copies(
    store: DocumentStore,
    district_id: str,
    school_id: str,
    copied: tuple[str, Sequence[Copy] | None],
    writers: tuple[list[str], int],
) -> Stored | None:
    """The school's mirror put together from the run's page copies, when they are the mirror
    (mirror_copies.py): only this run wrote it, and it holds no other document."""
    run_id, copies = copied
    entries, late = writers
    if copies is None or late or runs_of(entries) != [run_id]:
        return None
    stored = read_copies(store, district_id, run_id, copies)
    if stored is None or not holds_every_document(store, district_id, school_id, stored):
        return None
    return stored


def read_school_mirror(
    store: DocumentStore,
    district_id: str,
    school_id: str,
    copied: tuple[str, Sequence[Copy] | None] = ("", None),
) -> SchoolMirror:
    """The school's mirror: its snapshot with the documents the runs since wrote laid over it,
    else the copies of the pages that wrote it in its first sync, else every document, read
    whole (mirror_snapshot.py). ``copied``: the run and its pages' copies (FetchedPages)."""
    entries, late = read_writers(store, district_id, school_id)
    runs = runs_of(entries)
    stored = read_snapshot(store, district_id, school_id, late) if len(runs) <= MAX_RUNS else None
    if stored is None:
        whole = _from_copies(store, district_id, school_id, copied, (entries, late))
        if whole is None:
            whole = _read_whole(store, district_id, school_id)
        return SchoolMirror(decoded(whole), whole, True, late=late, entries=tuple(entries))
    changed = written_by(store, district_id, school_id, runs)
    for resource, docs in changed.items():
        stored[resource].update(docs)
    laid = sum(len(docs) for docs in changed.values())
    return SchoolMirror(decoded(stored), stored, False, laid, late, tuple(entries))
