"""The composition root: builds the adapters once per function instance, on first use."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from shared.oneroster.client import OneRosterClient
from shared.settings import Settings

if TYPE_CHECKING:
    from google.cloud.firestore import Client

    from shared.adapters.cloud_tasks import CloudTasksQueue
    from shared.adapters.secrets import SecretManagerSecrets
    from shared.sync.district import DistrictConfig


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class Runtime:
    settings: Settings
    clock: Callable[[], dt.datetime] = utc_now
    _db: Client | None = None
    _queue: CloudTasksQueue | None = None
    _secrets: SecretManagerSecrets | None = None
    _clients: dict[tuple[str, str], OneRosterClient] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def db(self) -> Client:
        with self._lock:
            if self._db is None:
                from shared.adapters.firestore_db import make_firestore_client

                self._db = make_firestore_client(self.settings.project_id)
            return self._db

    @property
    def queue(self) -> CloudTasksQueue:
        with self._lock:
            if self._queue is None:
                from shared.adapters.cloud_tasks import CloudTasksQueue, make_tasks_client

                target = self.settings.sync_task_url or (
                    f"{self.settings.functions_url.rstrip('/')}/sync_task"
                    if self.settings.functions_url
                    else None
                )
                if not target:
                    raise RuntimeError("set ROSTERSYNC_SYNC_TASK_URL or ROSTERSYNC_FUNCTIONS_URL")
                self._queue = CloudTasksQueue(
                    make_tasks_client(self.settings.tasks_emulator_host),
                    project_id=self.settings.project_id,
                    location=self.settings.tasks_location,
                    target_url=target,
                    service_account_email=self.settings.tasks_service_account,
                )
            return self._queue

    @property
    def secrets(self) -> SecretManagerSecrets:
        with self._lock:
            if self._secrets is None:
                from shared.adapters.secrets import SecretManagerSecrets

                self._secrets = SecretManagerSecrets(
                    self.settings.project_id, self.settings.secret_manager_endpoint
                )
            return self._secrets

    @property
    def export_task_url(self) -> str:
        if self.settings.export_task_url:
            return self.settings.export_task_url
        if not self.settings.functions_url:
            raise RuntimeError("set ROSTERSYNC_EXPORT_TASK_URL or ROSTERSYNC_FUNCTIONS_URL")
        return f"{self.settings.functions_url.rstrip('/')}/export_task"

    def client_for(self, district: DistrictConfig, **transport_options: Any) -> OneRosterClient:
        """One client (and token cache) per district and connection per instance. Local
        development mode is honoured only when this instance runs in local development."""
        connection = district.connection.model_copy(
            update={"local_dev": district.connection.local_dev and self.settings.local_dev}
        )
        key = (district.district_id, connection.model_dump_json())
        with self._lock:
            client = self._clients.get(key)
        if client is None:
            secret = self.secrets.read(district.secret_name)
            client = OneRosterClient(connection, secret, **transport_options)
            with self._lock:
                self._clients[key] = client
        return client

    def forget_clients(self, district_id: str) -> None:
        with self._lock:
            for key in [k for k in self._clients if k[0] == district_id]:
                del self._clients[key]


_RUNTIME: Runtime | None = None
_RUNTIME_LOCK = threading.Lock()


def runtime() -> Runtime:
    global _RUNTIME
    with _RUNTIME_LOCK:
        if _RUNTIME is None:
            _RUNTIME = Runtime(Settings.from_env())
        return _RUNTIME
