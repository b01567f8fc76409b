"""The console function on the local stack, over real HTTP: the page, its assets and config.json
with their media types, cache rules and Content-Security-Policy; the admin API under
/console/api with the same sign-in and answers as sync_admin; no file outside the console's own;
and the local issuer's sign-in page that hands the console its token."""

from __future__ import annotations

import http.client
import re
import time
from urllib.parse import urlsplit

import pytest
import requests

from shared.ids import safe_id
from shared.oneroster.vendors import PRESETS
from tests.conftest import ADMIN, SyncHarness, id_token
from tools.bundle import bundle_members
from tools.localstack import LocalStack

TEACHER = "teacher@district.example.org"


@pytest.fixture
def base(local_stack: LocalStack) -> str:
    return f"{local_stack.env()['ROSTERSYNC_FUNCTIONS_URL']}/console"


@pytest.fixture
def district(sync_harness: SyncHarness) -> str:
    """A district with ADMIN as admin and TEACHER as teacher (staff documents only)."""
    district_id = f"console-{time.monotonic_ns() % 10**10}"
    staff = sync_harness.district(district_id).collection("staff")
    staff.document(safe_id(ADMIN)).set({"role": "admin"})
    staff.document(safe_id(TEACHER)).set({"role": "teacher"})
    return district_id


def _bearer(stack: LocalStack, email: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {id_token(stack, email)}"}


def _raw_get(url: str, path: str) -> int:
    """GET with the path sent exactly as written (requests would remove dot segments)."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    try:
        connection.request("GET", path)
        return connection.getresponse().status
    finally:
        connection.close()


def test_page_assets_and_config_have_their_types_cache_rules_and_csp(base: str) -> None:
    page = requests.get(f"{base}/", timeout=10)
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    csp = page.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "script-src 'self';" in csp
    assert "accounts.google.com" not in csp  # local issuer: only this origin
    assert "frame-ancestors 'none'" in csp and page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["Cache-Control"] == "no-cache" and page.headers["ETag"]
    assets = re.findall(r'(?:src|href)="(assets/[^"]+)"', page.text)
    assert {"assets/app.js", "assets/style.css"} <= set(assets)
    for asset, media in (("app.js", "text/javascript"), ("pages/runs.js", "text/javascript"),
                         ("style.css", "text/css")):  # fmt: skip
        answer = requests.get(f"{base}/assets/{asset}", timeout=10)
        assert answer.status_code == 200 and answer.headers["Content-Type"].startswith(media)
        assert answer.headers["Content-Security-Policy"] == csp
        again = requests.get(
            f"{base}/assets/{asset}", headers={"If-None-Match": answer.headers["ETag"]}, timeout=10
        )
        assert again.status_code == 304 and not again.content
    config = requests.get(f"{base}/config.json", timeout=10)
    assert config.headers["Content-Type"] == "application/json"
    assert config.headers["Cache-Control"] == "no-store"
    body = config.json()
    issuer = urlsplit(body["sign_in"]["url"])
    assert body["sign_in"]["kind"] == "local" and issuer.path == "/signin"
    assert issuer.hostname == "127.0.0.1"
    assert [v["key"] for v in body["vendors"]] == list(PRESETS)
    assert all(v["rostering_url_shape"] and v["label"] for v in body["vendors"])
    assert body["local_dev"] is True


def test_only_the_console_files_are_served(base: str) -> None:
    for path in (
        "/console/assets/../../main.py",
        "/console/assets/%2e%2e/%2e%2e/main.py",
        "/console/assets/..%2f..%2fshared/settings.py",
        "/console/assets/../console_api.py",
        "/console/static/../../main.py",
        "/console/assets/",
        "/console/assets/index.html",
        "/console/assets/pages",
        "/console/console_api.py",
        "/console/../healthz",
    ):
        assert _raw_get(base, path) in (404, 400), path
    missing = requests.get(f"{base}/assets/nothing.js", timeout=10)
    assert missing.status_code == 404
    assert missing.headers["Content-Type"] == "application/problem+json"
    assert "nothing.js" in missing.json()["detail"]
    posted = requests.post(f"{base}/", timeout=10)
    assert posted.status_code == 405 and posted.headers["Allow"] == "GET, HEAD"


def test_the_api_under_console_signs_in_as_sync_admin(
    base: str, district: str, sync_harness: SyncHarness
) -> None:
    """The contract hook checks each /console/api answer against sync_admin's operations."""
    path = f"/districts/{district}/settings"
    anonymous = requests.get(f"{base}/api{path}", timeout=10)
    assert anonymous.status_code == 401
    assert anonymous.headers["Content-Type"] == "application/problem+json"
    assert anonymous.headers["Cache-Control"] == "no-store"
    stack = sync_harness.stack
    teacher = requests.get(f"{base}/api{path}", headers=_bearer(stack, TEACHER), timeout=10)
    assert teacher.status_code == 403
    stranger = requests.get(
        f"{base}/api{path}", headers=_bearer(stack, "someone@else.example"), timeout=10
    )
    assert stranger.status_code == 404
    for method, rest, body in (
        ("GET", "/settings", None),
        ("GET", "/runs", None),
        ("GET", "/runs?limit=0", None),  # a 400 naming limit, from both
        ("PATCH", "/settings", {"guards": {"max_fraction": 5}}),
    ):
        headers = _bearer(stack, ADMIN)
        url = f"/districts/{district}{rest}"
        via_console = requests.request(
            method, f"{base}/api{url}", json=body, headers=headers, timeout=10
        )
        via_admin = requests.request(
            method,
            f"{sync_harness.functions}/sync_admin{url}",
            json=body,
            headers=headers,
            timeout=10,
        )
        assert via_console.status_code == via_admin.status_code, (rest, via_console.text)
        assert via_console.json() == via_admin.json()


def test_local_issuer_signin_redirects_a_token_to_the_console_only(
    base: str, district: str, local_stack: LocalStack
) -> None:
    signin = f"{local_stack.env()['ROSTERSYNC_ID_TOKEN_ISSUERS']}/signin"
    back = f"{base}/?district={district}"
    form = requests.get(signin, params={"redirect_uri": back}, timeout=10)
    assert form.status_code == 200 and form.headers["Content-Type"].startswith("text/html")
    assert 'id="signin-form"' in form.text and 'id="email"' in form.text
    answer = requests.post(
        signin, data={"redirect_uri": back, "email": ADMIN}, allow_redirects=False, timeout=10
    )
    assert answer.status_code == 303
    location, _, fragment = answer.headers["Location"].partition("#")
    assert location == back and fragment.startswith("id_token=")
    token = fragment.removeprefix("id_token=")
    assert token not in answer.text
    settings = requests.get(
        f"{base}/api/districts/{district}/settings",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert settings.status_code == 200  # verified with the stack's audience and issuer
    no_email = requests.post(signin, data={"redirect_uri": back, "email": "x"}, timeout=10)
    assert no_email.status_code == 400 and 'role="alert"' in no_email.text
    for elsewhere in (
        "https://127.0.0.1:8080/console/",
        "http://evil.example/console/",
        "http://127.0.0.1/console/",
        "http://127.0.0.1.evil.example:80/",
        "http://user@127.0.0.1:80/",
        "javascript:alert(1)",
        "",
    ):
        refusals = (
            requests.get(signin, params={"redirect_uri": elsewhere}, timeout=10),
            requests.post(signin, data={"redirect_uri": elsewhere, "email": ADMIN}, timeout=10),
        )
        for refused in refusals:
            assert refused.status_code == 400, elsewhere
            assert "Location" not in refused.headers


def test_the_bundle_ships_the_console_files() -> None:
    names = {name for name, _ in bundle_members()}
    assert {
        "shared/web/console/index.html",
        "shared/web/console/app.js",
        "shared/web/console/style.css",
        "shared/web/console/pages/run.js",
        "shared/web/console_api.py",
    } <= names
