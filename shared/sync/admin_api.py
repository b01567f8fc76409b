"""The admin HTTP API of roster sync (docs/http-api.md): connect and disconnect the SIS,
settings, the SIS's schools, sync now (full, delta, dry run), the runs list, run detail and
per-school plan and held changes, cancel, the decision on a held run, data warnings, and the
audit trail. Every route needs a signed-in district admin; every change is audited."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shared.audit import audit_page, record_action
from shared.csvsource import uploads
from shared.identity import Caller, require_admin, verify_user
from shared.store import layout
from shared.sync import admin_reads as reads
from shared.sync.admin_models import (
    Decision,
    HoldsQuery,
    PageQuery,
    RunRequest,
    RunsQuery,
    SyncSettings,
    WarningsQuery,
)
from shared.sync.connection import (
    ConnectRequest,
    connect_csv,
    connect_district,
    disconnect_district,
)
from shared.sync.district import DistrictConfig
from shared.sync.holds import decide_held
from shared.sync.ports import AdminPorts
from shared.sync.runs import cancel_run, create_run, load_run
from shared.sync.status import run_status
from shared.web.edge import ApiRequest, Response, Routes


def _audit(
    ports: AdminPorts, district_id: str, caller: Caller, action: str, target: str, **details: Any
) -> None:
    record_action(
        ports.sync.store,
        district_id,
        actor=caller.email,
        action=action,
        target=target,
        at=ports.sync.clock(),
        details=details,
    )


def start_run(ports: AdminPorts, request: ApiRequest, caller: Caller, district_id: str) -> Response:
    body = RunRequest.model_validate(request.body or {})
    uploads.refuse_rest_run(ports, district_id)
    run_id = create_run(
        ports.sync, district_id, kind=body.kind, dry_run=body.dry_run, requested_by=caller.email
    )
    _audit(ports, district_id, caller, "run.start", f"runs/{run_id}", **body.model_dump())
    return 202, {"run_id": run_id, "status": f"/districts/{district_id}/runs/{run_id}"}


def list_runs(ports: AdminPorts, request: ApiRequest, caller: Caller, district_id: str) -> Response:
    query = RunsQuery.model_validate(dict(request.query))
    filters = {"state": query.state, "kind": query.kind}
    return 200, reads.list_runs(ports.sync.store, district_id, filters, query.limit, query.cursor)


def show_run(
    ports: AdminPorts, request: ApiRequest, caller: Caller, district_id: str, run_id: str
) -> Response:
    return 200, run_status(ports.sync.store, district_id, run_id, ports.sync.clock())


def show_school(
    ports: AdminPorts,
    request: ApiRequest,
    caller: Caller,
    district_id: str,
    run_id: str,
    school_id: str,
) -> Response:
    query = HoldsQuery.model_validate(dict(request.query))
    store = ports.sync.store
    return 200, reads.school_detail(
        store, district_id, run_id, school_id, query.limit, query.cursor
    )


def decide(
    ports: AdminPorts, request: ApiRequest, caller: Caller, district_id: str, run_id: str
) -> Response:
    body = Decision.model_validate(request.body or {})
    answer = decide_held(ports.sync, district_id, run_id, body.decision, caller.email)
    _audit(ports, district_id, caller, "run.decision", f"runs/{run_id}", **answer)
    return 200, answer


def cancel(
    ports: AdminPorts, request: ApiRequest, caller: Caller, district_id: str, run_id: str
) -> Response:
    cancel_run(ports.sync.store, district_id, run_id, caller.email, ports.sync.clock())
    _audit(ports, district_id, caller, "run.cancel", f"runs/{run_id}")
    return 200, {"run_id": run_id, "state": "cancelled"}


def _warnings_answer(
    ports: AdminPorts, request: ApiRequest, district_id: str, run_id: str | None
) -> dict[str, Any]:
    query = WarningsQuery.model_validate(dict(request.query))
    filters = {"code": query.code, "school_id": query.school_id}
    store = ports.sync.store
    return reads.warnings_page(store, district_id, run_id, filters, query.limit, query.cursor)


def run_warnings(
    ports: AdminPorts, request: ApiRequest, caller: Caller, district_id: str, run_id: str
) -> Response:
    load_run(ports.sync.store, district_id, run_id)
    return 200, _warnings_answer(ports, request, district_id, run_id)


def run_warnings_summary(
    ports: AdminPorts, request: ApiRequest, caller: Caller, district_id: str, run_id: str
) -> Response:
    load_run(ports.sync.store, district_id, run_id)
    return 200, reads.warnings_summary(ports.sync.store, district_id, run_id)


def district_warnings(
    ports: AdminPorts, request: ApiRequest, caller: Caller, district_id: str
) -> Response:
    """The district's current warnings (shared/sync/warning_log.py says which)."""
    return 200, _warnings_answer(ports, request, district_id, None)


def district_warnings_summary(
    ports: AdminPorts, request: ApiRequest, caller: Caller, district_id: str
) -> Response:
    return 200, reads.warnings_summary(ports.sync.store, district_id, None)


def connect(ports: AdminPorts, request: ApiRequest, caller: Caller, district_id: str) -> Response:
    """ "Authorize": test the connection (token, one small read) before anything is saved; then
    keep the secret in Secret Manager and the settings, without the secret, in Firestore.
    ``{"source": "csv"}`` instead: the district syncs from CSV packages (connection.py)."""
    if (request.body or {}).get("source") is not None:
        answer = connect_csv(ports, district_id, request.body or {})
        _audit(
            ports, district_id, caller, "connection.connect", "connection", ok=True, source="csv"
        )
        return 200, answer
    body = ConnectRequest.model_validate(request.body or {})
    saved, answer = connect_district(ports, district_id, body)
    _audit(ports, district_id, caller, "connection.connect", "connection", ok=saved)
    return (200 if saved else 400), answer


def disconnect(
    ports: AdminPorts, request: ApiRequest, caller: Caller, district_id: str
) -> Response:
    answer = disconnect_district(ports, district_id, caller.email)
    _audit(ports, district_id, caller, "connection.disconnect", "connection", **answer)
    return 200, answer


def _merged(stored: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """What the district document will be after a merge write (maps merge, values replace)."""
    out = dict(stored)
    for key, value in changes.items():
        old = out.get(key)
        if isinstance(value, dict) and isinstance(old, dict):
            value = _merged(old, value)
        out[key] = value
    return out


def _audited_changes(changes: Mapping[str, Any]) -> dict[str, Any]:
    shown = dict(changes)
    if isinstance(shown.get("selected_schools"), list):
        shown["selected_schools"] = f"{len(shown['selected_schools'])} school(s)"
    return shown


def update_settings(
    ports: AdminPorts, request: ApiRequest, caller: Caller, district_id: str
) -> Response:
    changes = SyncSettings.model_validate(request.body or {}).model_dump(exclude_unset=True)
    path = layout.district(district_id)
    DistrictConfig.from_doc(district_id, _merged(ports.sync.store.get(path) or {}, changes))
    ports.sync.store.set(path, changes, merge=True)
    _audit(ports, district_id, caller, "settings.update", "settings", **_audited_changes(changes))
    return 200, {"ok": True, "updated": sorted(changes)}


def show_settings(
    ports: AdminPorts, request: ApiRequest, caller: Caller, district_id: str
) -> Response:
    return 200, reads.settings_view(ports.sync.store.get(layout.district(district_id)) or {})


def list_schools(
    ports: AdminPorts, request: ApiRequest, caller: Caller, district_id: str
) -> Response:
    return 200, reads.sis_schools(ports.sync.store, district_id)


def list_audit(
    ports: AdminPorts, request: ApiRequest, caller: Caller, district_id: str
) -> Response:
    query = PageQuery.model_validate(dict(request.query))
    return 200, audit_page(ports.sync.store, district_id, query.limit, query.cursor)


RUN = "/districts/<district_id>/runs/<run_id>"
ROUTES = Routes(
    {
        ("POST", "/districts/<district_id>/runs"): start_run,
        ("GET", "/districts/<district_id>/runs"): list_runs,
        ("GET", RUN): show_run,
        ("GET", f"{RUN}/schools/<school_id>"): show_school,
        ("GET", f"{RUN}/warnings"): run_warnings,
        ("GET", f"{RUN}/warnings/summary"): run_warnings_summary,
        ("POST", f"{RUN}/decision"): decide,
        ("POST", f"{RUN}/cancel"): cancel,
        ("GET", "/districts/<district_id>/warnings"): district_warnings,
        ("GET", "/districts/<district_id>/warnings/summary"): district_warnings_summary,
        ("PUT", "/districts/<district_id>/connection"): connect,
        ("DELETE", "/districts/<district_id>/connection"): disconnect,
        ("GET", "/districts/<district_id>/settings"): show_settings,
        ("PATCH", "/districts/<district_id>/settings"): update_settings,
        ("GET", "/districts/<district_id>/schools"): list_schools,
        ("GET", "/districts/<district_id>/audit"): list_audit,
        ("POST", "/districts/<district_id>/packages"): uploads.create_package,
        ("GET", "/districts/<district_id>/packages"): uploads.list_packages,
        ("GET", "/districts/<district_id>/packages/<package_id>"): uploads.show_package,
    }
)


def handle_admin(ports: AdminPorts, request: ApiRequest) -> Response:
    """Signs the caller in, routes, and lets only the district's admins through."""
    caller = verify_user(request.headers, ports.settings, ports.tokens)
    endpoint, args = ROUTES.match(request)
    require_admin(ports.sync.store, args["district_id"], caller)
    return endpoint(ports, request, caller, **args)
