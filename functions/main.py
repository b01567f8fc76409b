"""Cloud Functions entry points. Each is a few lines: parse, call shared/, map to HTTP."""

from __future__ import annotations

import functions_framework
from flask import Request

from shared.settings import VERSION

HTTP_TARGETS = ("healthz",)


@functions_framework.http
def healthz(request: Request) -> tuple[dict[str, str], int]:
    """Liveness check for uptime probes and the local stack; touches no backing service."""
    return {"status": "ok", "service": "rostersync", "version": VERSION}, 200
