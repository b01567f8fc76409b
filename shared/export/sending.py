"""Sending one class's SIS writes side by side, within the vendor's concurrency limit.

A district's connection says how many requests its SIS takes at once (``max_concurrency``;
Infinite Campus asks for at most 5). An export sends its results on that many threads, at most
``MAX_WORKERS``, and every export of the district in this process shares one set of slots, so
classes exported at the same moment together stay within the limit too. The OneRoster client is
shared by the threads: its session pools connections per host (16) and its token cache is
locked. Only the sends run on the threads; reading and recording stay on the caller's thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

MAX_WORKERS = 8

_SLOTS: dict[tuple[str, int], threading.BoundedSemaphore] = {}
_SLOTS_LOCK = threading.Lock()


def district_slots(district_id: str, limit: int) -> threading.BoundedSemaphore:
    """The slots every export of this district in this process sends through."""
    with _SLOTS_LOCK:
        return _SLOTS.setdefault((district_id, limit), threading.BoundedSemaphore(limit))


def workers_for(max_concurrency: int) -> int:
    return max(1, min(max_concurrency, MAX_WORKERS))


class Sender:
    """Runs calls at most ``workers`` at a time; each call's outcome is None (it returned) or the
    exception it raised, in the order of the calls."""

    def __init__(self, district_id: str, max_concurrency: int) -> None:
        self.workers = workers_for(max_concurrency)
        self._slots = district_slots(district_id, self.workers)
        self._pool: ThreadPoolExecutor | None = None

    def run_all(self, calls: Sequence[Callable[[], object]]) -> list[Exception | None]:
        if self.workers == 1 or len(calls) <= 1:
            return [self._call(call) for call in calls]
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="export-send")
        return list(self._pool.map(self._call, calls))

    def _call(self, call: Callable[[], object]) -> Exception | None:
        with self._slots:
            try:
                call()
            except Exception as exc:  # the caller records it: a refusal, a retry or a bug
                return exc
        return None

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
