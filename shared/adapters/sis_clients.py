"""OneRoster clients per district: one client (and token cache) per district and connection per
function instance, built with the secret read from Secret Manager."""

from __future__ import annotations

import threading
from typing import Any

from pydantic import SecretStr

from shared.oneroster.auth import TokenCache
from shared.oneroster.client import ConnectionCheck, OneRosterClient
from shared.oneroster.settings import ConnectionSettings
from shared.sync.district import DistrictConfig
from shared.sync.ports import SecretStore


class OneRosterClients:
    def __init__(self, secrets: SecretStore, *, local_dev: bool, **transport_options: Any) -> None:
        self._secrets = secrets
        self._local_dev = local_dev
        self._options = transport_options
        self._clients: dict[tuple[str, str], OneRosterClient] = {}
        self._lock = threading.Lock()

    def client_for(self, district: DistrictConfig) -> OneRosterClient:
        """Local development mode is honoured only when this instance runs in local development."""
        connection = district.connection.model_copy(
            update={"local_dev": district.connection.local_dev and self._local_dev}
        )
        key = (district.district_id, connection.model_dump_json())
        with self._lock:
            client = self._clients.get(key)
        if client is None:
            secret = self._secrets.read(district.secret_name)
            client = OneRosterClient(connection, secret, **self._options)
            with self._lock:
                client = self._clients.setdefault(key, client)
        return client

    def forget(self, district_id: str) -> None:
        with self._lock:
            for key in [k for k in self._clients if k[0] == district_id]:
                del self._clients[key]

    def check_connection(self, settings: ConnectionSettings, secret: SecretStr) -> ConnectionCheck:
        # A fresh token cache: a token cached for the old secret must not pass a wrong new one.
        return OneRosterClient(settings, secret, token_cache=TokenCache()).check_connection()
