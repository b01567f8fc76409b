"""Step tests: the sync and export services on in-memory ports (the MemoryStore, a recording task
queue, an in-memory secret store) and a real local SIS on 127.0.0.1 — no emulator, so a whole run
takes well under a second per school."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pytest
from pydantic import SecretStr

from shared.adapters.sis_clients import OneRosterClients
from shared.oneroster.errors import TransientError
from shared.oneroster.settings import parse_settings
from shared.store import layout
from shared.store.memory import MemoryStore
from shared.sync.ports import SyncPorts
from shared.sync.service import handle_task
from shared.tasks import parse_sync_task
from tests.conftest import CLIENT_ID, CLIENT_SECRET
from tools.oneroster_sis.harness import RunningSis


class MemorySecrets:
    def __init__(self) -> None:
        self._values: dict[str, SecretStr] = {}

    def store(self, secret_id: str, value: SecretStr) -> str:
        self._values[secret_id] = value
        return secret_id

    def read(self, secret_name: str) -> SecretStr:
        return self._values[secret_name]


@dataclass
class RecordingQueue:
    """Keeps enqueued tasks by name; a name enqueued twice is kept once, as Cloud Tasks does."""

    tasks: dict[str, dict[str, Any]] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def enqueue(
        self,
        queue: str,
        payload: dict[str, object],
        name: str | None = None,
        url: str | None = None,
    ) -> bool:
        with self.lock:
            key = name or f"unnamed-{len(self.order)}"
            if key in self.tasks:
                return False
            self.tasks[key] = dict(payload)
            self.order.append(key)
            return True

    def take(self) -> list[dict[str, Any]]:
        with self.lock:
            taken = [self.tasks[name] for name in self.order]
            self.order = []
            return taken


@dataclass
class StepWorld:
    store: MemoryStore
    queue: RecordingQueue
    ports: SyncPorts
    secrets: MemorySecrets

    def register(self, running: RunningSis, district_id: str = "d1", **doc: Any) -> str:
        settings = parse_settings(
            {
                "district_id": district_id,
                "vendor": "generic",
                "version": "1.2",
                "rostering_base_url": running.base_url("1.2"),
                "gradebook_base_url": running.base_url("1.2", "gradebook"),
                "token_url": running.token_url,
                "client_id": CLIENT_ID,
                "local_dev": True,
                "page_size": 40,
                "max_concurrency": 3,
            }
        )
        name = self.secrets.store(f"{district_id}-sis", SecretStr(CLIENT_SECRET))
        self.store.set(
            layout.district(district_id),
            {
                "connection": settings.model_dump(exclude={"district_id"}),
                "secret_name": name,
                "connected": True,
                "schedule": {"enabled": False},
                **doc,
            },
        )
        return district_id

    def deliver(self, task: dict[str, Any], retry_count: int = 0) -> dict[str, Any]:
        return handle_task(self.ports, parse_sync_task(task), retry_count)

    def drain(self, copies: int = 1, parallel: bool = False, limit: int = 10_000) -> int:
        """Delivers queued tasks until none is left; each ``copies`` times, in parallel threads
        when asked (a delivery that raises a transient error is put back, as Cloud Tasks would)."""
        delivered = 0
        while batch := self.queue.take():
            jobs = [t for t in batch for _ in range(copies)]
            delivered += len(jobs)
            assert delivered < limit, "the run does not converge"
            if parallel:
                with ThreadPoolExecutor(max_workers=8) as pool:
                    list(pool.map(self._deliver_retrying, jobs))
            else:
                for job in jobs:
                    self._deliver_retrying(job)
        return delivered

    def _deliver_retrying(self, task: dict[str, Any]) -> None:
        for attempt in range(20):
            try:
                self.deliver(task, attempt)
                return
            except TransientError:
                continue
        raise AssertionError("a task kept failing")


@pytest.fixture
def step_world() -> StepWorld:
    store, queue, secrets = MemoryStore(), RecordingQueue(), MemorySecrets()
    clients = OneRosterClients(secrets, local_dev=True)
    now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)  # noqa: E731
    return StepWorld(store, queue, SyncPorts(store, queue, clients, now), secrets)
