"""The document-store port: what the services need of Firestore, and nothing more.

Paths come from ``shared.store.layout``. Field names in ``update`` are either a top-level name or a
tuple of names for a nested field (``("students", "stu-1", "status")``), so map keys made from
sourcedIds never need quoting by the caller. Filters name nested fields with dots
(``"sis.school_id"``); those fields are fixed names, never ids.
"""

from __future__ import annotations

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
class Doc:
    id: str
    path: str
    data: Data


@dataclass(frozen=True)
class Filter:
    field: str
    op: Literal["==", "in"]
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

    def count(self, collection: str, *filters: Filter) -> int: ...

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
