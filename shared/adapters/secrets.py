"""Secret Manager: the only place district SIS secrets are kept.

In production the client uses default credentials. Locally ``endpoint`` points the real client
library (REST transport) at the project's Secret Manager fake (tools/secret_manager_fake.py), which
speaks the same wire protocol.
"""

from __future__ import annotations

import contextlib
import threading
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr

if TYPE_CHECKING:
    from google.cloud.secretmanager_v1 import SecretManagerServiceClient


class SecretNotFound(LookupError):
    pass


class SecretManagerSecrets:
    def __init__(self, project_id: str, endpoint: str | None = None) -> None:
        self._project = project_id
        self._endpoint = endpoint
        self._client: SecretManagerServiceClient | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"SecretManagerSecrets(project={self._project!r})"

    def _get_client(self) -> SecretManagerServiceClient:
        with self._lock:
            if self._client is None:
                from google.cloud import secretmanager_v1

                if self._endpoint:
                    from google.api_core.client_options import ClientOptions
                    from google.auth.credentials import AnonymousCredentials

                    self._client = secretmanager_v1.SecretManagerServiceClient(
                        transport="rest",
                        credentials=AnonymousCredentials(),  # type: ignore[no-untyped-call]
                        client_options=ClientOptions(api_endpoint=self._endpoint),
                    )
                else:
                    self._client = secretmanager_v1.SecretManagerServiceClient()
            return self._client

    def secret_name(self, secret_id: str) -> str:
        return f"projects/{self._project}/secrets/{secret_id}"

    def read(self, secret_name: str) -> SecretStr:
        from google.api_core.exceptions import NotFound

        try:
            response: Any = self._get_client().access_secret_version(
                name=f"{secret_name}/versions/latest"
            )
        except NotFound:
            raise SecretNotFound(f"secret {secret_name} has no version") from None
        return SecretStr(bytes(response.payload.data).decode("utf-8"))

    def store(self, secret_id: str, value: SecretStr) -> str:
        """Creates the secret if needed and adds a version; returns the secret's name."""
        from google.api_core.exceptions import Conflict  # AlreadyExists over gRPC, 409 over REST
        from google.cloud import secretmanager_v1

        client = self._get_client()
        name = self.secret_name(secret_id)
        with contextlib.suppress(Conflict):
            client.create_secret(
                parent=f"projects/{self._project}",
                secret_id=secret_id,
                secret=secretmanager_v1.Secret(
                    replication=secretmanager_v1.Replication(
                        automatic=secretmanager_v1.Replication.Automatic()
                    )
                ),
            )
        client.add_secret_version(
            parent=name,
            payload=secretmanager_v1.SecretPayload(data=value.get_secret_value().encode("utf-8")),
        )
        return name
