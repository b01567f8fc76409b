"""Checks an answer of the functions against the OpenAPI document (shared/web/openapi.yaml):
the status is documented for the operation, the media type is one the document lists for that
status, and the body validates against its schema (OpenAPI 3.1 = JSON Schema 2020-12).

``install_contract_checks`` wraps ``requests`` (calls to the local stack's functions) and
functions-framework's Flask test clients, so every answer an API test receives is checked; a
broken answer fails the test at the call that received it."""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterator, Mapping
from functools import cache
from typing import Any
from urllib.parse import urlsplit

import requests
import yaml
from flask.testing import FlaskClient
from openapi_schema_validator import OAS31Validator

from shared.web.contract import CONTRACT_FILE

TARGETS = (
    "healthz",
    "sync_admin",
    "sync_task",
    "sync_schedule",
    "export_teacher",
    "export_task",
    "csv_landed",
)
LOOPBACK = ("127.0.0.1", "localhost")
# The web console serves the admin API under /console/api: those answers are checked against
# sync_admin's operations (the document says so rather than repeating every path); the
# console's page, assets and config.json are not part of the API document.
CONSOLE, CONSOLE_API = "console", "/api"
NOT_CHECKED = ("HEAD", "OPTIONS")


@cache
def contract() -> dict[str, Any]:
    return yaml.safe_load(CONTRACT_FILE.read_text(encoding="utf-8"))


@cache
def _templates() -> list[tuple[re.Pattern[str], str, int]]:
    """Each documented path as a regex; literal paths sort before templated ones."""
    out = []
    for template in contract()["paths"]:
        pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template))
        out.append((re.compile(f"^{pattern}$"), template, template.count("{")))
    return sorted(out, key=lambda entry: entry[2])


def document_path(target: str, path: str) -> str:
    """Where a call to ``target`` at ``path`` sits in the document (paths start with it)."""
    rest = path.rstrip("/")
    return f"/{target}{rest}"


def operation(target: str, method: str, path: str) -> dict[str, Any] | None:
    wanted = document_path(target, path)
    for pattern, template, _ in _templates():
        if pattern.match(wanted):
            return contract()["paths"][template].get(method.lower())
    return None


def _resolve(node: Mapping[str, Any]) -> Mapping[str, Any]:
    while "$ref" in node and len(node) == 1:
        found: Any = contract()
        for part in node["$ref"].removeprefix("#/").split("/"):
            found = found[part.replace("~1", "/").replace("~0", "~")]
        node = found
    return node


@cache
def _validator(schema_json: str) -> OAS31Validator:
    schema = {**json.loads(schema_json), "components": contract()["components"]}
    return OAS31Validator(schema)


PROBLEM = {"$ref": "#/components/schemas/Problem"}


def problems(
    target: str, method: str, path: str, status: int, media_type: str, body: bytes
) -> list[str]:
    """What breaks the document in this answer (empty when it conforms)."""
    where = f"{method} {document_path(target, path)} → {status}"
    op = operation(target, method, path)
    if op is None:  # no such endpoint: the answer must be a problem document
        if status < 400:
            return [f"{where}: an undocumented endpoint answered {status}"]
        content = dict(_resolve(contract()["components"]["responses"]["NotFound"])["content"])
    else:
        responses = op.get("responses", {})
        response = responses.get(str(status)) or responses.get("default")
        if response is None:
            return [f"{where}: status not documented (documented: {sorted(responses)})"]
        content = dict(_resolve(response).get("content") or {})
    return _body_problems(where, content, media_type, body)


def _body_problems(
    where: str, content: Mapping[str, Any], media_type: str, body: bytes
) -> list[str]:
    kind = media_type.split(";")[0].strip().lower()
    if not content:
        return []
    if kind not in content:
        return [f"{where}: media type {kind!r} not documented ({sorted(content)})"]
    schema = content[kind].get("schema")
    if schema is None:
        return []
    try:
        value = json.loads(body) if kind.endswith("json") else body.decode("utf-8")
    except ValueError:
        return [f"{where}: the body is not {kind}: {body[:200]!r}"]
    errors = _validator(json.dumps(schema, sort_keys=True)).iter_errors(value)
    return [f"{where}: {e.json_path}: {e.message}" for e in errors][:5]


def assert_conforms(target: str, method: str, path: str, status: int, ctype: str, body: bytes):
    found = problems(target, method, path, status, ctype, body)
    assert not found, "the answer breaks the OpenAPI document:\n" + "\n".join(found)


def _checked_call(target: str, path: str) -> tuple[str, str] | None:
    """The function and path whose operation describes a call, or None when not documented."""
    if target == CONSOLE:
        if path == CONSOLE_API or path.startswith(f"{CONSOLE_API}/"):
            return "sync_admin", path[len(CONSOLE_API) :] or "/"
        return None
    return (target, path) if target in TARGETS else None


def _target_of_url(url: str) -> tuple[str, str] | None:
    parts = urlsplit(url)
    if parts.hostname not in LOOPBACK:
        return None
    first, _, rest = parts.path.lstrip("/").partition("/")
    return _checked_call(first, f"/{rest}")


@contextlib.contextmanager
def install_contract_checks() -> Iterator[None]:
    """Checks every answer of the functions that tests receive, while the context is open."""
    original_request, original_open = requests.Session.request, FlaskClient.open

    def checked_request(self: requests.Session, method: str, url: str, *a: Any, **kw: Any) -> Any:
        response = original_request(self, method, url, *a, **kw)
        call = _target_of_url(str(url))
        if call and method.upper() not in NOT_CHECKED:
            ctype = response.headers.get("Content-Type", "")
            assert_conforms(*call[:1], method.upper(), call[1], response.status_code, ctype,
                            response.content)  # fmt: skip
        return response

    def checked_open(self: FlaskClient, *args: Any, **kw: Any) -> Any:
        response = original_open(self, *args, **kw)
        request = getattr(response, "request", None)
        if request is not None and request.method not in NOT_CHECKED:
            call = _checked_call(self.application.import_name, request.path)
            if call:
                assert_conforms(call[0], request.method, call[1], response.status_code,
                                response.content_type or "", response.get_data())  # fmt: skip
        return response

    requests.Session.request = checked_request  # type: ignore[method-assign]
    FlaskClient.open = checked_open  # type: ignore[method-assign]
    try:
        yield
    finally:
        requests.Session.request = original_request  # type: ignore[method-assign]
        FlaskClient.open = original_open  # type: ignore[method-assign]
