"""The HTTP edge: one request type for every function, one table from error types to statuses,
one internal-error path with a reference, and werkzeug routing. Framework-light: functions/main.py
builds an ApiRequest from the Flask request and returns what ``respond`` gives back."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule

from shared.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthenticated
from shared.oneroster.errors import OneRosterError, TransientError

log = logging.getLogger(__name__)
Response = tuple[int, dict[str, Any]]


@dataclass(frozen=True)
class ApiRequest:
    method: str
    path: str
    headers: Mapping[str, str]  # case-insensitive, as the framework gives them
    body: Any  # the JSON body, or None


# Order matters: the first type an error is an instance of decides its status.
STATUS_OF_ERROR: tuple[tuple[type[Exception], int], ...] = (
    (InvalidInput, 400),
    (ValidationError, 400),
    (Unauthenticated, 401),
    (Forbidden, 403),
    (NotFound, 404),
    (Conflict, 409),
    (TransientError, 503),  # the SIS may recover: callers and Cloud Tasks retry
    (OneRosterError, 400),  # a permanent SIS or connection-settings problem
)


def error_body(message: str, **extra: Any) -> dict[str, Any]:
    return {"error": {"message": message, **extra}}


def describe_validation(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error.get("loc", ())) or "body"
        message = str(error.get("msg", "is invalid"))
        if error.get("type") == "extra_forbidden":
            message = "is not a known field; remove it"
        parts.append(f"{where}: {message}")
    return "; ".join(parts)


def _message(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return describe_validation(exc)
    return str(getattr(exc, "message", exc))


def error_response(exc: Exception) -> Response | None:
    for kind, status in STATUS_OF_ERROR:
        if isinstance(exc, kind):
            extra = {"retry": True} if status == 503 else {}
            return status, error_body(_message(exc), **extra)
    return None


def internal_error() -> Response:
    reference = uuid.uuid4().hex[:12]
    log.exception("http.internal_error", extra={"fields": {"reference": reference}})
    return 500, error_body(f"internal error; reference {reference}")


def respond(call: Callable[[], Response]) -> Response:
    """Runs a handler; known errors become their status, anything else a 500 with a reference
    (the stack trace goes to the log, never to the caller)."""
    try:
        return call()
    except Exception as exc:
        return error_response(exc) or internal_error()


Endpoint = Callable[..., Response]


class Routes:
    """Path patterns to handlers, matched by werkzeug's router."""

    def __init__(self, rules: Mapping[tuple[str, str], Endpoint]) -> None:
        self._endpoints = {f"{method} {path}": fn for (method, path), fn in rules.items()}
        self._map = Map(
            [Rule(path, methods=[method], endpoint=f"{method} {path}") for method, path in rules]
        )

    def match(self, request: ApiRequest) -> tuple[Endpoint, dict[str, str]]:
        """The handler and the path's parts; NotFound names the method and path."""
        try:
            name, args = self._map.bind("rostersync").match(
                request.path.rstrip("/") or "/", method=request.method
            )
        except HTTPException:
            raise NotFound(f"no endpoint {request.method} {request.path}") from None
        return self._endpoints[name], dict(args)
