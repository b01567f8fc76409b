"""What a process keeps between requests, per store: a run's listing that its later steps reuse
(shared/sync/account_lookup.py, shared/sync/school_inputs.py). Kept per store instance, and
dropped with it, so two stores (tests, each with its own emulator data) never share an entry;
each store keeps its last ``kept`` entries."""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class StoreMemo(Generic[T]):
    def __init__(self, kept: int) -> None:
        self._kept = kept
        self._lock = threading.Lock()
        self._by_store: weakref.WeakKeyDictionary[Any, OrderedDict[Hashable, T]] = (
            weakref.WeakKeyDictionary()
        )

    def get(self, store: Any, key: Hashable) -> T | None:
        with self._lock:
            entries = self._by_store.get(store)
            if entries is None or key not in entries:
                return None
            entries.move_to_end(key)
            return entries[key]

    def put(self, store: Any, key: Hashable, value: T) -> None:
        with self._lock:
            entries = self._by_store.setdefault(store, OrderedDict())
            entries[key] = value
            entries.move_to_end(key)
            while len(entries) > self._kept:
                entries.popitem(last=False)
