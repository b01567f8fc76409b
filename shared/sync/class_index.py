"""The ids of each school's synced classes, kept in a few documents of their own
(``class_index``) so that a school step reads the school's classes by path instead of querying
the district's classes. On the Firestore emulator a query costs in proportion to the documents it
passes over, not to those it returns (docs/bench.md, "What a store operation costs").

- A class is listed before it is created: ``apply.apply_changes`` commits the ids of the classes
  it is about to create, then the classes. So the listing holds every synced class of the school;
  an id whose class is not there yet is read as missing, as a query would not return it.
- A school whose classes were created before the listing existed has no complete listing. Its
  classes are queried once, and the ids found are written with ``complete`` on every document.
  Ids listed meanwhile are kept: the writes merge field by field.
- A listed class that now belongs to another school or is no longer synced (a section moved to
  another school and its class was offered there) is dropped from the listing when read.

Each document holds the ids of one share of the school's classes (``SHARDS``), as a map, so a
school of many thousand classes stays far below Firestore's 1 MiB a document."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping

from shared.ids import digest
from shared.store import layout
from shared.store.ports import DELETE_FIELD, DocumentStore, Write

SHARDS = 8


def _shard(class_id: str) -> int:
    return int(digest(class_id, length=8), 16) % SHARDS


def index_paths(district_id: str, school_id: str) -> list[str]:
    school = digest(school_id, length=32)
    return [f"{layout.class_index(district_id)}/{school}-{i:02d}" for i in range(SHARDS)]


def _by_shard(district_id: str, school_id: str, class_ids: Iterable[str]) -> dict[str, set[str]]:
    paths = index_paths(district_id, school_id)
    shares: dict[str, set[str]] = defaultdict(set)
    for class_id in class_ids:
        shares[paths[_shard(class_id)]].add(class_id)
    return shares


def listing_writes(district_id: str, school_id: str, class_ids: Iterable[str]) -> list[Write]:
    """The writes that list ``class_ids`` as the school's (before they are created). Pure."""
    return [
        Write("merge", path, {"school_id": school_id, "ids": dict.fromkeys(sorted(ids), True)})
        for path, ids in sorted(_by_shard(district_id, school_id, class_ids).items())
    ]


def complete_writes(district_id: str, school_id: str, class_ids: Iterable[str]) -> list[Write]:
    """Every document of the school's listing, with ``class_ids`` (read with a query) and marked
    complete. A share with no id writes no ``ids`` map: an empty map would replace the ids a
    concurrent step listed. Pure."""
    shares = _by_shard(district_id, school_id, class_ids)
    writes = []
    for path in index_paths(district_id, school_id):
        data: dict[str, object] = {"school_id": school_id, "complete": True}
        if shares.get(path):
            data["ids"] = dict.fromkeys(sorted(shares[path]), True)
        writes.append(Write("merge", path, data))
    return writes


def listed_ids(store: DocumentStore, district_id: str, school_id: str) -> list[str] | None:
    """The school's listed class ids, or None when its listing is not complete (one batched
    read)."""
    found = store.get_many(index_paths(district_id, school_id))
    if len(found) < SHARDS or any(doc.get("complete") is not True for doc in found.values()):
        return None
    return sorted({i for doc in found.values() for i, on in (doc.get("ids") or {}).items() if on})


def unlisting_writes(district_id: str, school_id: str, class_ids: Iterable[str]) -> list[Write]:
    """The writes that drop ``class_ids`` from the school's listing. Pure."""
    return [
        Write("merge", path, {"ids": dict.fromkeys(sorted(ids), DELETE_FIELD)})
        for path, ids in sorted(_by_shard(district_id, school_id, class_ids).items())
    ]


def belongs(data: Mapping[str, object], school_id: str) -> bool:
    """Whether a class document is a synced class of the school. Pure."""
    sis = data.get("sis")
    return (
        data.get("origin") == "sis"
        and isinstance(sis, Mapping)
        and sis.get("school_id") == school_id
    )
