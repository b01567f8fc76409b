"""The local ID-token issuer: the stand-in for Google's sign-in on a developer machine and in the
tests. It signs RS256 ID tokens with its own key and serves the key's certificate at /certs in the
format of Google's v1 certs URL ({key id: PEM certificate}), so the API verifies local tokens with
the same google-auth code as Google's; only the certs URL and the issuer differ (settings).

    python -m tools.local_issuer serve --state-dir .stack --port N     (tools/localstack.py does)
    python -m tools.local_issuer token EMAIL [--audience A] [--state-dir .stack]

GET /token?email=E&audience=A (loopback only) returns {"id_token": ...}: the local Cloud Tasks
service fetches the OIDC token of a task's service account there, as Cloud Tasks mints one.

GET /signin?redirect_uri=U is the web console's stand-in for Google's sign-in page: a form asking
for an email; POST /signin mints a token for it (the stack's audience) and redirects the browser
to U#id_token=<token>, as an OAuth implicit flow returns a token in the fragment (never in a query
string, so no server log sees it). U must be an http://127.0.0.1:<port>/ URL, else 400.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import html
import json
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from google.auth import crypt, jwt
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

LOOPBACK = "127.0.0.1"
KEY_FILE, CERT_FILE, ISSUER_FILE = "issuer-key.pem", "issuer-cert.pem", "issuer.json"
DEFAULT_AUDIENCE = "rostersync-local"  # ROSTERSYNC_ID_TOKEN_AUDIENCE of the local stack
LIFETIME = 3600


@dataclass(frozen=True)
class IssuerKeys:
    key_pem: bytes
    cert_pem: bytes
    issuer: str

    @property
    def key_id(self) -> str:
        return hashlib.sha256(self.cert_pem).hexdigest()[:40]

    def certs(self) -> dict[str, str]:
        return {self.key_id: self.cert_pem.decode("ascii")}

    def mint(self, email: str, audience: str, *, lifetime: int = LIFETIME, **claims: Any) -> str:
        """A signed ID token for ``email``; ``claims`` override the defaults (tests use this to
        make expired, unverified or wrongly addressed tokens)."""
        now = int(time.time())
        payload = {
            "iss": self.issuer,
            "aud": audience,
            "sub": hashlib.sha256(email.encode()).hexdigest()[:21],
            "email": email,
            "email_verified": True,
            "iat": now,
            "exp": now + lifetime,
            **claims,
        }
        signer = crypt.RSASigner.from_string(self.key_pem, key_id=self.key_id)  # type: ignore[no-untyped-call]
        token: bytes = jwt.encode(signer, payload)  # type: ignore[no-untyped-call]
        return token.decode("ascii")


def create_keys(state_dir: Path, issuer: str) -> IssuerKeys:
    """A fresh RSA key and self-signed certificate, written to ``state_dir``."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "rostersync local issuer")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    keys = IssuerKeys(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
        cert.public_bytes(serialization.Encoding.PEM),
        issuer,
    )
    state_dir.mkdir(parents=True, exist_ok=True)
    (state_dir / KEY_FILE).write_bytes(keys.key_pem)
    (state_dir / KEY_FILE).chmod(0o600)
    (state_dir / CERT_FILE).write_bytes(keys.cert_pem)
    (state_dir / ISSUER_FILE).write_text(json.dumps({"issuer": issuer}))
    return keys


def load_keys(state_dir: Path) -> IssuerKeys:
    issuer = json.loads((state_dir / ISSUER_FILE).read_text())["issuer"]
    return IssuerKeys(
        (state_dir / KEY_FILE).read_bytes(), (state_dir / CERT_FILE).read_bytes(), issuer
    )


def stack_id_token(email: str, env: Mapping[str, str]) -> str:
    """An ID token for ``email`` from the running stack's issuer (``env`` is the stack's
    environment, as `python -m tools.localstack env` prints it)."""
    issuer = env["ROSTERSYNC_ID_TOKEN_ISSUERS"].split(",")[0]
    params = {"email": email, "audience": env["ROSTERSYNC_ID_TOKEN_AUDIENCE"]}
    response = requests.get(f"{issuer}/token", params=params, timeout=10)
    response.raise_for_status()
    return str(response.json()["id_token"])


SIGNIN_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in — local issuer</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font: 16px/1.5 system-ui, sans-serif; max-width: 32rem; margin: 3rem auto">
<h1>Sign in to Rostersync (local)</h1>
<p>This is the local stack's stand-in for Google sign-in: it signs an ID token for the email you
type, which the API verifies as it verifies Google's. There is no password.</p>
{error}
<form id="signin-form" method="post" action="/signin">
<input type="hidden" name="redirect_uri" value="{redirect_uri}">
<p><label for="email">Email</label><br>
<input id="email" name="email" type="email" required autocomplete="email" size="40"
 value="{email}" aria-describedby="email-help"><br>
<small id="email-help">`make up` makes admin@rusd.example.org an admin of district
demo-district.</small></p>
<p><button id="signin-submit" type="submit">Sign in</button></p>
</form>
<p>You will return to <code>{redirect_uri}</code>.</p>
</body></html>
"""
SIGNIN_CSP = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self' http://127.0.0.1:*"


def redirect_problem(redirect_uri: str) -> str | None:
    """Why ``redirect_uri`` may not receive a token (None when it may): only an
    http://127.0.0.1:<port>/ URL, without credentials or a fragment."""
    try:
        parts = urlsplit(redirect_uri)
        port = parts.port
    except ValueError:
        return "redirect_uri is not a URL"
    if parts.scheme != "http" or parts.hostname != LOOPBACK or port is None:
        return "redirect_uri must be an http://127.0.0.1:<port>/ URL (the local console)"
    if parts.username or parts.password or parts.fragment or not parts.path.startswith("/"):
        return "redirect_uri must have no user, password or fragment"
    return None


def _page(redirect_uri: str, email: str = "", error: str = "", status: int = 200) -> Response:
    shown = f'<p role="alert"><strong>{html.escape(error)}</strong></p>' if error else ""
    body = SIGNIN_PAGE.format(
        redirect_uri=html.escape(redirect_uri), email=html.escape(email), error=shown
    )
    headers = {"Content-Security-Policy": SIGNIN_CSP, "Cache-Control": "no-store"}
    return Response(body, status=status, mimetype="text/html", headers=headers)


def signin(request: Request, keys: IssuerKeys, audience: str) -> Response:
    """GET: the form; POST: a token for the typed email, in the redirect's fragment."""
    source = request.form if request.method == "POST" else request.args
    redirect_uri = source.get("redirect_uri", "")
    refused = redirect_problem(redirect_uri)
    if refused:
        return Response(refused + "\n", status=400, mimetype="text/plain")
    if request.method != "POST":
        return _page(redirect_uri)
    email = request.form.get("email", "").strip()
    if "@" not in email or len(email) > 254 or any(c.isspace() for c in email):
        return _page(
            redirect_uri, email, "Type an email address, e.g. admin@district.example.org", 400
        )
    token = keys.mint(email, audience)
    headers = {"Location": f"{redirect_uri}#id_token={token}", "Cache-Control": "no-store"}
    return Response("", status=303, headers=headers)


def app(keys: IssuerKeys, stack_audience: str = DEFAULT_AUDIENCE) -> Any:
    def wsgi(environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        if request.path == "/signin" and request.method in ("GET", "POST"):
            response = signin(request, keys, stack_audience)
        elif request.path == "/certs":
            body = json.dumps(keys.certs())
            response = Response(
                body, mimetype="application/json", headers={"Cache-Control": "public, max-age=300"}
            )
        elif request.path == "/token" and request.args.get("email"):
            audience = request.args.get("audience", DEFAULT_AUDIENCE)
            response = Response(
                json.dumps({"id_token": keys.mint(request.args["email"], audience)}),
                mimetype="application/json",
            )
        elif request.path == "/healthz":
            response = Response('{"status": "ok"}', mimetype="application/json")
        else:
            response = Response(
                '{"error": "GET /certs or /token?email=...&audience=..."}',
                status=404,
                mimetype="application/json",
            )
        return response(environ, start_response)

    return wsgi


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.local_issuer",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("command", choices=["serve", "token"])
    parser.add_argument("email", nargs="?")
    parser.add_argument("--state-dir", type=Path, default=Path(".stack"))
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--audience", default=DEFAULT_AUDIENCE)
    args = parser.parse_args(argv)
    if args.command == "token":
        if not args.email:
            parser.error("token needs an EMAIL")
        print(load_keys(args.state_dir).mint(args.email, args.audience))
        return 0
    server = make_server(
        LOOPBACK,
        args.port,
        app(create_keys(args.state_dir, f"http://{LOOPBACK}:{args.port}"), args.audience),
        threaded=True,
    )
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
