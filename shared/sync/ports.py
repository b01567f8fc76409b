"""What the sync services need from the world, as small ports. runtime.py builds the real ones
(Firestore, Cloud Tasks, the OneRoster client, Secret Manager); tests pass in-memory ones."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from pydantic import SecretStr

from shared.csvsource.ports import PackageStorage
from shared.csvsource.reader import staged_reader
from shared.identity import TokenVerifier
from shared.oneroster.client import ConnectionCheck
from shared.oneroster.paging import Page, PageRequest
from shared.oneroster.records import Parsed
from shared.oneroster.settings import ConnectionSettings
from shared.settings import DEFAULT_MAX_PACKAGE_BYTES, Settings
from shared.store.ports import DocumentStore
from shared.sync.district import DistrictConfig
from shared.tasks import TaskQueue


class SisReader(Protocol):
    """The part of the OneRoster client the sync reads with."""

    def fetch_all(self, resource: str) -> Parsed[Any]: ...

    def fetch_page(self, request: PageRequest) -> Page: ...

    def parse_page(self, page: Page) -> Parsed[Any]: ...

    def school_request(self, school_id: str, what: str, **query: Any) -> PageRequest: ...


class SisClients(Protocol):
    """One OneRoster client per district and connection, built with the district's secret."""

    def client_for(self, district: DistrictConfig) -> Any: ...

    def forget(self, district_id: str) -> None: ...

    def check_connection(self, settings: ConnectionSettings, secret: SecretStr) -> ConnectionCheck:
        """ "Authorize": a token request and one small read with a fresh client and token."""
        ...


class SecretStore(Protocol):
    def store(self, secret_id: str, value: SecretStr) -> str:
        """Keeps a new version of the secret; returns its name for ``read``."""
        ...

    def read(self, secret_name: str) -> SecretStr: ...


Clock = Callable[[], dt.datetime]


@dataclass(frozen=True)
class SyncPorts:
    store: DocumentStore
    queue: TaskQueue
    sis: SisClients
    clock: Clock
    queue_name: str = "roster-sync"
    # The CSV source (docs/csv-packages.md): where packages land and where a run's pages are
    # staged. None where no Cloud Storage is wired (REST-only tests).
    packages: PackageStorage | None = None
    packages_bucket: str = ""
    staging_bucket: str = ""
    max_package_bytes: int = DEFAULT_MAX_PACKAGE_BYTES

    def reader(self, district: DistrictConfig, run: Mapping[str, Any] | None = None) -> SisReader:
        """The run's source: the staged pages of a CSV run, else the district's OneRoster
        client."""
        if run is not None and run.get("source") == "csv":
            return staged_reader(self.packages, self.staging_bucket, run)
        reader: SisReader = self.sis.client_for(district)
        return reader


@dataclass(frozen=True)
class AdminPorts:
    """What the admin API and the schedule need beyond the sync itself."""

    sync: SyncPorts
    secrets: SecretStore
    tokens: TokenVerifier
    settings: Settings
