"""The queues' in-memory state and their dispatchers: one thread per queue that starts deliveries
when a task is due, a dispatch slot is free and the rate allows, and a pool that runs them."""

from __future__ import annotations

import heapq
import itertools
import logging
import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from google.cloud.tasks_v2.types import task as task_types

from tools.cloud_tasks_local.policy import QueueConfig, backoff, gives_up

log = logging.getLogger("cloud-tasks-local")
Deliver = Callable[[str, task_types.Task, int], bool]  # (queue id, task, retry count) -> 2xx?


@dataclass
class QueueState:
    path: str  # projects/P/locations/L/queues/Q
    config: QueueConfig
    paused: bool = False
    tasks: dict[str, task_types.Task] = field(default_factory=dict)  # pending or in flight
    deliveries: dict[str, int] = field(default_factory=dict)
    due: list[tuple[float, int, str]] = field(default_factory=list)  # heap of (time, seq, name)
    in_flight: int = 0


class Queues:
    """Every queue of the service, guarded by one condition variable."""

    def __init__(
        self,
        deliver: Deliver,
        *,
        time_scale: float = 1.0,
        duplicate_rate: float = 0.0,
        seed: int = 0,
    ) -> None:
        self._deliver = deliver
        self._scale = time_scale
        self._duplicate_rate = duplicate_rate
        self._random = random.Random(seed)
        self._queues: dict[str, QueueState] = {}
        self._used_names: set[str] = set()
        self._sequence = itertools.count()
        self._changed = threading.Condition()
        self._stopping = False

    # ---- the API's view ----

    def create_queue(self, path: str, config: QueueConfig) -> QueueState:
        with self._changed:
            if path not in self._queues:
                self._queues[path] = QueueState(path, config)
                threading.Thread(target=self._dispatch_loop, args=(path,), daemon=True).start()
            return self._queues[path]

    def get(self, path: str) -> QueueState | None:
        with self._changed:
            return self._queues.get(path)

    def paths(self) -> list[str]:
        with self._changed:
            return sorted(self._queues)

    def add_task(self, path: str, task: task_types.Task) -> bool:
        """False when the name was used before (Cloud Tasks answers ALREADY_EXISTS)."""
        with self._changed:
            queue = self._queues[path]
            if task.name in self._used_names:
                return False
            self._used_names.add(task.name)
            queue.tasks[task.name] = task
            queue.deliveries[task.name] = 0
            start = task.schedule_time.timestamp() if task.schedule_time else time.time()
            delay = max(0.0, start - time.time())
            heapq.heappush(queue.due, (time.monotonic() + delay, next(self._sequence), task.name))
            self._changed.notify_all()
            return True

    def list_tasks(self, path: str) -> list[task_types.Task]:
        with self._changed:
            return list(self._queues[path].tasks.values())

    def remove_task(self, path: str, name: str) -> bool:
        with self._changed:
            return self._queues[path].tasks.pop(name, None) is not None

    def set_paused(self, path: str, paused: bool) -> None:
        with self._changed:
            self._queues[path].paused = paused
            self._changed.notify_all()

    def purge(self, path: str) -> None:
        with self._changed:
            queue = self._queues[path]
            queue.tasks.clear()
            queue.due.clear()

    def stop(self) -> None:
        with self._changed:
            self._stopping = True
            self._changed.notify_all()

    # ---- dispatch ----

    def _next_due(self, queue: QueueState) -> str | None:
        """The name of a task to start now, or None (caller then waits)."""
        while queue.due and queue.due[0][2] not in queue.tasks:
            heapq.heappop(queue.due)  # deleted or purged
        if queue.paused or not queue.due or queue.in_flight >= queue.config.max_concurrent:
            return None
        if queue.due[0][0] > time.monotonic():
            return None
        name = heapq.heappop(queue.due)[2]
        queue.in_flight += 1
        return name

    def _dispatch_loop(self, path: str) -> None:
        queue = self._queues[path]
        spacing = 1.0 / queue.config.max_per_second if queue.config.max_per_second > 0 else 0.0
        with ThreadPoolExecutor(
            max_workers=queue.config.max_concurrent * 2,
            thread_name_prefix=f"deliver-{queue.config.name}",
        ) as pool:
            while True:
                with self._changed:
                    name = self._next_due(queue)
                    while name is None and not self._stopping:
                        self._changed.wait(timeout=0.05)
                        name = self._next_due(queue)
                    if self._stopping or name is None:
                        return
                    task = queue.tasks[name]
                    retry = queue.deliveries[name]
                pool.submit(self._run, queue, task, retry)
                if (
                    self._duplicate_rate
                    and retry == 0
                    and self._random.random() < self._duplicate_rate
                ):
                    pool.submit(self._deliver, queue.config.name, task, retry)  # at-least-once
                if spacing:
                    time.sleep(spacing)

    def _run(self, queue: QueueState, task: task_types.Task, retry: int) -> None:
        try:
            ok = self._deliver(queue.config.name, task, retry)
        except Exception:  # a delivery that breaks is a failed delivery, as for Cloud Tasks
            log.exception("delivery of %s failed", task.name)
            ok = False
        with self._changed:
            queue.in_flight -= 1
            self._settle(queue, task.name, ok)
            self._changed.notify_all()

    def _settle(self, queue: QueueState, name: str, ok: bool) -> None:
        if name not in queue.tasks:
            return
        queue.deliveries[name] += 1
        count = queue.deliveries[name]
        if ok or gives_up(queue.config, count):
            if not ok:
                log.warning("giving up %s after %d deliveries", name, count)
            del queue.tasks[name]
            return
        wait = backoff(queue.config, count, self._scale)
        heapq.heappush(queue.due, (time.monotonic() + wait, next(self._sequence), name))
