"""An in-memory DocumentStore with Firestore's semantics where the services rely on them: map
merges, nested field updates, ``DELETE_FIELD``, equality and ``in`` filters on nested fields,
versions that every write moves, and copies in and out (a caller never holds a stored dict). For
step and unit tests."""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

from shared.store.ports import (
    DELETE_FIELD,
    DOC_ID,
    TRANSFORMS,
    Build,
    Data,
    Doc,
    Filter,
    Order,
    Write,
    apply_value,
    set_path,
)


def _merge(target: Data, data: Mapping[str, Any]) -> None:
    for key, value in data.items():
        if value is DELETE_FIELD:
            target.pop(key, None)
        elif isinstance(value, TRANSFORMS):  # as Firestore: applied to what is stored
            target[key] = apply_value(target.get(key), value)
        elif isinstance(value, Mapping):  # as Firestore: a map merges field by field
            if not isinstance(target.get(key), dict):
                target[key] = {}
            _merge(target[key], value)
        else:
            target[key] = copy.deepcopy(value)


def _lookup(data: Data, dotted: str) -> Any:
    value: Any = data
    for part in dotted.split("."):
        if not isinstance(value, dict) or part not in value:
            return _MISSING
        value = value[part]
    return value


_MISSING = object()


def _matches(data: Data, filters: Sequence[Filter]) -> bool:
    for spec in filters:
        value = _lookup(data, spec.field)
        if value is _MISSING:
            return False
        if spec.op == "==" and value != spec.value:
            return False
        if spec.op == "in" and value not in spec.value:
            return False
        if spec.op == "array_contains_any" and not (
            isinstance(value, list) and any(v in value for v in spec.value)
        ):
            return False
    return True


def _beyond(key: list[Any], after: list[Any], order: Sequence[Order]) -> bool:
    """Whether a row's order key comes after the cursor position."""
    for value, start, spec in zip(key, after, order, strict=False):
        if value != start:
            return bool(value < start) if spec.descending else bool(value > start)
    return False


class MemoryStore:
    def __init__(self) -> None:
        self._docs: dict[str, Data] = {}
        self._versions: dict[str, str] = {}  # path: the count of writes when last written
        self._writes = 0
        self._lock = threading.RLock()

    def _written(self, path: str) -> None:
        self._writes += 1
        self._versions[path] = f"{self._writes:012d}"

    def get(self, path: str) -> Data | None:
        with self._lock:
            doc = self._docs.get(path)
            return copy.deepcopy(doc) if doc is not None else None

    def versions_at(self, paths: Sequence[str]) -> dict[str, str]:
        with self._lock:
            return {path: self._versions[path] for path in paths if path in self._docs}

    def get_many(
        self, paths: Sequence[str], fields: Sequence[str] | None = None
    ) -> dict[str, Data]:
        found = {}
        for path in paths:
            doc = self.get(path)
            if doc is not None:
                found[path] = {k: v for k, v in doc.items() if fields is None or k in fields}
        return found

    def create(self, path: str, data: Mapping[str, Any]) -> bool:
        with self._lock:
            if path in self._docs:
                return False
            self._docs[path] = copy.deepcopy(dict(data))
            self._written(path)
            return True

    def set(self, path: str, data: Mapping[str, Any], *, merge: bool = False) -> None:
        with self._lock:
            if merge and path in self._docs:
                _merge(self._docs[path], data)
            else:
                self._docs[path] = {}
                _merge(self._docs[path], data)
            self._written(path)

    def update(self, path: str, data: Mapping[Any, Any]) -> None:
        with self._lock:
            if path not in self._docs:
                raise KeyError(f"no document to update at {path}")
            for name, value in data.items():
                set_path(self._docs[path], name, value)
            self._written(path)

    def commit(self, writes: Iterable[Write]) -> int:
        count = 0
        with self._lock:
            for write in writes:
                if write.op == "update":
                    self.update(write.path, write.data)
                else:
                    self.set(write.path, _plain(write.data), merge=write.op == "merge")
                count += 1
        return count

    def query(self, collection: str, *filters: Filter, limit: int | None = None) -> Iterator[Doc]:
        prefix = collection + "/"
        with self._lock:
            hits = [
                Doc(path[len(prefix) :], path, copy.deepcopy(data), self._versions.get(path))
                for path, data in sorted(self._docs.items())
                if path.startswith(prefix)
                and "/" not in path[len(prefix) :]
                and _matches(data, filters)
            ]
        return iter(hits[:limit] if limit is not None else hits)

    def descendants(self, parent: str, collection_id: str) -> Iterator[Doc]:
        prefix = parent + "/"
        with self._lock:
            hits = [
                Doc(path.rsplit("/", 1)[-1], path, copy.deepcopy(data))
                for path, data in sorted(self._docs.items())
                if path.startswith(prefix) and path.split("/")[-2] == collection_id
            ]
        return iter(hits)

    def count(self, collection: str, *filters: Filter) -> int:
        return sum(1 for _ in self.query(collection, *filters))

    def versions(self, collection: str, *filters: Filter) -> dict[str, str]:
        return {doc.id: doc.version or "" for doc in self.query(collection, *filters)}

    def page(
        self,
        collection: str,
        *filters: Filter,
        order: Sequence[Order],
        after: Sequence[Any] | None = None,
        limit: int,
    ) -> list[Doc]:
        rows = []
        for doc in self.query(collection, *filters):
            key = [doc.id if o.field == DOC_ID else _lookup(doc.data, o.field) for o in order]
            if _MISSING not in key:
                rows.append((key, doc))
        for index in reversed(range(len(order))):  # stable sorts, last order first
            rows.sort(key=lambda row: row[0][index], reverse=order[index].descending)
        if after is not None:
            rows = [row for row in rows if _beyond(row[0], list(after), order)]
        return [doc for _, doc in rows[:limit]]

    def update_if(
        self, path: str, condition: Callable[[Data | None], bool], data: Mapping[Any, Any]
    ) -> bool:
        with self._lock:
            if not condition(self.get(path)):
                return False
            self.update(path, data)
            return True

    def update_with(self, path: str, build: Build) -> bool:
        """All or nothing: when a write fails, every document it touched is put back."""
        with self._lock:
            change = build(self.get(path))
            if change is None:
                return False
            touched = [path, *(write.path for write in change.also)]
            before = {p: copy.deepcopy(self._docs.get(p)) for p in touched}
            try:
                if change.fields:
                    self.update(path, change.fields)
                self.commit(change.also)
            except BaseException:
                for p, data in before.items():
                    if data is None:
                        self._docs.pop(p, None)
                    else:
                        self._docs[p] = data
                    self._written(p)
                raise
            return True

    def paths(self, prefix: str = "") -> list[str]:
        """Every stored path under ``prefix`` (for tests)."""
        with self._lock:
            return sorted(p for p in self._docs if p.startswith(prefix))


def _plain(data: Mapping[Any, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in data.items():
        if not isinstance(name, str):
            raise TypeError("set and merge take plain field names; use update for field paths")
        out[name] = value
    return out
