"""Cloud Functions entry points. Each is a few lines: build the request, call shared/, answer."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

import functions_framework
from flask import Request

from shared.logs import configure_logging
from shared.runtime import runtime
from shared.settings import VERSION
from shared.web.edge import ApiRequest, Response, read_body, respond

HTTP_TARGETS = (
    "healthz",
    "sync_admin",
    "sync_task",
    "sync_schedule",
    "export_teacher",
    "export_task",
)
configure_logging()


def _request(request: Request) -> ApiRequest:
    # request.headers stays werkzeug's case-insensitive Headers: never copy it into a dict.
    headers = cast(Mapping[str, str], request.headers)
    # The edge reads the body itself: a size limit, JSON objects only, a nesting limit.
    return ApiRequest(request.method, request.path, headers, read_body(request.stream))


def _answer(response: Response) -> tuple[dict[str, Any], int]:
    status, body = response
    return body, status


@functions_framework.http
def healthz(request: Request) -> tuple[dict[str, str], int]:
    """Liveness check for uptime probes and the local stack; touches no backing service."""
    return {"status": "ok", "service": "rostersync", "version": VERSION}, 200


@functions_framework.http
def sync_admin(request: Request) -> tuple[dict[str, Any], int]:
    """District admins: connect the SIS, sync now (full, delta, dry run), run status, decide
    held runs, sync settings. See docs/http-api.md."""
    from shared.sync.admin_api import handle_admin

    return _answer(respond(lambda: handle_admin(runtime().admin_ports(), _request(request))))


@functions_framework.http
def sync_task(request: Request) -> tuple[dict[str, Any], int]:
    """Cloud Tasks target: one sync step (start, one page, one school's plan and apply)."""
    from shared.sync.task_api import handle_task_request

    return _answer(respond(lambda: handle_task_request(runtime().admin_ports(), _request(request))))


@functions_framework.http
def sync_schedule(request: Request) -> tuple[dict[str, Any], int]:
    """Cloud Scheduler target: starts the syncs that are due."""
    from shared.sync.task_api import handle_schedule

    return _answer(respond(lambda: handle_schedule(runtime().admin_ports(), _request(request))))


@functions_framework.http
def export_teacher(request: Request) -> tuple[dict[str, Any], int]:
    """Teachers: export a class's marks, read what happened per assignment and mark, link a
    hand-made class to an SIS section. See docs/http-api.md."""
    from shared.export.teacher_api import handle_teacher

    return _answer(respond(lambda: handle_teacher(runtime().export_ports(), _request(request))))


@functions_framework.http
def export_task(request: Request) -> tuple[dict[str, Any], int]:
    """Cloud Tasks target of the mark-export queue: exports one class."""
    from shared.export.teacher_api import handle_export_task

    return _answer(respond(lambda: handle_export_task(runtime().export_ports(), _request(request))))
