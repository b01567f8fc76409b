"""Connecting and disconnecting a district's SIS. Connect ("Authorize") tests the connection
before anything is saved; disconnect stops scheduled and manual syncs and exports at once
(``connected: false``: create_run and export_enabled_district refuse, the scheduler skips) and
cancels running runs, keeping everything imported and exported. Reconnecting is connecting
again."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from shared.csvsource.uploads import inbox
from shared.errors import Conflict, NotFound
from shared.ids import safe_id
from shared.oneroster.settings import settings_from_preset
from shared.store import layout
from shared.sync.admin_models import CsvConnection
from shared.sync.ports import AdminPorts
from shared.sync.runs import cancel_run, running_runs


class ConnectRequest(BaseModel):
    model_config = ConfigDict(extra="allow")
    client_secret: SecretStr = Field(min_length=1, max_length=4096)


def _connection_fields(ports: AdminPorts, body: ConnectRequest, district_id: str) -> dict[str, Any]:
    """The settings as sent, without nulls (a null is a field not sent: the preset fills it)."""
    fields = {k: v for k, v in (body.model_extra or {}).items() if v is not None}
    fields["district_id"] = district_id
    fields["local_dev"] = fields.get("local_dev") is True and ports.settings.local_dev
    return fields


def connect_district(
    ports: AdminPorts, district_id: str, body: ConnectRequest
) -> tuple[bool, dict[str, Any]]:
    """(saved, answer). The vendor's preset fills what the admin did not send."""
    fields = _connection_fields(ports, body, district_id)
    vendor = fields.pop("vendor", "generic")
    settings = settings_from_preset(vendor, **fields)
    check = ports.sync.sis.check_connection(settings, body.client_secret)
    if not check.ok:
        return False, {"ok": False, "problems": list(check.problems)}
    secret_name = ports.secrets.store(f"rostersync-{safe_id(district_id)}-sis", body.client_secret)
    connection = settings.model_dump(exclude={"district_id"})
    _replace_connection(ports, district_id, connection, {"secret_name": secret_name})
    answer = {"ok": True, "schools_seen": check.schools_seen, "vendor": vendor}
    return True, {**answer, "warnings": list(check.warnings)}


def _replace_connection(
    ports: AdminPorts, district_id: str, connection: dict[str, Any], also: dict[str, Any]
) -> None:
    """Writes the district's connection whole (a REST connection after a CSV one keeps nothing
    of it, and the other way round); the rest of the district document is kept."""
    path, store = layout.district(district_id), ports.sync.store
    fields = {"connection": connection, "connected": True, "connected_at": ports.sync.clock()}
    if store.get(path) is None:
        store.set(path, {**fields, **also}, merge=True)
    else:
        store.update(path, {**fields, **also})  # an update replaces the map named
    ports.sync.sis.forget(district_id)


def connect_csv(ports: AdminPorts, district_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """The district syncs from CSV packages: no URL and no secret (a secret stored before is
    kept, as disconnect keeps it, until a REST connect replaces it)."""
    CsvConnection.model_validate(body)
    _replace_connection(ports, district_id, {"source": "csv"}, {})
    return {
        "ok": True,
        "source": "csv",
        "inbox": inbox(ports.sync.packages_bucket, district_id),
        "upload": f"POST /districts/{district_id}/packages",
    }


def disconnect_district(ports: AdminPorts, district_id: str, by: str) -> dict[str, Any]:
    """Marks the district disconnected, then cancels its queued and running runs."""
    store, now = ports.sync.store, ports.sync.clock()
    path = layout.district(district_id)
    if store.get(path) is None:
        raise NotFound(f"district {district_id!r} is not registered")
    store.set(
        path,
        {"connected": False, "disconnected_at": now, "disconnected_by": by},
        merge=True,
    )
    cancelled = []
    for run_id in running_runs(store, district_id):
        try:
            cancel_run(store, district_id, run_id, by, now)
            cancelled.append(run_id)
        except Conflict:  # it ended meanwhile
            continue
    ports.sync.sis.forget(district_id)
    return {"connected": False, "cancelled_runs": cancelled}
