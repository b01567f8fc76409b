"""The admin HTTP API of roster sync (docs/http-api.md): connect the SIS, sync settings, sync
now (full, delta, dry run), run status, and the decision on a held run. Every route needs a
signed-in district admin."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from shared.identity import Caller, require_admin, verify_user
from shared.ids import safe_id
from shared.oneroster.settings import parse_settings
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
    dry_run: bool = False


class Decision(BaseModel):
    model_config = ConfigDict(extra="forbid")
    decision: Literal["approve", "discard"]


class SyncSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    selected_schools: list[str] | None = None
    guards: dict[str, float] | None = None
    accounts: dict[str, Any] | None = None
    schedule: dict[str, Any] | None = None
    export_enabled: bool | None = None


class ConnectRequest(BaseModel):
    model_config = ConfigDict(extra="allow")
    client_secret: SecretStr = Field(min_length=1)


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


def connect(ports: AdminPorts, request: ApiRequest, caller: Caller, district_id: str) -> Response:
    """ "Authorize": test the connection (token, one small read) before anything is saved; then
    keep the secret in Secret Manager and the settings, without the secret, in Firestore."""
    body = ConnectRequest.model_validate(request.body or {})
    fields = dict(body.model_extra or {})
    fields["district_id"] = district_id
    fields["local_dev"] = bool(fields.get("local_dev")) and ports.settings.local_dev
    settings = parse_settings(fields)
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


def update_settings(
    ports: AdminPorts, request: ApiRequest, caller: Caller, district_id: str
) -> Response:
    changes = SyncSettings.model_validate(request.body or {}).model_dump(exclude_none=True)
    path = layout.district(district_id)
    merged = {**(ports.sync.store.get(path) or {}), **changes}
    DistrictConfig.from_doc(district_id, merged)  # refuses bad values by field name
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
