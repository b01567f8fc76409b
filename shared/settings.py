"""The one place that reads the environment. Everything else receives a Settings value."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

VERSION = "0.1.0"
GOOGLE_CERTS_URL = "https://www.googleapis.com/oauth2/v1/certs"
GOOGLE_ISSUERS = ("accounts.google.com", "https://accounts.google.com")


@dataclass(frozen=True)
class Settings:
    project_id: str
    tasks_location: str
    firestore_emulator_host: str | None
    tasks_emulator_host: str | None
    local_dev: bool
    functions_url: str | None
    secret_manager_endpoint: str | None = None
    tasks_service_account: str | None = None  # OIDC identity Cloud Tasks calls the handlers with
    id_token_audience: str | None = None  # audience of admin/teacher Google ID tokens
    sync_task_url: str | None = None  # default: <functions_url>/sync_task
    export_task_url: str | None = None  # default: <functions_url>/export_task
    sync_queue: str = "roster-sync"
    export_queue: str = "mark-export"
    # Where ID-token signing certificates are published and who may issue tokens: Google in
    # production; the local issuer (tools/local_issuer.py) on a developer machine.
    id_token_certs_url: str = GOOGLE_CERTS_URL
    id_token_issuers: tuple[str, ...] = GOOGLE_ISSUERS

    def task_audiences(self) -> frozenset[str]:
        """The audiences a Cloud Tasks or Cloud Scheduler OIDC token may carry: this function's
        URL (production sets ROSTERSYNC_FUNCTIONS_URL to it) or a handler under the base URL."""
        base = (self.functions_url or "").rstrip("/")
        found = {self.functions_url, self.sync_task_url, self.export_task_url}
        if base:
            found |= {f"{base}/{name}" for name in ("sync_task", "export_task", "sync_schedule")}
        return frozenset(a for a in found if a)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        return cls(
            project_id=env.get("GOOGLE_CLOUD_PROJECT", ""),
            tasks_location=env.get("ROSTERSYNC_TASKS_LOCATION", "us-central1"),
            firestore_emulator_host=env.get("FIRESTORE_EMULATOR_HOST") or None,
            tasks_emulator_host=env.get("CLOUD_TASKS_EMULATOR_HOST") or None,
            local_dev=env.get("ROSTERSYNC_LOCAL_DEV", "") in {"1", "true", "yes"},
            functions_url=env.get("ROSTERSYNC_FUNCTIONS_URL") or None,
            secret_manager_endpoint=env.get("ROSTERSYNC_SECRET_MANAGER_ENDPOINT") or None,
            tasks_service_account=env.get("ROSTERSYNC_TASKS_SERVICE_ACCOUNT") or None,
            id_token_audience=env.get("ROSTERSYNC_ID_TOKEN_AUDIENCE") or None,
            sync_task_url=env.get("ROSTERSYNC_SYNC_TASK_URL") or None,
            export_task_url=env.get("ROSTERSYNC_EXPORT_TASK_URL") or None,
            id_token_certs_url=env.get("ROSTERSYNC_ID_TOKEN_CERTS_URL") or GOOGLE_CERTS_URL,
            id_token_issuers=tuple(
                i.strip()
                for i in env.get("ROSTERSYNC_ID_TOKEN_ISSUERS", "").split(",")
                if i.strip()
            )
            or GOOGLE_ISSUERS,
        )
