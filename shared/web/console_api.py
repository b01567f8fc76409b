"""The web console of district admins (docs/operations.md "Web console"), served by the `console`
function: the page and its assets (plain HTML, CSS and ES modules from ``console/`` beside this
module, no build step), ``config.json`` (how to sign in, the vendor presets), and under ``/api/``
the admin API itself, the same handler and ID-token check as `sync_admin`, so the page calls its
own origin and needs no CORS.

Only the files found in ``console/`` when the module loads are served, by exact name: any other
path, ``..`` segments and encodings of them included, is a 404 before the file system is asked.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any

from shared.oneroster.vendors import PRESETS
from shared.settings import GOOGLE_ISSUERS, Settings
from shared.sync.admin_api import handle_admin
from shared.sync.ports import AdminPorts
from shared.web.edge import PROBLEM_JSON, ApiRequest, Response, problem

ASSET_DIR = Path(__file__).resolve().parent / "console"
API_PREFIX = "/api"
ASSET_PREFIX = "/assets/"  # not /static/: Flask (under functions-framework) owns that
MEDIA_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}
# Google Identity Services' documented CSP needs (developers.google.com/identity/gsi/web/guides/
# get-google-api-clientid#content_security_policy): its script, its style, its frame and fetches.
GIS = "https://accounts.google.com/gsi/"
COMMON_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
API_HEADERS = {**COMMON_HEADERS, "Cache-Control": "no-store"}


@dataclass(frozen=True)
class Asset:
    body: bytes
    media_type: str
    etag: str


@dataclass(frozen=True)
class Page:
    """A non-API answer: Flask's body, status and headers."""

    status: int
    body: bytes
    headers: dict[str, str]


@cache
def assets() -> dict[str, Asset]:
    """URL path (``/`` for the page, ``/assets/<file>`` for the rest) to the file's bytes."""
    found = {}
    for path in sorted(ASSET_DIR.rglob("*")):
        media_type = MEDIA_TYPES.get(path.suffix)
        if not path.is_file() or media_type is None:
            continue
        body = path.read_bytes()
        name = path.relative_to(ASSET_DIR).as_posix()
        url = "/" if name == "index.html" else f"{ASSET_PREFIX}{name}"
        found[url] = Asset(body, media_type, f'"{hashlib.sha256(body).hexdigest()[:32]}"')
    return found


def uses_local_issuer(settings: Settings) -> bool:
    """The stack's local issuer signs the tokens (tools/local_issuer.py): a local-dev stack whose
    issuer is not Google's and is a loopback URL."""
    first = settings.id_token_issuers[0] if settings.id_token_issuers else ""
    return (
        settings.local_dev
        and first not in GOOGLE_ISSUERS
        and first.startswith(("http://127.0.0.1:", "http://localhost:"))
    )


def content_security_policy(settings: Settings) -> str:
    """Only this origin; in production also Google Identity Services for the sign-in button."""
    gis = "" if uses_local_issuer(settings) else f" {GIS}"
    frames = gis or " 'none'"
    return (
        "default-src 'none'; "
        f"script-src 'self'{gis}; "
        f"style-src 'self'{gis}; "
        f"connect-src 'self'{gis}; "
        f"frame-src{frames}; "
        "img-src 'self' data:; "
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )


def _vendor(key: str) -> dict[str, Any]:
    chosen = PRESETS[key]
    return {
        "key": chosen.key,
        "label": chosen.label,
        "version": chosen.version,
        "rostering_url_shape": chosen.rostering_url_shape,
        "gradebook_url_shape": chosen.gradebook_url_shape,
        "token_url_shape": chosen.token_url_shape,
        "page_size": chosen.page_size,
        "notes": chosen.notes,
    }


def console_config(settings: Settings) -> dict[str, Any]:
    """What the page needs before sign-in: how to sign in, the vendor presets, local_dev."""
    sign_in: dict[str, str | None] = {"kind": "google", "client_id": settings.id_token_audience}
    if uses_local_issuer(settings):
        sign_in = {"kind": "local", "url": f"{settings.id_token_issuers[0].rstrip('/')}/signin"}
    return {
        "sign_in": sign_in,
        "vendors": [_vendor(key) for key in PRESETS],
        "local_dev": settings.local_dev,
    }


def is_api(path: str) -> bool:
    return path == API_PREFIX or path.startswith(f"{API_PREFIX}/")


def handle_console_api(ports: AdminPorts, request: ApiRequest) -> Response:
    """``/api/<path>`` answers exactly as `sync_admin` answers ``/<path>``."""
    return handle_admin(ports, replace(request, path=request.path[len(API_PREFIX) :] or "/"))


def _headers(settings: Settings, media_type: str, cache_control: str) -> dict[str, str]:
    return {
        **COMMON_HEADERS,
        "Content-Type": media_type,
        "Cache-Control": cache_control,
        "Content-Security-Policy": content_security_policy(settings),
    }


def _problem_page(settings: Settings, status: int, kind: str, title: str, detail: str) -> Page:
    body = problem(status, kind, title, detail)
    headers = _headers(settings, PROBLEM_JSON, "no-store")
    return Page(status, json.dumps(body).encode(), headers)


def serve_page(
    method: str, path: str, settings: Settings, if_none_match: str | None = None
) -> Page:
    """The page, an asset or config.json; 405 for another method, 404 for any other path."""
    if method not in ("GET", "HEAD"):
        page = _problem_page(
            settings, 405, "method-not-allowed", "Method not allowed", f"{method} {path}: use GET"
        )
        return replace(page, headers={**page.headers, "Allow": "GET, HEAD"})
    if path == "/config.json":
        body = json.dumps(console_config(settings)).encode()
        return Page(200, body, _headers(settings, "application/json", "no-store"))
    asset = assets().get(path)
    if asset is None:
        shown = path if len(path) <= 200 else f"{path[:200]}…"
        detail = f"no console page or file {shown}; open the console at its root URL (…/console/)"
        return _problem_page(settings, 404, "not-found", "Not found", detail)
    # Revalidated on every load (no-cache + ETag): a new deploy is seen at once, unchanged files
    # cost a 304.
    headers = {**_headers(settings, asset.media_type, "no-cache"), "ETag": asset.etag}
    if if_none_match and asset.etag in if_none_match:
        return Page(304, b"", headers)
    return Page(200, asset.body, headers)
