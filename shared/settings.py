"""The one place that reads the environment. Everything else receives a Settings value."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

VERSION = "0.1.0"
GOOGLE_CERTS_URL = "https://www.googleapis.com/oauth2/v1/certs"
GOOGLE_ISSUERS = ("accounts.google.com", "https://accounts.google.com")
MIB = 1024 * 1024
DEFAULT_MAX_PACKAGE_BYTES = 512 * MIB
# The package size limit may be set from 1 KiB (tests) to 5 TiB, the largest Cloud Storage object.
PACKAGE_BYTES_RANGE = (1024, 5 * 1024 * 1024 * MIB)


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
    # CSV packages (docs/operations.md "CSV packages: the bucket"): empty bucket names mean
    # <project>-rostersync-packages and <project>-rostersync-staging.
    packages_bucket: str = ""
    staging_bucket: str = ""
    storage_emulator_host: str | None = None  # http://127.0.0.1:PORT locally (with its scheme)
    max_package_bytes: int = DEFAULT_MAX_PACKAGE_BYTES
    # The audience of Eventarc's tokens for csv_landed when it is not one of the URLs above: a
    # trigger mints them for its destination, the function's Cloud Run service URL.
    csv_landed_audience: str | None = None

    def __post_init__(self) -> None:
        if not self.packages_bucket:
            object.__setattr__(self, "packages_bucket", f"{self.project_id}-rostersync-packages")
        if not self.staging_bucket:
            object.__setattr__(self, "staging_bucket", f"{self.project_id}-rostersync-staging")
        low, high = PACKAGE_BYTES_RANGE
        if not low <= self.max_package_bytes <= high:
            raise ValueError(
                f"ROSTERSYNC_MAX_PACKAGE_BYTES must be between {low} and {high} bytes, "
                f"not {self.max_package_bytes}"
            )

    def task_audiences(self) -> frozenset[str]:
        """The audiences a Cloud Tasks, Cloud Scheduler or Eventarc (csv_landed) OIDC token may
        carry: this function's URL (production sets ROSTERSYNC_FUNCTIONS_URL to it) or a
        handler under the base URL."""
        base = (self.functions_url or "").rstrip("/")
        found = {self.functions_url, self.sync_task_url, self.export_task_url}
        found.add(self.csv_landed_audience)
        if base:
            handlers = ("sync_task", "export_task", "sync_schedule", "csv_landed")
            found |= {f"{base}/{name}" for name in handlers}
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
            csv_landed_audience=env.get("ROSTERSYNC_CSV_LANDED_AUDIENCE") or None,
            id_token_certs_url=env.get("ROSTERSYNC_ID_TOKEN_CERTS_URL") or GOOGLE_CERTS_URL,
            id_token_issuers=tuple(
                i.strip()
                for i in env.get("ROSTERSYNC_ID_TOKEN_ISSUERS", "").split(",")
                if i.strip()
            )
            or GOOGLE_ISSUERS,
            packages_bucket=env.get("ROSTERSYNC_PACKAGES_BUCKET", "").strip(),
            staging_bucket=env.get("ROSTERSYNC_STAGING_BUCKET", "").strip(),
            storage_emulator_host=env.get("STORAGE_EMULATOR_HOST") or None,
            max_package_bytes=_byte_count(env.get("ROSTERSYNC_MAX_PACKAGE_BYTES", "")),
        )


def _byte_count(raw: str) -> int:
    """ROSTERSYNC_MAX_PACKAGE_BYTES: a whole number of bytes (e.g. 536870912 for 512 MiB);
    unset or empty means the default."""
    text = raw.strip().replace("_", "")
    if not text:
        return DEFAULT_MAX_PACKAGE_BYTES
    if not (text.isascii() and text.isdigit()):
        raise ValueError(
            f"ROSTERSYNC_MAX_PACKAGE_BYTES must be a whole number of bytes such as 536870912 "
            f"(512 MiB), not {raw!r}"
        )
    return int(text)
