"""The composition root: builds the adapters once per function instance, on first use, and hands
each entry point the ports it needs. Nothing else constructs a client."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from functools import cached_property
from typing import TypeVar

from shared.adapters.sis_clients import OneRosterClients
from shared.csvsource.ports import PackageStorage
from shared.export.ports import ExportPorts
from shared.identity import TokenVerifier
from shared.settings import Settings
from shared.store.ports import DocumentStore
from shared.sync.ports import AdminPorts, SecretStore, SyncPorts
from shared.tasks import TaskQueue

T = TypeVar("T")


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _task_url(explicit: str | None, functions_url: str | None, name: str) -> str:
    if explicit:
        return explicit
    if not functions_url:
        raise RuntimeError(f"set ROSTERSYNC_{name.upper()}_URL or ROSTERSYNC_FUNCTIONS_URL")
    return f"{functions_url.rstrip('/')}/{name}"


class Runtime:
    """Lazily built adapters (heavy google imports stay out of cold start until first use)."""

    def __init__(self, settings: Settings, clock: Callable[[], dt.datetime] = utc_now) -> None:
        self.settings = settings
        self.clock = clock
        self._lock = threading.RLock()

    def _once(self, build: Callable[[], T]) -> T:
        with self._lock:
            return build()

    @cached_property
    def store(self) -> DocumentStore:
        from shared.adapters.firestore_store import FirestoreStore, make_firestore_client

        return self._once(lambda: FirestoreStore(make_firestore_client(self.settings.project_id)))

    @cached_property
    def queue(self) -> TaskQueue:
        from shared.adapters.cloud_tasks import CloudTasksQueue, make_tasks_client

        s = self.settings
        return self._once(
            lambda: CloudTasksQueue(
                make_tasks_client(s.tasks_emulator_host),
                project_id=s.project_id,
                location=s.tasks_location,
                target_url=_task_url(s.sync_task_url, s.functions_url, "sync_task"),
                service_account_email=s.tasks_service_account,
            )
        )

    @cached_property
    def secrets(self) -> SecretStore:
        from shared.adapters.secrets import SecretManagerSecrets

        s = self.settings
        return self._once(lambda: SecretManagerSecrets(s.project_id, s.secret_manager_endpoint))

    @cached_property
    def sis(self) -> OneRosterClients:
        return self._once(lambda: OneRosterClients(self.secrets, local_dev=self.settings.local_dev))

    @cached_property
    def tokens(self) -> TokenVerifier:
        from shared.adapters.google_tokens import GoogleTokenVerifier

        s = self.settings
        return self._once(lambda: GoogleTokenVerifier(s.id_token_certs_url, s.id_token_issuers))

    def package_storage(self) -> PackageStorage:
        """Cloud Storage for CSV packages and staged pages (the client is made on first use)."""
        return self._packages

    @cached_property
    def _packages(self) -> PackageStorage:
        from shared.adapters.package_storage import GcsPackageStorage

        s = self.settings
        return self._once(lambda: GcsPackageStorage(s.project_id, s.storage_emulator_host))

    def sync_ports(self) -> SyncPorts:
        s = self.settings
        return SyncPorts(
            self.store,
            self.queue,
            self.sis,
            self.clock,
            s.sync_queue,
            packages=self.package_storage(),
            packages_bucket=s.packages_bucket,
            staging_bucket=s.staging_bucket,
            max_package_bytes=s.max_package_bytes,
        )

    def admin_ports(self) -> AdminPorts:
        return AdminPorts(self.sync_ports(), self.secrets, self.tokens, self.settings)

    def export_ports(self) -> ExportPorts:
        s = self.settings
        task_url = _task_url(s.export_task_url, s.functions_url, "export_task")
        return ExportPorts(
            self.store, self.queue, self.sis, self.clock, self.tokens, s, task_url, s.export_queue
        )


_RUNTIME: Runtime | None = None
_RUNTIME_LOCK = threading.Lock()


def runtime() -> Runtime:
    global _RUNTIME
    with _RUNTIME_LOCK:
        if _RUNTIME is None:
            _RUNTIME = Runtime(Settings.from_env())
        return _RUNTIME
