"""What a school step reads besides the mirror: the run's pages of the school, the district's
terms and the school's synced classes."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from shared.ids import split_ids
from shared.store import layout
from shared.store.memo import StoreMemo
from shared.store.ports import DocumentStore, Filter
from shared.sync import class_index, mirror
from shared.sync.mirror_copies import Copy
from shared.sync.model import ClassroomClass, DataWarning, Term
from shared.sync.roster_docs import classroom_class_from


@dataclass(frozen=True)
class FetchedPages:
    """What the run's pages of one school recorded, per resource."""

    ids: dict[str, set[str]]
    stamps: dict[str, list[str | None]]
    by_page: tuple[tuple[str, int, tuple[str, ...]], ...] = ()  # (resource, index, ids)
    written: int = 0  # mirror documents the pages wrote
    rejections: tuple[DataWarning, ...] = ()  # the pages' rejected records (page_step.py)
    contents: tuple[tuple[str, str], ...] = ()  # (page key, the hash of its records' contents)
    # (page key, resource, pieces) of each page's mirror copy; None when a page has none
    copies: tuple[Copy, ...] | None = None


def read_fetches(
    store: DocumentStore, district_id: str, run_id: str, school_id: str
) -> dict[str, Mapping[str, Any]]:
    """The school's fetch documents, by resource (empty when a fetch never started): one
    batched read."""
    folder = layout.run_part(district_id, run_id, "fetches")
    paths = {r: f"{folder}/{layout.item_key(school_id, r)}" for r in mirror.SCHOOL_RESOURCES}
    found = store.get_many(list(paths.values()))
    return {resource: found.get(path) or {} for resource, path in paths.items()}


def fetch_failures(fetches: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Why the school cannot be planned: each fetch that did not complete. Pure."""
    return [
        f"{resource}: {fetch.get('reason', 'fetch did not complete')}"
        for resource, fetch in fetches.items()
        if fetch.get("state") != "complete"
    ]


PAGE_FIELDS = ("index", "ids", "max_modified", "written", "rejections", "content", "mirror_copy")


def read_pages(
    store: DocumentStore,
    district_id: str,
    run_id: str,
    school_id: str,
    fetches: Mapping[str, Mapping[str, Any]],
) -> FetchedPages:
    """The run's pages of the school's completed fetches, read by path in one batched read (a
    complete fetch knows its page count; a query would cost more on the emulator as it fills,
    docs/bench.md)."""
    folder = layout.run_part(district_id, run_id, "pages")
    paths = {
        resource: [
            f"{folder}/{layout.page_key(layout.item_key(school_id, resource), index)}"
            for index in range(int(fetches[resource].get("pages") or 0))
        ]
        for resource in mirror.SCHOOL_RESOURCES
    }
    found = store.get_many([p for group in paths.values() for p in group], fields=PAGE_FIELDS)
    ids: dict[str, set[str]] = {}
    stamps: dict[str, list[str | None]] = {}
    by_page: list[tuple[str, int, tuple[str, ...]]] = []
    written, rejections = 0, []
    contents = tuple(
        (path.rsplit("/", 1)[1], str(found[path]["content"]))
        for group in paths.values()
        for path in group
        if found.get(path, {}).get("content")
    )
    for resource, group in paths.items():
        pages = [found[p] for p in group if p in found]
        received = [(int(p.get("index") or 0), tuple(split_ids(p.get("ids")))) for p in pages]
        ids[resource] = {i for _, page_ids in received for i in page_ids}
        stamps[resource] = [p.get("max_modified") for p in pages]
        by_page += [(resource, index, page_ids) for index, page_ids in received]
        written += sum(int(p.get("written") or 0) for p in pages)
        rejections += [
            DataWarning(**w) for p in pages for w in json.loads(p.get("rejections") or "[]")
        ]
    copies = _copies(paths, found)
    return FetchedPages(ids, stamps, tuple(by_page), written, tuple(rejections), contents, copies)


def _copies(
    paths: Mapping[str, list[str]], found: Mapping[str, Mapping[str, Any]]
) -> tuple[Copy, ...] | None:
    """Each page's mirror copy (mirror_copies.py), or None when a page has none. Pure."""
    copies = []
    for resource, group in paths.items():
        for path in group:
            pieces = (found.get(path) or {}).get("mirror_copy")
            if not isinstance(pieces, int) or isinstance(pieces, bool) or pieces < 0:
                return None
            copies.append((path.rsplit("/", 1)[1], resource, pieces))
    return tuple(copies)


RUN_TERMS: StoreMemo[dict[str, Term]] = StoreMemo(8)


def run_terms(store: DocumentStore, district_id: str, run_id: str) -> dict[str, Term]:
    """The district's terms as the run's start step left them, read once per (district, run)
    in this process (``RUN_TERMS``): the start step (or the package's staging) writes them
    before it enqueues any page, so they do not change while the run's school steps read them,
    each once or, when it planned, twice."""
    kept = RUN_TERMS.get(store, (district_id, run_id))
    if kept is None:
        kept = read_terms(store, district_id)
        RUN_TERMS.put(store, (district_id, run_id), kept)
    return dict(kept)


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


# a school's synced class documents, as (id, data), and their versions, by id
ClassSnapshot = tuple[list[tuple[str, Mapping[str, Any]]], dict[str, str]]


def _school_classes(school_id: str) -> tuple[Filter, Filter]:
    return Filter("origin", "==", "sis"), Filter("sis.school_id", "==", school_id)


def school_class_snapshot(store: DocumentStore, district_id: str, school_id: str) -> ClassSnapshot:
    """The school's synced class documents, as (id, data), and their versions: read by path
    from the school's class listing (class_index.py), or with one query that completes the
    listing when the school has none yet."""
    listed = class_index.listed_ids(store, district_id, school_id)
    if listed is None:
        found = list(store.query(layout.classes(district_id), *_school_classes(school_id)))
        store.commit(class_index.complete_writes(district_id, school_id, [d.id for d in found]))
        return [(d.id, d.data) for d in found], {d.id: d.version or "" for d in found}
    docs, versions, foreign = _classes_at(store, district_id, school_id, listed)
    if foreign:  # a class that is now another school's: unlisted here
        store.commit(class_index.unlisting_writes(district_id, school_id, foreign))
    return docs, versions


def _classes_at(
    store: DocumentStore, district_id: str, school_id: str, ids: Iterable[str]
) -> tuple[list[tuple[str, Mapping[str, Any]]], dict[str, str], list[str]]:
    """The school's synced classes among ``ids``, their versions, and the ids whose class is
    not the school's. The versions are read first, so a write in between leaves a version older
    than the data, which a later comparison of versions finds changed."""
    folder = layout.classes(district_id)
    versions = store.versions_at([f"{folder}/{class_id}" for class_id in sorted(set(ids))])
    found = store.get_many(list(versions))
    docs: list[tuple[str, Mapping[str, Any]]] = []
    foreign: list[str] = []
    for path, data in sorted(found.items()):
        class_id = path.rsplit("/", 1)[1]
        if class_index.belongs(data, school_id):
            docs.append((class_id, data))
        else:
            foreign.append(class_id)
    kept = {f"{folder}/{class_id}" for class_id, _ in docs}
    return docs, {p.rsplit("/", 1)[1]: v for p, v in versions.items() if p in kept}, foreign


def school_classes_at(
    store: DocumentStore, district_id: str, school_id: str, ids: Iterable[str]
) -> ClassSnapshot:
    """Of the given classes, the school's synced ones, as (id, data), and their versions: what
    ``school_class_snapshot`` gives when ``ids`` holds every one."""
    docs, versions, _ = _classes_at(store, district_id, school_id, ids)
    return docs, versions


def school_class_versions(store: DocumentStore, district_id: str, school_id: str) -> dict[str, str]:
    """The versions of the school's synced class documents, by id, without their data: of the
    school's listed classes, read by path (a listed class now another school's is counted too,
    until a read of the classes unlists it), or with a query that completes the listing when it
    is not complete."""
    listed = class_index.listed_ids(store, district_id, school_id)
    if listed is None:
        found = store.versions(layout.classes(district_id), *_school_classes(school_id))
        store.commit(class_index.complete_writes(district_id, school_id, list(found)))
        return found
    folder = layout.classes(district_id)
    found = store.versions_at([f"{folder}/{class_id}" for class_id in listed])
    return {path.rsplit("/", 1)[1]: version for path, version in found.items()}


def read_school_classes(
    store: DocumentStore, district_id: str, school_id: str
) -> tuple[list[ClassroomClass], ClassSnapshot]:
    """The school's synced classes, and the documents and versions they were read from."""
    docs, versions = school_class_snapshot(store, district_id, school_id)
    classes = [classroom_class_from({**data, "_id": doc_id}) for doc_id, data in docs]
    return classes, (docs, versions)


def classes_after(
    store: DocumentStore,
    district_id: str,
    school_id: str,
    before: ClassSnapshot,
    changed: Iterable[str],
) -> ClassSnapshot:
    """The school's classes after a step applied its plan: those read ``before``, with the ones
    the plan changed or created read again (by path, versions first). A class another writer
    changed meanwhile keeps the version read before, older than its own, so the next
    comparison of versions finds it changed."""
    again = sorted(set(changed))
    docs = {class_id: data for class_id, data in before[0] if class_id not in again}
    versions = {class_id: v for class_id, v in before[1].items() if class_id not in again}
    fresh_docs, fresh_versions = school_classes_at(store, district_id, school_id, again)
    docs.update(fresh_docs)
    versions.update(fresh_versions)
    return sorted(docs.items()), versions
