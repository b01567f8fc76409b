"""Cloud Functions entry points. Each is a few lines: build the request, call shared/, answer."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

import functions_framework
from flask import Request

from shared.logs import configure_logging
from shared.runtime import runtime
from shared.settings import VERSION
from shared.web.contract import CONTRACT_TYPE, asks_for_contract, contract_text
from shared.web.edge import ApiRequest, Response, content_type, read_body, respond

HTTP_TARGETS = (
    "healthz",
    "sync_admin",
    "sync_task",
    "sync_schedule",
    "export_teacher",
    "export_task",
    "console",
    "csv_landed",
)
configure_logging()


def _request(request: Request) -> ApiRequest:
    # request.headers stays werkzeug's case-insensitive Headers: never copy it into a dict.
    headers = cast(Mapping[str, str], request.headers)
    # The edge reads the body itself: a size limit, JSON objects only, a nesting limit.
    body = read_body(request.stream)
    return ApiRequest(request.method, request.path, headers, body, request.args.to_dict())


Answer = tuple[Any, int, dict[str, str]]


def _answer(response: Response) -> Answer:
    """Flask's (body, status, headers): errors are application/problem+json (RFC 9457)."""
    status, body = response
    return body, status, {"Content-Type": content_type(body)}


def _contract() -> Answer:
    return contract_text(), 200, {"Content-Type": CONTRACT_TYPE}


@functions_framework.http
def healthz(request: Request) -> Answer:
    """Liveness check for uptime probes and the local stack; touches no backing service. Also
    serves the OpenAPI document (GET /openapi.yaml)."""
    if asks_for_contract(request.method, request.path):
        return _contract()
    return _answer((200, {"status": "ok", "service": "rostersync", "version": VERSION}))


@functions_framework.http
def sync_admin(request: Request) -> Answer:
    """District admins: connect the SIS, sync now (full, delta, dry run), run status, decide
    held runs, sync settings. See docs/http-api.md."""
    from shared.sync.admin_api import handle_admin

    if asks_for_contract(request.method, request.path):
        return _contract()
    return _answer(respond(lambda: handle_admin(runtime().admin_ports(), _request(request))))


@functions_framework.http
def sync_task(request: Request) -> Answer:
    """Cloud Tasks target: one sync step (start, one page, one school's plan and apply)."""
    from shared.sync.task_api import handle_task_request

    return _answer(respond(lambda: handle_task_request(runtime().admin_ports(), _request(request))))


@functions_framework.http
def sync_schedule(request: Request) -> Answer:
    """Cloud Scheduler target: starts the syncs that are due."""
    from shared.sync.task_api import handle_schedule

    return _answer(respond(lambda: handle_schedule(runtime().admin_ports(), _request(request))))


@functions_framework.http
def export_teacher(request: Request) -> Answer:
    """Teachers: their classes (offers, rename, hand-made roster changes, links) and mark export
    (export, what happened per assignment and mark). See docs/http-api.md."""
    from shared.export.teacher_api import handle_teacher

    if asks_for_contract(request.method, request.path):
        return _contract()
    return _answer(respond(lambda: handle_teacher(runtime().export_ports(), _request(request))))


@functions_framework.http
def export_task(request: Request) -> Answer:
    """Cloud Tasks target of the mark-export queue: exports one class."""
    from shared.export.teacher_api import handle_export_task

    return _answer(respond(lambda: handle_export_task(runtime().export_ports(), _request(request))))


@functions_framework.http
def console(request: Request) -> Answer:
    """District admins' web console: the page, its assets and config.json, and under /api/ the
    admin API of sync_admin (same handler, same ID-token check). See docs/operations.md."""
    from shared.web import console_api as web

    if web.is_api(request.path):
        call = lambda: web.handle_console_api(runtime().admin_ports(), _request(request))  # noqa: E731
        body, status, headers = _answer(respond(call))
        return body, status, {**headers, **web.API_HEADERS}
    etag = request.headers.get("If-None-Match")
    page = web.serve_page(request.method, request.path, runtime().settings, etag)
    return page.body, page.status, page.headers


@functions_framework.http
def csv_landed(request: Request) -> Answer:
    """Eventarc target: a CSV package landed in the packages bucket (Cloud Storage's
    object-finalized CloudEvent, binary mode); starts its run. See docs/http-api.md."""
    from shared.csvsource.landing import handle_landed

    return _answer(respond(lambda: handle_landed(runtime().admin_ports(), _request(request))))
