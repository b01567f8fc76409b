"""The control API: how tests and the demo change the SIS's data, quirks and faults, and read back
what Rostersync wrote to its gradebook. Loopback only, no auth; never part of OneRoster.

    GET    /_control/health
    GET    /_control/state                      counts, config, fault counters, tokens issued
    POST   /_control/config                     {"profile", "quirks", "strict", "faults",
                                                 "token_lifetime_seconds", "expire_tokens"}
    POST   /_control/faults/script              {"kind", "times", "path_contains", "method"}
    POST   /_control/generate                   DistrictSpec fields: replaces all data
    POST   /_control/load-csv                   {"path"}: replaces all data from a CSV package;
                                                400 with "problems" when it cannot be held
    GET    /_control/records/<kind>             canonical records of a kind
    PUT    /_control/records/<kind>             {"records": [...]}: add or change records
                                                (moves their dateLastModified)
    PATCH  /_control/records/<kind>/<id>        {field: value}: change fields
    DELETE /_control/records/<kind>/<id>?mode=hard|tobedeleted
    GET    /_control/export-csv?version=1.2     the data as a OneRoster CSV package (a zip;
           [&since=ISO time]                    bulk, or a delta of what changed after since)
    GET    /_control/gradebook                  categories, lineItems, results and the write log
    GET    /_control/requests                   the API request log (no credentials in it)
    DELETE /_control/requests                   clears the request and write logs
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

from werkzeug.wrappers import Request, Response
from werkzeug.wsgi import wrap_file

from tools.oneroster_sis import csvexport, profiles
from tools.oneroster_sis.csvload import CsvPackageError, read_csv_package
from tools.oneroster_sis.faults import settings_from_mapping
from tools.oneroster_sis.generator import DistrictSpec, generate_district
from tools.oneroster_sis.model import KINDS
from tools.oneroster_sis.responses import json_response
from tools.oneroster_sis.state import SisState

PREFIX = "/_control/"
CONFIG_KEYS = frozenset(
    {"profile", "quirks", "strict", "faults", "token_lifetime_seconds", "expire_tokens"}
)
Answer = tuple[int, Any]  # HTTP status, JSON body (or a Response, sent as it is)
ControlHandler = Callable[[SisState, Request, dict[str, str]], Answer]


class ControlError(ValueError):
    pass


def handle(sis: SisState, request: Request) -> Response:
    parts = [p for p in request.path.split("/")[2:] if p]
    try:
        status, body = dispatch(sis, request, parts)
    except (ControlError, ValueError, TypeError, KeyError) as exc:
        return json_response({"error": str(exc)}, 400)
    if isinstance(body, Response):
        return body
    return json_response(body, status)


def dispatch(sis: SisState, request: Request, parts: list[str]) -> Answer:
    for method, pattern, handler in ROUTES:
        args = _match(pattern, parts)
        if args is not None and method == request.method:
            return handler(sis, request, args)
    if parts[:1] == ["records"]:
        _kind(parts[1] if len(parts) > 1 else "")
        raise ControlError(f"unsupported {request.method} on records/{'/'.join(parts[1:])}")
    return 404, {"error": f"no control endpoint {request.method} {request.path}"}


def _match(pattern: str, parts: list[str]) -> dict[str, str] | None:
    """The ``<name>`` segments of ``pattern`` if ``parts`` fit it, else None."""
    expected = pattern.split("/")
    if len(expected) != len(parts):
        return None
    args = {}
    for want, got in zip(expected, parts, strict=True):
        if want.startswith("<"):
            args[want[1:-1]] = got
        elif want != got:
            return None
    return args


# ---- handlers --------------------------------------------------------------------------------


def _health(sis: SisState, request: Request, args: dict[str, str]) -> Answer:
    return 200, {"status": "ok"}


def _state(sis: SisState, request: Request, args: dict[str, str]) -> Answer:
    return 200, summary(sis)


def _config(sis: SisState, request: Request, args: dict[str, str]) -> Answer:
    configure(sis, _json(request))
    return 200, summary(sis)


def _script_fault(sis: SisState, request: Request, args: dict[str, str]) -> Answer:
    body = _json(request)
    sis.faults.script(
        body["kind"],
        times=int(body.get("times", 1)),
        path_contains=body.get("path_contains", ""),
        method=body.get("method"),
    )
    return 200, {"scripted": body}


def _generate(sis: SisState, request: Request, args: dict[str, str]) -> Answer:
    body = _json(request)
    if isinstance(body.get("today"), str):
        body["today"] = dt.date.fromisoformat(body["today"])
    sis.store.replace_all(generate_district(DistrictSpec(**body)))
    return 200, summary(sis)


def _load_csv(sis: SisState, request: Request, args: dict[str, str]) -> Answer:
    """400 with the refused rows when the package cannot be held (nothing changes); else the
    data is replaced and the rows loaded as given or skipped are listed (docs/local-sis.md)."""
    path = _json(request).get("path")
    if not isinstance(path, str) or not path:
        raise ControlError("path: the CSV package's directory or .zip file, as a string")
    try:
        package = read_csv_package(Path(path))
    except CsvPackageError as error:
        problems = getattr(error, "problems", [])
        return 400, {"error": str(error), "problems": [p.as_dict() for p in problems]}
    sis.store.replace_all(package.records)
    return 200, {**summary(sis), "problems": [p.as_dict() for p in package.problems]}


def _list_records(sis: SisState, request: Request, args: dict[str, str]) -> Answer:
    kind = _kind(args["kind"])
    return 200, {kind: list(sis.store.all(kind))}


def _put_records(sis: SisState, request: Request, args: dict[str, str]) -> Answer:
    kind = _kind(args["kind"])
    records = _json(request).get("records")
    if not isinstance(records, list) or not all(
        isinstance(r, dict) and r.get("sourcedId") for r in records
    ):
        raise ControlError('body must be {"records": [{"sourcedId": ...}, ...]}')
    return 200, {kind: [sis.store.upsert(kind, r) for r in records]}


def _patch_record(sis: SisState, request: Request, args: dict[str, str]) -> Answer:
    kind = _kind(args["kind"])
    return 200, sis.store.patch(kind, args["id"], _json(request))


def _delete_record(sis: SisState, request: Request, args: dict[str, str]) -> Answer:
    kind, sourced_id = _kind(args["kind"]), args["id"]
    mode = request.args.get("mode", "hard")
    if mode == "tobedeleted":
        return 200, sis.store.mark_tobedeleted(kind, sourced_id)
    if mode != "hard":
        raise ControlError("mode must be hard or tobedeleted")
    if sis.store.delete(kind, sourced_id):
        return 200, {"deleted": sourced_id}
    return 404, {"error": f"no {kind} {sourced_id!r}"}


def _export_csv(sis: SisState, request: Request, args: dict[str, str]) -> Answer:
    """The store's records as a OneRoster CSV package, streamed from a temporary file."""
    version = request.args.get("version", "1.2")
    since = csvexport.parse_since(request.args.get("since"))
    records = {kind: sis.store.all(kind) for kind in KINDS}
    spooled = csvexport.spool_package(records, version, since)
    size = spooled.seek(0, 2)
    spooled.seek(0)
    name = f"oneroster-{version}-{'delta' if since else 'bulk'}.zip"
    response = Response(
        wrap_file(request.environ, spooled),
        mimetype="application/zip",
        direct_passthrough=True,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
    response.content_length = size
    return 200, response


def _gradebook(sis: SisState, request: Request, args: dict[str, str]) -> Answer:
    return 200, gradebook(sis)


def _requests(sis: SisState, request: Request, args: dict[str, str]) -> Answer:
    return 200, {"requests": list(sis.request_log)}


def _clear_requests(sis: SisState, request: Request, args: dict[str, str]) -> Answer:
    sis.request_log.clear()
    sis.writes.clear()
    return 200, {"cleared": True}


# (method, path under /_control/, handler)
ROUTES: list[tuple[str, str, ControlHandler]] = [
    ("GET", "health", _health),
    ("GET", "state", _state),
    ("POST", "config", _config),
    ("POST", "faults/script", _script_fault),
    ("POST", "generate", _generate),
    ("POST", "load-csv", _load_csv),
    ("GET", "records/<kind>", _list_records),
    ("PUT", "records/<kind>", _put_records),
    ("PATCH", "records/<kind>/<id>", _patch_record),
    ("DELETE", "records/<kind>/<id>", _delete_record),
    ("GET", "export-csv", _export_csv),
    ("GET", "gradebook", _gradebook),
    ("GET", "requests", _requests),
    ("DELETE", "requests", _clear_requests),
]


# ---- what the handlers share -----------------------------------------------------------------


def configure(sis: SisState, body: dict[str, Any]) -> None:
    unknown = set(body) - CONFIG_KEYS
    if unknown:
        raise ControlError(f"unknown config keys {sorted(unknown)}; known: {sorted(CONFIG_KEYS)}")
    config = sis.config
    if "profile" in body:
        config = dataclasses.replace(
            config, profile=body["profile"], quirks=profiles.profile(body["profile"])
        )
    if "quirks" in body:
        config = dataclasses.replace(
            config, quirks=profiles.with_overrides(config.quirks, body["quirks"])
        )
    if "strict" in body:
        config = dataclasses.replace(config, strict=bool(body["strict"]))
    if "faults" in body:
        sis.faults.configure(settings_from_mapping(body["faults"]))
    if "token_lifetime_seconds" in body:
        sis.issuer.lifetime_seconds = int(body["token_lifetime_seconds"])
    if body.get("expire_tokens"):
        sis.issuer.expire_all()
    sis.apply_config(config)


def summary(sis: SisState) -> dict[str, Any]:
    return {
        "counts": sis.store.counts(),
        "profile": sis.config.profile,
        "quirks": profiles.describe(sis.config.quirks),
        "strict": sis.config.strict,
        "prefix": sis.config.prefix,
        "token_path": sis.config.token_route(),
        "token_lifetime_seconds": sis.issuer.lifetime_seconds,
        "tokens_issued": sis.issuer.tokens_issued,
        "faults": dataclasses.asdict(sis.faults.settings),
        "fault_counts": sis.faults.counts(),
        "requests_logged": len(sis.request_log),
    }


def gradebook(sis: SisState) -> dict[str, Any]:
    return {
        "categories": list(sis.store.all("categories")),
        "lineItems": list(sis.store.all("lineItems")),
        "results": list(sis.store.all("results")),
        "writes": list(sis.writes),
    }


def _kind(kind: str) -> str:
    if kind not in KINDS:
        raise ControlError(f"records need a kind, one of {list(KINDS)}")
    return kind


def _json(request: Request) -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ControlError("the body must be a JSON object")
    return body
