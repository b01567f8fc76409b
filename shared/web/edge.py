"""The HTTP edge: one request type for every function, one table from error types to statuses,
one internal-error path with a reference, and werkzeug routing. Framework-light: functions/main.py
builds an ApiRequest from the Flask request and returns what ``respond`` gives back.

What no handler has to check again, because the edge refuses it first: a body over
``MAX_BODY_BYTES`` (413), a body that is not a JSON object, nested deeper than ``MAX_JSON_DEPTH``
or carrying NaN/Infinity (400), and a path id outside ``ID_PATTERN`` (404: one pattern for every
id in every route, which is also what Firestore accepts as a document id)."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import IO, Any

from pydantic import ValidationError
from werkzeug.exceptions import HTTPException
from werkzeug.routing import BaseConverter, Map, Rule

from shared.errors import (
    Busy,
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    TooLarge,
    Unauthenticated,
)
from shared.oneroster.errors import OneRosterError, TransientError

log = logging.getLogger(__name__)
Response = tuple[int, dict[str, Any]]


MAX_BODY_BYTES = 256 * 1024
MAX_JSON_DEPTH = 32
# Letters and digits first (so never ".", ".." or Firestore's reserved "__…__"), then the
# characters safe_id and run ids use; at most 512 characters.
ID_PATTERN = r"[A-Za-z0-9][A-Za-z0-9._~-]{0,511}"
TOO_DEEP = (
    f"the body is nested too deeply; send at most {MAX_JSON_DEPTH} levels of lists and objects"
)


class BodyTooLarge(InvalidInput):
    """The request body is over MAX_BODY_BYTES (answered 413)."""


@dataclass(frozen=True)
class ApiRequest:
    method: str
    path: str
    headers: Mapping[str, str]  # case-insensitive, as the framework gives them
    body: dict[str, Any] | None  # the JSON object sent, or None when the body was empty
    query: Mapping[str, str] = field(default_factory=dict)  # the query string, first of each


def _depth(value: Any) -> int:
    """How deeply lists and objects nest in a parsed JSON value (iterative: no recursion)."""
    deepest, pending = 0, [(value, 1)]
    while pending:
        item, level = pending.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, level)
            children = item.values() if isinstance(item, dict) else item
            pending.extend((child, level + 1) for child in children)
    return deepest


def _no_constant(name: str) -> Any:
    raise InvalidInput(f"the body is not valid JSON: {name} is not a JSON number; send a number")


def parse_body(raw: bytes) -> dict[str, Any] | None:
    """The request body as a JSON object (None when empty); InvalidInput names what is wrong."""
    if len(raw) > MAX_BODY_BYTES:
        raise BodyTooLarge(
            f"the body is over {MAX_BODY_BYTES // 1024} KiB; send less (at most "
            f"{MAX_BODY_BYTES} bytes)"
        )
    if not raw.strip():
        return None
    try:
        value = json.loads(raw, parse_constant=_no_constant)
    except RecursionError:
        raise InvalidInput(TOO_DEEP) from None
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput("the body is not valid JSON; send a JSON object") from None
    if _depth(value) > MAX_JSON_DEPTH:
        raise InvalidInput(TOO_DEEP)
    if not isinstance(value, dict):
        kind = "null" if value is None else type(value).__name__
        raise InvalidInput(f"the body must be a JSON object ({{...}}), not {kind}")
    return value


def read_body(stream: IO[bytes]) -> dict[str, Any] | None:
    """Reads at most one byte more than the limit, so a huge body is never held in memory."""
    return parse_body(stream.read(MAX_BODY_BYTES + 1))


# Order matters: the first type an error is an instance of decides its status and its kind.
ERROR_KINDS: tuple[tuple[type[Exception], int, str, str], ...] = (
    (BodyTooLarge, 413, "body-too-large", "The body is too large"),
    (TooLarge, 413, "too-large", "Over the size limit"),
    (InvalidInput, 400, "invalid-input", "The request is not valid"),
    (ValidationError, 400, "invalid-input", "The request is not valid"),
    (Unauthenticated, 401, "sign-in", "Sign-in is needed"),
    (Forbidden, 403, "forbidden", "Not allowed"),
    (NotFound, 404, "not-found", "Not found"),
    (Conflict, 409, "conflict", "The state does not allow this"),
    # a transaction that kept colliding: nothing written; callers and Cloud Tasks retry
    (Busy, 409, "busy", "Changed by someone else at the same moment"),
    # the SIS may recover: callers and Cloud Tasks retry
    (TransientError, 503, "sis-unavailable", "The SIS is unavailable for now"),
    # a permanent SIS or connection-settings problem
    (OneRosterError, 400, "sis-refused", "The SIS refused the request"),
)
STATUS_OF_ERROR: tuple[tuple[type[Exception], int], ...] = tuple(
    (kind, status) for kind, status, _, _ in ERROR_KINDS
)
PROBLEM_TYPES = "https://rostersync.example/problems/"
PROBLEM_JSON = "application/problem+json"


def problem(status: int, kind: str, title: str, detail: str, **extra: Any) -> dict[str, Any]:
    """An RFC 9457 problem document; ``error.message`` repeats the detail for older clients."""
    return {
        "type": f"{PROBLEM_TYPES}{kind}",
        "title": title,
        "status": status,
        "detail": detail,
        **extra,
        "error": {"message": detail, **extra},
    }


def is_problem(body: Mapping[str, Any]) -> bool:
    return {"type", "title", "status", "detail"} <= body.keys()


def content_type(body: Mapping[str, Any]) -> str:
    """The media type of an answer: problem+json for problem documents, else JSON."""
    return PROBLEM_JSON if is_problem(body) else "application/json"


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
    for error_type, status, kind, title in ERROR_KINDS:
        if isinstance(exc, error_type):
            extra = {"retry": True} if status == 503 else {}
            return status, problem(status, kind, title, _message(exc), **extra)
    return None


def internal_error() -> Response:
    reference = uuid.uuid4().hex[:12]
    log.exception("http.internal_error", extra={"fields": {"reference": reference}})
    detail = f"internal error; reference {reference}"
    body = problem(500, "internal-error", "Internal error", detail, reference=reference)
    return 500, {**body, "instance": f"urn:rostersync:error:{reference}"}


def respond(call: Callable[[], Response]) -> Response:
    """Runs a handler; known errors become their status, anything else a 500 with a reference
    (the stack trace goes to the log, never to the caller)."""
    try:
        return call()
    except Exception as exc:
        return error_response(exc) or internal_error()


Endpoint = Callable[..., Response]


class IdConverter(BaseConverter):
    """The one pattern of every id in a path (``ID_PATTERN``); anything else is no route."""

    regex = ID_PATTERN


class Routes:
    """Path patterns to handlers, matched by werkzeug's router. Every ``<name>`` in a pattern is
    an id matched by ``IdConverter``: a path with any other id answers 404 before a handler
    runs, so no handler builds a Firestore path from an id Firestore would refuse."""

    def __init__(self, rules: Mapping[tuple[str, str], Endpoint]) -> None:
        self._endpoints = {f"{method} {path}": fn for (method, path), fn in rules.items()}
        self._map = Map(
            [Rule(path, methods=[method], endpoint=f"{method} {path}") for method, path in rules],
            converters={"default": IdConverter, "id": IdConverter},
        )

    def match(self, request: ApiRequest) -> tuple[Endpoint, dict[str, str]]:
        """The handler and the path's parts; NotFound names the method and path."""
        try:
            name, args = self._map.bind("rostersync").match(
                request.path.rstrip("/") or "/", method=request.method
            )
        except HTTPException:
            shown = request.path if len(request.path) <= 200 else f"{request.path[:200]}…"
            raise NotFound(f"no endpoint {request.method} {shown}") from None
        return self._endpoints[name], dict(args)
