"""What mark export needs from the world. runtime.py builds the real ports."""

from __future__ import annotations

from dataclasses import dataclass

from shared.identity import TokenVerifier
from shared.settings import Settings
from shared.store.ports import DocumentStore
from shared.sync.ports import Clock, SisClients
from shared.tasks import TaskQueue


@dataclass(frozen=True)
class ExportPorts:
    store: DocumentStore
    queue: TaskQueue
    sis: SisClients
    clock: Clock
    tokens: TokenVerifier
    settings: Settings
    task_url: str
    queue_name: str = "mark-export"
