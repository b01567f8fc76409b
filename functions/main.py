"""Cloud Functions entry points. Each is a few lines: parse, call shared/, map to HTTP."""

from __future__ import annotations

from typing import Any

import functions_framework
from flask import Request

from shared.logs import configure_logging
from shared.runtime import runtime
from shared.settings import VERSION

HTTP_TARGETS = (
    "healthz",
    "sync_admin",
    "sync_task",
    "sync_schedule",
    "export_teacher",
    "export_task",
)
configure_logging()


def _json(request: Request) -> Any:
    return request.get_json(silent=True)


def _safely(call: Any) -> tuple[dict[str, Any], int]:
    from shared.sync.api import internal_error

    try:
        status, body = call()
    except Exception as exc:
        status, body = internal_error(exc)
    return body, status


@functions_framework.http
def healthz(request: Request) -> tuple[dict[str, str], int]:
    """Liveness check for uptime probes and the local stack; touches no backing service."""
    return {"status": "ok", "service": "rostersync", "version": VERSION}, 200


@functions_framework.http
def sync_admin(request: Request) -> tuple[dict[str, Any], int]:
    """District admins: connect the SIS, sync now (full, delta, dry run), run status, decide
    held runs, sync settings. See docs/http-api.md."""
    from shared.sync.api import handle_admin

    return _safely(
        lambda: handle_admin(
            runtime(), request.method, request.path, dict(request.headers), _json(request)
        )
    )


@functions_framework.http
def sync_task(request: Request) -> tuple[dict[str, Any], int]:
    """Cloud Tasks target: one sync step (start, one page, one school's plan and apply)."""
    from shared.sync.api import handle_task_request

    return _safely(lambda: handle_task_request(runtime(), dict(request.headers), _json(request)))


@functions_framework.http
def sync_schedule(request: Request) -> tuple[dict[str, Any], int]:
    """Cloud Scheduler target: starts the syncs that are due."""
    from shared.sync.api import handle_schedule

    return _safely(lambda: handle_schedule(runtime(), dict(request.headers)))


@functions_framework.http
def export_teacher(request: Request) -> tuple[dict[str, Any], int]:
    """Teachers: export a class's marks, read what happened per assignment and mark, link a
    hand-made class to an SIS section. See docs/http-api.md."""
    from shared.export.api import handle_teacher

    return _safely(
        lambda: handle_teacher(
            runtime(), request.method, request.path, dict(request.headers), _json(request)
        )
    )


@functions_framework.http
def export_task(request: Request) -> tuple[dict[str, Any], int]:
    """Cloud Tasks target of the mark-export queue: exports one class."""
    from shared.export.api import handle_export_task

    return _safely(lambda: handle_export_task(runtime(), dict(request.headers), _json(request)))
