"""HTTP helpers shared by the OneRoster API and the control API: JSON responses, the API error and
its imsx_StatusInfo rendering."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from werkzeug.wrappers import Response

from tools.oneroster_sis import imsx
from tools.oneroster_sis.profiles import Quirks


class ApiError(Exception):
    """Answered as an imsx_StatusInfo body with this HTTP status and codeMinor."""

    def __init__(self, status: int, code_minor: str, description: str) -> None:
        super().__init__(description)
        self.status, self.code_minor, self.description = status, code_minor, description


def json_response(body: Any, status: int, headers: Mapping[str, str] | None = None) -> Response:
    return Response(
        json.dumps(body, separators=(",", ":")),
        status,
        headers=dict(headers or {}),
        mimetype="application/json",
    )


def imsx_response(
    quirks: Quirks,
    status: int,
    code_minor: str,
    description: str,
    headers: Mapping[str, str] | None = None,
) -> Response:
    body = imsx.error_body(
        code_minor, description, code_minor_as_string=quirks.code_minor_as_string
    )
    return json_response(body, status, headers)


def error_response(quirks: Quirks, exc: ApiError) -> Response:
    if quirks.empty_error_bodies:
        return Response(b"", exc.status)
    return imsx_response(quirks, exc.status, exc.code_minor, exc.description)
