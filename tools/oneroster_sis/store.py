"""In-memory record store of the local SIS, versioned so listings and indexes can be cached."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from tools.oneroster_sis.model import KINDS

Record = dict[str, Any]
Clock = Callable[[], dt.datetime]


def format_timestamp(moment: dt.datetime) -> str:
    """ISO 8601 UTC with milliseconds, as OneRoster servers send dateLastModified."""
    moment = moment.astimezone(dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_timestamp(text: str) -> dt.datetime:
    parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


class Store:
    """Records per kind in insertion order. Every change bumps the store's version and the
    changed kind's version; ``all`` is cached per kind version."""

    def __init__(self, clock: Clock | None = None) -> None:
        self._clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self._lock = threading.RLock()
        self._records: dict[str, dict[str, Record]] = {kind: {} for kind in KINDS}
        self._kind_versions = dict.fromkeys(KINDS, 0)
        self._version = 0
        self._all: dict[str, tuple[int, list[Record]]] = {}
        self._latest: dt.datetime | None = None

    @property
    def version(self) -> int:
        return self._version

    def kind_version(self, kind: str) -> int:
        return self._kind_versions[self._kind(kind)]

    def _kind(self, kind: str) -> str:
        if kind not in self._records:
            raise KeyError(f"unknown record kind {kind!r}; one of {list(KINDS)}")
        return kind

    def _bump(self, kind: str) -> None:
        self._version += 1
        self._kind_versions[kind] += 1

    def _seen(self, stamp: object) -> None:
        if isinstance(stamp, str) and stamp:
            try:
                moment = parse_timestamp(stamp)
            except ValueError:
                return
            if self._latest is None or moment > self._latest:
                self._latest = moment

    def next_timestamp(self) -> str:
        """A dateLastModified later than every one issued or stored so far."""
        with self._lock:
            now = self._clock().astimezone(dt.UTC)
            floor = self._latest + dt.timedelta(milliseconds=1) if self._latest else now
            moment = max(now, floor)
            moment = moment.replace(microsecond=moment.microsecond // 1000 * 1000)
            if self._latest is not None and moment <= self._latest:
                moment = self._latest + dt.timedelta(milliseconds=1)
            self._latest = moment
            return format_timestamp(moment)

    def replace_all(self, data: Mapping[str, Iterable[Record]]) -> None:
        with self._lock:
            self._latest = None
            for kind in KINDS:
                records: dict[str, Record] = {}
                for record in data.get(kind, ()):
                    records[record["sourcedId"]] = record
                    self._seen(record.get("dateLastModified"))
                self._records[kind] = records
                self._bump(kind)
            for kind in KINDS:
                for record in self._records[kind].values():
                    record.setdefault("status", "active")
                    if not record.get("dateLastModified"):
                        record["dateLastModified"] = self.next_timestamp()

    def upsert(self, kind: str, record: Record, touch: bool = True) -> Record:
        """Adds or replaces a record. ``touch`` moves its dateLastModified to now."""
        with self._lock:
            stored = dict(record)
            stored.setdefault("status", "active")
            if touch or not stored.get("dateLastModified"):
                stored["dateLastModified"] = self.next_timestamp()
            else:
                self._seen(stored["dateLastModified"])
            self._records[self._kind(kind)][stored["sourcedId"]] = stored
            self._bump(kind)
            return stored

    def patch(self, kind: str, sourced_id: str, changes: Mapping[str, Any]) -> Record:
        with self._lock:
            current = self._records[self._kind(kind)].get(sourced_id)
            if current is None:
                raise KeyError(f"no {kind} record {sourced_id!r}")
            if changes.get("sourcedId", sourced_id) != sourced_id:
                raise ValueError("sourcedId cannot be changed")
            return self.upsert(kind, {**current, **changes})

    def mark_tobedeleted(self, kind: str, sourced_id: str) -> Record:
        return self.patch(kind, sourced_id, {"status": "tobedeleted"})

    def delete(self, kind: str, sourced_id: str) -> bool:
        with self._lock:
            removed = self._records[self._kind(kind)].pop(sourced_id, None)
            if removed is not None:
                self._bump(kind)
            return removed is not None

    def get(self, kind: str, sourced_id: str) -> Record | None:
        return self._records[self._kind(kind)].get(sourced_id)

    def all(self, kind: str) -> Sequence[Record]:
        with self._lock:
            version = self._kind_versions[self._kind(kind)]
            cached = self._all.get(kind)
            if cached is None or cached[0] != version:
                cached = (version, list(self._records[kind].values()))
                self._all[kind] = cached
            return cached[1]

    def counts(self) -> dict[str, int]:
        return {kind: len(records) for kind, records in self._records.items()}
