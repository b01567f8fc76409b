"""The district's current warnings (warning_log.py says which: those whose epoch is among the
current ones), read from the schools' records (warning_history.py) and then the per-warning
documents (warning_log.py), a warning that both hold shown once, from its school's record."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from shared.store import layout
from shared.store.ports import DOC_ID, Data, DocumentStore, Filter, Order
from shared.sync.chunked import Entry, Row, beyond, heads_from, page_of, position, read_chunks
from shared.sync.warning_history import folders, read_history

LEGACY = "~"  # the per-warning documents, after every school's record (hex ids sort first)
BY_ID = (Order(DOC_ID),)


def _heads(store: DocumentStore, district_id: str, school_id: str | None) -> list[tuple[str, Data]]:
    wanted = (Filter("school_id", "==", school_id),) if school_id else ()
    heads = [(d.id, d.data) for d in store.query(folders(district_id)[0], *wanted)]
    return sorted(heads, key=lambda head: head[0])


def _fits(entry: Mapping[str, Any], epochs: Collection[str], filters: Mapping[str, Any]) -> bool:
    return entry.get("epoch") in epochs and all(
        entry.get(name) == filters[name] for name in ("code", "school_id") if filters.get(name)
    )


class _Reader:
    """One listing's reads, keeping each school's record it read."""

    def __init__(self, store: DocumentStore, district_id: str, epochs: Collection[str]) -> None:
        self.store, self.district_id, self.epochs = store, district_id, epochs
        self.records: dict[str, set[str]] = {}

    def school_keys(self, school_id: str) -> set[str]:
        if school_id not in self.records:
            found = read_history(self.store, self.district_id, school_id)
            self.records[school_id] = set(found)
        return self.records[school_id]

    def from_records(
        self, filters: Mapping[str, Any], after: tuple[str, str] | None, wanted: int | None
    ) -> list[Row]:
        chunks = folders(self.district_id)[1]
        heads = _heads(self.store, self.district_id, filters.get("school_id"))
        rows: list[Row] = []
        for head_id, head, entries in heads_from(self.store, chunks, heads, after):
            self.records[str(head.get("school_id"))] = {e["key"] for e in entries}
            rows += [
                (head_id, e)
                for e in entries
                if beyond(after, head_id, e) and _fits(e, self.epochs, filters)
            ]
            if wanted is not None and len(rows) >= wanted:
                break
        return rows

    def from_documents(
        self, filters: Mapping[str, Any], after: tuple[str, str] | None, wanted: int | None
    ) -> list[Row]:
        """The per-warning documents, leaving out those their school's record holds."""
        folder = layout.district_warnings(self.district_id)
        terms = [Filter("epoch", "in", list(self.epochs))]
        terms += [Filter(n, "==", filters[n]) for n in ("code", "school_id") if filters.get(n)]
        position = [after[1]] if after is not None and after[0] == LEGACY else None
        rows: list[Row] = []
        while wanted is None or len(rows) < wanted:
            batch = self.store.page(folder, *terms, order=BY_ID, after=position, limit=200)
            for doc in batch:
                school = doc.data.get("school_id")
                if not school or doc.id not in self.school_keys(str(school)):
                    rows.append((LEGACY, {"key": doc.id, **doc.data}))
            if len(batch) < 200:
                break
            position = [batch[-1].id]
        return rows


def current_page(
    store: DocumentStore,
    district_id: str,
    epochs: Collection[str],
    filters: Mapping[str, Any],
    limit: int,
    cursor: str | None,
) -> tuple[list[Entry], str | None]:
    """A page of the current warnings, school record by school record, then the per-warning
    documents, each by key; filtered by ``code`` and ``school_id``."""
    after = position(cursor)
    reader = _Reader(store, district_id, epochs)
    rows: list[Row] = []
    if after is None or after[0] != LEGACY:
        rows = reader.from_records(filters, after, limit + 1)
    if len(rows) <= limit:
        legacy_after = after if after and after[0] == LEGACY else None
        rows += reader.from_documents(filters, legacy_after, limit + 1 - len(rows))
    return page_of(rows, limit)


def current_entries(store: DocumentStore, district_id: str, epochs: Collection[str]) -> list[Entry]:
    """Every current warning (an admin's question, not a poll)."""
    reader = _Reader(store, district_id, epochs)
    rows = reader.from_records({}, None, None) + reader.from_documents({}, None, None)
    return [entry for _, entry in rows]


def district_records(store: DocumentStore, district_id: str) -> list[Entry]:
    """The district's record of every warning, current or not: each school's record, then each
    per-warning document (an operator's or a test's question)."""
    heads, chunks = folders(district_id)
    out: list[Entry] = []
    for head in store.query(heads):
        out += read_chunks(store, chunks, head.id, int(head.data.get("chunks") or 0))
    folder = layout.district_warnings(district_id)
    return out + [{"key": doc.id, **doc.data} for doc in store.query(folder)]
