"""The control API: how tests and the demo change the SIS's data, quirks and faults, and read back
what Rostersync wrote to its gradebook. Loopback only, no auth; never part of OneRoster.

    GET    /_control/health
    GET    /_control/state                      counts, config, fault counters, tokens issued
    POST   /_control/config                     {"profile", "quirks", "strict", "faults",
                                                 "token_lifetime_seconds", "expire_tokens"}
    POST   /_control/faults/script              {"kind", "times", "path_contains", "method"}
    POST   /_control/generate                   DistrictSpec fields: replaces all data
    POST   /_control/load-csv                   {"path"}: replaces all data from a CSV package
    GET    /_control/records/<kind>             canonical records of a kind
    PUT    /_control/records/<kind>             {"records": [...]}: add or change records
                                                (moves their dateLastModified)
    PATCH  /_control/records/<kind>/<id>        {field: value}: change fields
    DELETE /_control/records/<kind>/<id>?mode=hard|tobedeleted
    GET    /_control/gradebook                  categories, lineItems, results and the write log
    GET    /_control/requests                   the API request log (no credentials in it)
    DELETE /_control/requests                   clears the request and write logs
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

from tools.oneroster_sis import profiles
from tools.oneroster_sis.csvload import load_csv_package
from tools.oneroster_sis.faults import settings_from_mapping
from tools.oneroster_sis.generator import DistrictSpec, generate_district
from tools.oneroster_sis.model import KINDS

if TYPE_CHECKING:
    from tools.oneroster_sis.app import OneRosterSis


class ControlError(ValueError):
    pass


def handle_control(sis: OneRosterSis, request: Request) -> Response:
    from tools.oneroster_sis.app import json_response

    parts = [p for p in request.path.split("/")[2:] if p]
    try:
        status, body = _route(sis, request, parts)
    except (ControlError, ValueError, TypeError, KeyError) as exc:
        return json_response({"error": str(exc)}, 400)
    return json_response(body, status)


def _route(sis: OneRosterSis, request: Request, parts: list[str]) -> tuple[int, Any]:
    method = request.method
    head = parts[0] if parts else ""
    if head == "health" and method == "GET":
        return 200, {"status": "ok"}
    if head == "state" and method == "GET":
        return 200, state(sis)
    if head == "config" and method == "POST":
        configure(sis, _json(request))
        return 200, state(sis)
    if parts == ["faults", "script"] and method == "POST":
        body = _json(request)
        sis.faults.script(
            body["kind"],
            times=int(body.get("times", 1)),
            path_contains=body.get("path_contains", ""),
            method=body.get("method"),
        )
        return 200, {"scripted": body}
    if head == "generate" and method == "POST":
        body = _json(request)
        if isinstance(body.get("today"), str):
            body["today"] = dt.date.fromisoformat(body["today"])
        sis.store.replace_all(generate_district(DistrictSpec(**body)))
        return 200, state(sis)
    if head == "load-csv" and method == "POST":
        sis.store.replace_all(load_csv_package(Path(_json(request)["path"])))
        return 200, state(sis)
    if head == "records":
        return _records(sis, request, parts[1:])
    if head == "gradebook" and method == "GET":
        return 200, gradebook(sis)
    if head == "requests" and method == "GET":
        return 200, {"requests": list(sis.request_log)}
    if head == "requests" and method == "DELETE":
        sis.request_log.clear()
        sis.writes.clear()
        return 200, {"cleared": True}
    return 404, {"error": f"no control endpoint {method} {request.path}"}


def _records(sis: OneRosterSis, request: Request, parts: list[str]) -> tuple[int, Any]:
    if not parts or parts[0] not in KINDS:
        raise ControlError(f"records need a kind, one of {list(KINDS)}")
    kind, method = parts[0], request.method
    if len(parts) == 1 and method == "GET":
        return 200, {kind: list(sis.store.all(kind))}
    if len(parts) == 1 and method == "PUT":
        records = _json(request).get("records")
        if not isinstance(records, list) or not all(
            isinstance(r, dict) and r.get("sourcedId") for r in records
        ):
            raise ControlError('body must be {"records": [{"sourcedId": ...}, ...]}')
        return 200, {kind: [sis.store.upsert(kind, r) for r in records]}
    if len(parts) == 2 and method == "PATCH":
        return 200, sis.store.patch(kind, parts[1], _json(request))
    if len(parts) == 2 and method == "DELETE":
        mode = request.args.get("mode", "hard")
        if mode == "tobedeleted":
            return 200, sis.store.mark_tobedeleted(kind, parts[1])
        if mode != "hard":
            raise ControlError("mode must be hard or tobedeleted")
        return (
            (200, {"deleted": parts[1]})
            if sis.store.delete(kind, parts[1])
            else (404, {"error": f"no {kind} {parts[1]!r}"})
        )
    raise ControlError(f"unsupported {method} on records/{'/'.join(parts)}")


def configure(sis: OneRosterSis, body: dict[str, Any]) -> None:
    from tools.oneroster_sis.app import SisConfig

    known = {"profile", "quirks", "strict", "faults", "token_lifetime_seconds", "expire_tokens"}
    unknown = set(body) - known
    if unknown:
        raise ControlError(f"unknown config keys {sorted(unknown)}; known: {sorted(known)}")
    config: SisConfig = sis.config
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


def state(sis: OneRosterSis) -> dict[str, Any]:
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


def gradebook(sis: OneRosterSis) -> dict[str, Any]:
    return {
        "categories": list(sis.store.all("categories")),
        "lineItems": list(sis.store.all("lineItems")),
        "results": list(sis.store.all("results")),
        "writes": list(sis.writes),
    }


def _json(request: Request) -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ControlError("the body must be a JSON object")
    return body
