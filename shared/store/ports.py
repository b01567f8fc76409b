"""The document-store port: what the services need of Firestore, and nothing more.

Paths come from ``shared.store.layout``. Field names in ``update`` are either a top-level name or a
tuple of names for a nested field (``("students", "stu-1", "status")``), so map keys made from
sourcedIds never need quoting by the caller. Filters name nested fields with dots
(``"sis.school_id"``); those fields are fixed names, never ids.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

Data = dict[str, Any]
FieldName = str | tuple[str, ...]


class _Delete:
    def __repr__(self) -> str:
        return "DELETE_FIELD"


DELETE_FIELD: Any = _Delete()
"""In an ``update``: remove the field."""


@dataclass(frozen=True)
class ArrayUnion:
    """In an ``update`` or a ``merge``: add the values the array field lacks, keeping what it
    holds (a missing field, or one that is not an array, becomes one). Applied by the store, so
    it loses nothing written to the array at the same moment."""

    values: tuple[Any, ...]


@dataclass(frozen=True)
class ArrayRemove:
    """In an ``update`` or a ``merge``: remove the values from the array field, keeping the
    rest (a missing field, or one that is not an array, becomes an empty one). Applied by the
    store, so a value added at the same moment stays."""

    values: tuple[Any, ...]


TRANSFORMS = (ArrayUnion, ArrayRemove)


def apply_value(current: Any, value: Any) -> Any:
    """The field's value after an update writes ``value`` over ``current`` (not DELETE_FIELD)."""
    held = list(current) if isinstance(current, list) else []
    if isinstance(value, ArrayUnion):
        return held + [v for v in value.values if v not in held]
    if isinstance(value, ArrayRemove):
        return [v for v in held if v not in value.values]
    return copy.deepcopy(value)


@dataclass(frozen=True)
class Doc:
    id: str
    path: str
    data: Data
    # The stored version the document was read at (Firestore: its update time, which every
    # write moves), as text; None where the store does not tell.
    version: str | None = None


@dataclass(frozen=True)
class Filter:
    field: str
    op: Literal["==", "in", "array_contains_any"]
    value: Any


@dataclass(frozen=True)
class Order:
    """One ordering of a paged query; ``DOC_ID`` orders by document id."""

    field: str
    descending: bool = False


DOC_ID = "__name__"


@dataclass(frozen=True)
class Write:
    """One write of a batch: ``set`` replaces, ``merge`` merges maps, ``update`` changes the named
    fields of an existing document."""

    op: Literal["set", "merge", "update"]
    path: str
    data: Mapping[Any, Any] = field(default_factory=dict)  # field names, or paths for update


@dataclass(frozen=True)
class Update:
    """What ``update_with`` writes in one transaction: field-path ``fields`` of the read document
    (none: the document is left as it is) and ``also``, other writes committed with them."""

    fields: Mapping[Any, Any]
    also: Sequence[Write] = ()


Build = Callable[[Data | None], Update | None]
"""Given the stored document (None when missing): what to write, or None to write nothing."""


def set_path(target: Data, name: FieldName, value: Any) -> None:
    """Writes one field path into ``target`` in place, as an update does (DELETE_FIELD removes
    it; a transform such as ArrayUnion applies to what is there)."""
    parts = (name,) if isinstance(name, str) else name
    for part in parts[:-1]:
        child = target.get(part)
        if not isinstance(child, dict):
            child = target[part] = {}
        target = child
    if value is DELETE_FIELD:
        target.pop(parts[-1], None)
    else:
        target[parts[-1]] = apply_value(target.get(parts[-1]), value)


def updated(data: Mapping[str, Any], fields: Mapping[Any, Any]) -> Data:
    """A copy of ``data`` with the field-path update applied, as the store would. Pure."""
    out: Data = copy.deepcopy(dict(data))
    for name, value in fields.items():
        set_path(out, name, value)
    return out


class DocumentStore(Protocol):
    def get(self, path: str) -> Data | None: ...

    def get_many(
        self, paths: Sequence[str], fields: Sequence[str] | None = None
    ) -> dict[str, Data]:
        """The documents that exist, by path; ``fields`` limits what is read."""
        ...

    def create(self, path: str, data: Mapping[str, Any]) -> bool:
        """Writes the document unless it exists; False when it already did."""
        ...

    def set(self, path: str, data: Mapping[str, Any], *, merge: bool = False) -> None: ...

    def update(self, path: str, data: Mapping[Any, Any]) -> None: ...

    def commit(self, writes: Iterable[Write]) -> int:
        """Applies the writes in batches; returns how many."""
        ...

    def query(
        self, collection: str, *filters: Filter, limit: int | None = None
    ) -> Iterator[Doc]: ...

    def descendants(self, parent: str, collection_id: str) -> Iterator[Doc]:
        """Every document of a collection named ``collection_id`` anywhere under the document
        ``parent``, in path order: one query however many such collections there are."""
        ...

    def count(self, collection: str, *filters: Filter) -> int: ...

    def versions(self, collection: str, *filters: Filter) -> dict[str, str]:
        """The id and version of each document the query finds, without the documents' data:
        when a later query finds the same versions, none of the documents was written since."""
        ...

    def versions_at(self, paths: Sequence[str]) -> dict[str, str]:
        """The version of each document that exists among ``paths``, by path, without its data:
        the same versions ``versions`` and ``query`` give."""
        ...

    def page(
        self,
        collection: str,
        *filters: Filter,
        order: Sequence[Order],
        after: Sequence[Any] | None = None,
        limit: int,
    ) -> list[Doc]:
        """At most ``limit`` documents in ``order``, starting after the position ``after`` (one
        value per order, the document id for ``DOC_ID``). Documents without an ordered field are
        left out, as Firestore does."""
        ...

    def update_if(
        self, path: str, condition: Callable[[Data | None], bool], data: Mapping[Any, Any]
    ) -> bool:
        """Atomically: updates the document when ``condition`` holds for what is stored."""
        ...

    def update_with(self, path: str, build: Build) -> bool:
        """In one transaction: reads the document, asks ``build`` what to write from what is
        stored, and writes it with its ``also`` writes, all or nothing. ``build`` may run more
        than once (a transaction retried after contention); only the last run's writes are
        committed. False when ``build`` returned None."""
        ...
