"""The admin HTTP API of roster sync (docs/http-api.md): connect the SIS, sync settings, sync
now (full, delta, dry run), run status, and the decision on a held run. Every route needs a
signed-in district admin."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, StrictBool, StringConstraints

from shared.identity import Caller, require_admin, verify_user
from shared.ids import safe_id
from shared.oneroster.settings import settings_from_preset
from shared.store import layout
from shared.sync.district import DistrictConfig
from shared.sync.holds import decide_held
from shared.sync.ports import AdminPorts
from shared.sync.runs import create_run
from shared.sync.status import run_status
from shared.web.edge import ApiRequest, Response, Routes


class RunRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["full", "delta"] = "full"
    dry_run: StrictBool = False


class Decision(BaseModel):
    model_config = ConfigDict(extra="forbid")
    decision: Literal["approve", "discard"]


# Settings arrive from outside: every number finite and in range, every flag a JSON boolean.
SchoolId = Annotated[str, StringConstraints(min_length=1, max_length=400)]
Hour = Annotated[int, Field(strict=True, ge=0, le=24)]


class GuardSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    max_fraction: float = Field(0.10, gt=0, le=1, strict=True, allow_inf_nan=False)
    max_count: int = Field(25, ge=0, le=1_000_000, strict=True)


class AccountSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    match_key: Literal["email", "username", "identifier"] = "email"
    create_accounts: StrictBool = False


class ScheduleSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    timezone: str = Field("America/Chicago", min_length=1, max_length=64)
    window_start_hour: Hour = 1
    window_end_hour: Hour = 5
    full_weekday: int = Field(6, ge=0, le=6, strict=True)
    delta_daily: StrictBool = True
    enabled: StrictBool = True


class SyncSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    selected_schools: list[SchoolId] | None = Field(None, max_length=10_000)
    guards: GuardSettings | None = None
    accounts: AccountSettings | None = None
    schedule: ScheduleSettings | None = None
    export_enabled: StrictBool | None = None


class ConnectRequest(BaseModel):
    model_config = ConfigDict(extra="allow")
    client_secret: SecretStr = Field(min_length=1, max_length=4096)


def start_run(ports: AdminPorts, request: ApiRequest, caller: Caller, district_id: str) -> Response:
    body = RunRequest.model_validate(request.body or {})
    run_id = create_run(
        ports.sync, district_id, kind=body.kind, dry_run=body.dry_run, requested_by=caller.email
    )
    return 202, {"run_id": run_id, "status": f"/districts/{district_id}/runs/{run_id}"}


def show_run(
    ports: AdminPorts, request: ApiRequest, caller: Caller, district_id: str, run_id: str
) -> Response:
    return 200, run_status(ports.sync.store, district_id, run_id)


def decide(
    ports: AdminPorts, request: ApiRequest, caller: Caller, district_id: str, run_id: str
) -> Response:
    body = Decision.model_validate(request.body or {})
    return 200, decide_held(ports.sync, district_id, run_id, body.decision, caller.email)


def _connection_fields(ports: AdminPorts, body: ConnectRequest, district_id: str) -> dict[str, Any]:
    """The settings as sent, without nulls (a null is a field not sent: the preset fills it)."""
    fields = {k: v for k, v in (body.model_extra or {}).items() if v is not None}
    fields["district_id"] = district_id
    fields["local_dev"] = fields.get("local_dev") is True and ports.settings.local_dev
    return fields


def connect(ports: AdminPorts, request: ApiRequest, caller: Caller, district_id: str) -> Response:
    """ "Authorize": test the connection (token, one small read) before anything is saved; then
    keep the secret in Secret Manager and the settings, without the secret, in Firestore. The
    vendor's preset fills what the admin did not send (version, auth mode, page size, …)."""
    body = ConnectRequest.model_validate(request.body or {})
    fields = _connection_fields(ports, body, district_id)
    settings = settings_from_preset(fields.pop("vendor", "generic"), **fields)
    check = ports.sync.sis.check_connection(settings, body.client_secret)
    if not check.ok:
        return 400, {"ok": False, "problems": list(check.problems)}
    secret_name = ports.secrets.store(f"rostersync-{safe_id(district_id)}-sis", body.client_secret)
    connection = {
        "connection": settings.model_dump(exclude={"district_id"}),
        "secret_name": secret_name,
        "connected": True,
        "connected_at": ports.sync.clock(),
    }
    ports.sync.store.set(layout.district(district_id), connection, merge=True)
    ports.sync.sis.forget(district_id)
    return 200, {"ok": True, "schools_seen": check.schools_seen}


def _merged(stored: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """What the district document will be after a merge write (maps merge, values replace)."""
    out = dict(stored)
    for key, value in changes.items():
        old = out.get(key)
        if isinstance(value, dict) and isinstance(old, dict):
            value = _merged(old, value)
        out[key] = value
    return out


def update_settings(
    ports: AdminPorts, request: ApiRequest, caller: Caller, district_id: str
) -> Response:
    changes = SyncSettings.model_validate(request.body or {}).model_dump(exclude_unset=True)
    path = layout.district(district_id)
    DistrictConfig.from_doc(district_id, _merged(ports.sync.store.get(path) or {}, changes))
    ports.sync.store.set(path, changes, merge=True)
    return 200, {"ok": True, "updated": sorted(changes)}


ROUTES = Routes(
    {
        ("POST", "/districts/<district_id>/runs"): start_run,
        ("GET", "/districts/<district_id>/runs/<run_id>"): show_run,
        ("POST", "/districts/<district_id>/runs/<run_id>/decision"): decide,
        ("PUT", "/districts/<district_id>/connection"): connect,
        ("PATCH", "/districts/<district_id>/settings"): update_settings,
    }
)


def handle_admin(ports: AdminPorts, request: ApiRequest) -> Response:
    """Signs the caller in, routes, and lets only the district's admins through."""
    caller = verify_user(request.headers, ports.settings, ports.tokens)
    endpoint, args = ROUTES.match(request)
    require_admin(ports.sync.store, args["district_id"], caller)
    return endpoint(ports, request, caller, **args)
