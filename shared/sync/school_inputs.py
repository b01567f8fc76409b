"""What a school step reads besides the mirror: the run's pages of the school, the district's
terms and the school's synced classes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from shared.store import layout
from shared.store.ports import DocumentStore, Filter
from shared.sync import mirror
from shared.sync.model import ClassroomClass, Term
from shared.sync.roster_docs import classroom_class_from


@dataclass(frozen=True)
class FetchedPages:
    """What the run's pages of one school recorded, per resource."""

    ids: dict[str, set[str]]
    stamps: dict[str, list[str | None]]
    by_page: tuple[tuple[str, int, tuple[str, ...]], ...] = ()  # (resource, index, ids)
    written: int = 0  # mirror documents the pages wrote


def read_pages(store: DocumentStore, district_id: str, run_id: str, school_id: str) -> FetchedPages:
    folder = layout.run_part(district_id, run_id, "pages")
    ids: dict[str, set[str]] = {}
    stamps: dict[str, list[str | None]] = {}
    by_page: list[tuple[str, int, tuple[str, ...]]] = []
    written = 0
    for resource in mirror.SCHOOL_RESOURCES:
        item = layout.item_key(school_id, resource)
        pages = [p.data for p in store.query(folder, Filter("item", "==", item))]
        ids[resource] = {i for p in pages for i in p.get("ids") or ()}
        stamps[resource] = [p.get("max_modified") for p in pages]
        by_page += [(resource, int(p.get("index") or 0), tuple(p.get("ids") or ())) for p in pages]
        written += sum(int(p.get("written") or 0) for p in pages)
    return FetchedPages(ids, stamps, tuple(by_page), written)


def read_terms(store: DocumentStore, district_id: str) -> dict[str, Term]:

    def day(value: str | None) -> dt.date | None:
        return dt.date.fromisoformat(value) if value else None

    return {
        doc.data["sourcedId"]: Term(
            doc.data["sourcedId"],
            day(doc.data.get("start_date")),
            day(doc.data.get("end_date")),
            doc.data.get("title") or "",
        )
        for doc in store.query(layout.sis_terms(district_id))
    }


def school_class_docs(
    store: DocumentStore, district_id: str, school_id: str
) -> list[tuple[str, Mapping[str, Any]]]:
    """The school's synced class documents, as (id, data)."""
    query = store.query(
        layout.classes(district_id),
        Filter("origin", "==", "sis"),
        Filter("sis.school_id", "==", school_id),
    )
    return [(doc.id, doc.data) for doc in query]


def read_school_classes(
    store: DocumentStore, district_id: str, school_id: str
) -> list[ClassroomClass]:
    docs = school_class_docs(store, district_id, school_id)
    return [classroom_class_from({**data, "_id": doc_id}) for doc_id, data in docs]
