"""The admin HTTP API of roster sync (docs/http-api.md). Framework-free: it takes the method,
path, headers and JSON body and returns (status, body); functions/main.py adapts Flask to it."""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from shared.identity import AuthError, require_admin, verify_task_caller, verify_user
from shared.ids import safe_id
from shared.oneroster.auth import TokenCache
from shared.oneroster.client import OneRosterClient
from shared.oneroster.errors import OneRosterError
from shared.oneroster.settings import parse_settings
from shared.sync import service
from shared.sync.district import DistrictConfig
from shared.sync.schedule import due_sync

if TYPE_CHECKING:
    from shared.runtime import Runtime

log = logging.getLogger(__name__)
Response = tuple[int, dict[str, Any]]


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


def describe_validation(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error.get("loc", ())) or "body"
        message = str(error.get("msg", "is invalid"))
        if error.get("type") == "extra_forbidden":
            message = "is not a known field; remove it"
        parts.append(f"{where}: {message}")
    return "; ".join(parts)


def error_response(status: int, message: str) -> Response:
    return status, {"error": {"message": message}}


def handle_admin(
    rt: Runtime, method: str, path: str, headers: Mapping[str, str], body: Any
) -> Response:
    """Routes /districts/{d}/... requests of signed-in district admins."""
    try:
        caller = verify_user(headers, rt.settings)
        match = re.fullmatch(r"/districts/([^/]+)(/.*)?", path.rstrip("/") or "/")
        if not match:
            return error_response(404, f"no endpoint {method} {path}")
        district_id, rest = match.group(1), match.group(2) or ""
        require_admin(rt.db, district_id, caller)
        if rest == "/runs" and method == "POST":
            request = RunRequest.model_validate(body or {})
            run_id = service.create_run(
                rt,
                district_id,
                kind=request.kind,
                dry_run=request.dry_run,
                requested_by=caller.email,
            )
            return 202, {"run_id": run_id, "status": f"/districts/{district_id}/runs/{run_id}"}
        run_match = re.fullmatch(r"/runs/([^/]+)(/decision)?", rest)
        if run_match and method == "GET" and not run_match.group(2):
            return 200, service.run_status(rt, district_id, run_match.group(1))
        if run_match and method == "POST" and run_match.group(2):
            decision = Decision.model_validate(body or {})
            return 200, service.decide_held(
                rt, district_id, run_match.group(1), decision.decision, caller.email
            )
        if rest == "/connection" and method == "PUT":
            return connect(rt, district_id, body)
        if rest == "/settings" and method == "PATCH":
            return update_settings(rt, district_id, body)
        return error_response(404, f"no endpoint {method} {path}")
    except AuthError as exc:
        return error_response(exc.status, exc.message)
    except ValidationError as exc:
        return error_response(400, describe_validation(exc))
    except OneRosterError as exc:
        return error_response(400, exc.message)
    except service.SyncError as exc:
        return error_response(409 if exc.where == "decision" else 400, exc.message)


def connect(rt: Runtime, district_id: str, body: Any) -> Response:
    """ "Authorize": test the connection (token, one small read) before anything is saved; then
    keep the secret in Secret Manager and the settings, without the secret, in Firestore."""
    request = ConnectRequest.model_validate(body or {})
    fields = {k: v for k, v in (request.model_extra or {}).items()}
    fields["district_id"] = district_id
    fields["local_dev"] = bool(fields.get("local_dev")) and rt.settings.local_dev
    settings = parse_settings(fields)
    # A fresh token cache: a token cached for the old secret must not pass a wrong new one.
    client = OneRosterClient(settings, request.client_secret, token_cache=TokenCache())
    check = client.check_connection()
    if not check.ok:
        return 400, {"ok": False, "problems": list(check.problems)}
    secret_name = rt.secrets.store(f"rostersync-{safe_id(district_id)}-sis", request.client_secret)
    service.district_ref(rt.db, district_id).set(
        {
            "connection": settings.model_dump(exclude={"district_id"}),
            "secret_name": secret_name,
            "connected": True,
            "connected_at": rt.clock(),
        },
        merge=True,
    )
    rt.forget_clients(district_id)
    return 200, {"ok": True, "schools_seen": check.schools_seen}


def update_settings(rt: Runtime, district_id: str, body: Any) -> Response:
    request = SyncSettings.model_validate(body or {})
    changes = request.model_dump(exclude_none=True)
    ref = service.district_ref(rt.db, district_id)
    merged = {**(ref.get().to_dict() or {}), **changes}
    DistrictConfig.from_doc(district_id, merged)  # refuses bad values by field name
    ref.set(changes, merge=True)
    return 200, {"ok": True, "updated": sorted(changes)}


def handle_task_request(rt: Runtime, headers: Mapping[str, str], body: Any) -> Response:
    """Cloud Tasks delivery of one sync step. 2xx ends the task; 503 asks for a retry."""
    try:
        verify_task_caller(headers, rt.settings)
    except AuthError as exc:
        return error_response(exc.status, exc.message)
    if not isinstance(body, dict):
        return error_response(400, "the task body must be a JSON object")
    retry_count = int(headers.get("X-CloudTasks-TaskRetryCount", "0") or 0)
    try:
        return 200, service.handle_task(rt, body, retry_count)
    except OneRosterError as exc:  # transient: let Cloud Tasks retry with its backoff
        return 503, {"error": {"message": exc.message, "retry": True}}
    except (KeyError, ValueError) as exc:
        return error_response(400, f"malformed task: {exc}")


def handle_schedule(rt: Runtime, headers: Mapping[str, str]) -> Response:
    """Cloud Scheduler tick: start the syncs that are due, per district."""
    try:
        verify_task_caller(headers, rt.settings)
    except AuthError as exc:
        return error_response(exc.status, exc.message)
    now = rt.clock()
    started = []
    for snapshot in rt.db.collection("districts").stream():
        doc = snapshot.to_dict() or {}
        if not doc.get("connected"):
            continue
        try:
            district = DistrictConfig.from_doc(snapshot.id, doc)
        except OneRosterError:
            log.warning("sync.schedule_skipped", extra={"labels": {"district": snapshot.id}})
            continue
        last = doc.get("sync_state") or {}
        kind = due_sync(district.schedule, now, last.get("last_full_at"), last.get("last_at"))
        if kind is None:
            continue
        run_id = f"scheduled-{now:%Y%m%d}-{kind}"
        service.create_run(
            rt, snapshot.id, kind=kind, dry_run=False, requested_by="schedule", run_id=run_id
        )
        started.append({"district_id": snapshot.id, "run_id": run_id, "kind": kind})
    return 200, {"started": started}


def internal_error(exc: BaseException) -> Response:
    reference = uuid.uuid4().hex[:12]
    log.exception("http.internal_error", extra={"fields": {"reference": reference}})
    return 500, {"error": {"message": f"internal error; reference {reference}"}}
