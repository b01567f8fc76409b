"""Auth of the local SIS: an OAuth 2.0 client-credentials token endpoint and OAuth 1.0a two-legged
signature verification (HMAC-SHA256 and HMAC-SHA1) through oauthlib."""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
import threading
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote_plus

from oauthlib.oauth1 import (
    SIGNATURE_HMAC_SHA1,
    SIGNATURE_HMAC_SHA256,
    RequestValidator,
    SignatureOnlyEndpoint,
)

from tools.oneroster_sis import imsx

# What a client that asks for no scope is granted: everything the app uses. Scopes are the 1.2
# OpenAPI files' securitySchemes (specs/) and the 1.1 ones (roster, gradebook, delete).
DEFAULT_SCOPE = " ".join(
    f"https://purl.imsglobal.org/spec/or/v1p2/scope/{name}"
    for name in (
        "roster.readonly",
        "roster-demographics.readonly",
        "gradebook.readonly",
        "gradebook.createput",
        "gradebook.delete",
    )
)


def scope_names(scope: str) -> frozenset[str]:
    """The short names (``gradebook.createput``) of a space-separated scope string; 1.1 and 1.2
    scope URIs differ only in their version segment."""
    return frozenset(part.rsplit("/", 1)[-1] for part in scope.split() if part)


def _client_from_basic(authorization: str | None) -> tuple[str, str] | None:
    if not authorization or authorization[:6].lower() != "basic ":
        return None
    try:
        decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        return None
    return unquote_plus(client_id), unquote_plus(secret)


class TokenIssuer:
    """Issues opaque bearer tokens with a lifetime; checks and expires them."""

    def __init__(
        self,
        clients: Mapping[str, str],
        lifetime_seconds: int = 3600,
        expires_in_as_string: bool = False,
    ) -> None:
        self._clients = dict(clients)
        self.lifetime_seconds = lifetime_seconds
        self.expires_in_as_string = expires_in_as_string
        self.tokens_issued = 0
        self._tokens: dict[str, tuple[float, frozenset[str]]] = {}
        self._lock = threading.Lock()

    def set_clients(self, clients: Mapping[str, str]) -> None:
        with self._lock:
            self._clients = dict(clients)

    def _known(self, client_id: str, secret: str) -> bool:
        expected = self._clients.get(client_id)
        return expected is not None and hmac.compare_digest(
            expected.encode("utf-8"), secret.encode("utf-8")
        )

    def issue(
        self, authorization: str | None, form: Mapping[str, str]
    ) -> tuple[int, dict[str, Any]]:
        if form.get("grant_type") != "client_credentials":
            return 400, {
                "error": "unsupported_grant_type",
                **imsx.error_body("invaliddata", "grant_type must be client_credentials."),
            }
        credentials = _client_from_basic(authorization)
        if credentials is None and form.get("client_id"):
            credentials = (form.get("client_id", ""), form.get("client_secret", ""))
        if credentials is None or not self._known(*credentials):
            return 401, {
                "error": "invalid_client",
                **imsx.error_body("unauthorisedrequest", "Unknown client or wrong secret."),
            }
        token = secrets.token_urlsafe(32)
        scope = form.get("scope") or DEFAULT_SCOPE
        with self._lock:
            self._tokens[token] = (time.monotonic() + self.lifetime_seconds, scope_names(scope))
            self.tokens_issued += 1
        expires: int | str = self.lifetime_seconds
        if self.expires_in_as_string:
            expires = str(expires)
        return 200, {
            "access_token": token,
            "token_type": "bearer",
            "expires_in": expires,
            "scope": scope,
        }

    def check_bearer(self, authorization: str) -> bool:
        return self.bearer_scopes(authorization) is not None

    def bearer_scopes(self, authorization: str) -> frozenset[str] | None:
        """The scopes a live bearer token was granted; None for an unknown or expired one."""
        token = authorization[7:].strip()
        with self._lock:
            entry = self._tokens.get(token)
            if entry is None:
                return None
            if entry[0] <= time.monotonic():
                del self._tokens[token]
                return None
            return entry[1]

    def expire_all(self) -> None:
        with self._lock:
            self._tokens.clear()


class _Validator(RequestValidator):  # type: ignore[misc]
    enforce_ssl = False
    allowed_signature_methods = (SIGNATURE_HMAC_SHA1, SIGNATURE_HMAC_SHA256)
    dummy_client = "unknown-client"

    def __init__(self, verifier: OAuth1Verifier) -> None:
        super().__init__()
        self._verifier = verifier

    def check_client_key(self, client_key: str) -> bool:
        return 0 < len(client_key) <= 256

    def check_nonce(self, nonce: str) -> bool:
        return 8 <= len(nonce) <= 128

    def validate_client_key(self, client_key: str, request: Any) -> bool:
        return client_key in self._verifier.clients

    def get_client_secret(self, client_key: str, request: Any) -> str:
        return self._verifier.clients.get(client_key, "not-a-client-secret")

    def validate_timestamp_and_nonce(
        self,
        client_key: str,
        timestamp: str,
        nonce: str,
        request: Any,
        request_token: str | None = None,
        access_token: str | None = None,
    ) -> bool:
        return self._verifier.fresh_nonce(client_key, timestamp, nonce)


class OAuth1Verifier:
    """Verifies two-legged OAuth 1.0a signed requests; refuses a replayed nonce."""

    def __init__(self, clients: Mapping[str, str]) -> None:
        self.clients = dict(clients)
        self._nonces: dict[tuple[str, str, str], float] = {}
        self._lock = threading.Lock()
        self._endpoint = SignatureOnlyEndpoint(_Validator(self))

    def fresh_nonce(self, client_key: str, timestamp: str, nonce: str) -> bool:
        now = time.monotonic()
        with self._lock:
            if len(self._nonces) > 100_000:
                self._nonces = {k: v for k, v in self._nonces.items() if v > now - 900}
            key = (client_key, timestamp, nonce)
            if key in self._nonces:
                return False
            self._nonces[key] = now
            return True

    def verify(self, method: str, url: str, headers: Mapping[str, str], body: bytes) -> bool:
        valid, _request = self._endpoint.validate_request(
            url,
            http_method=method,
            body=body.decode("utf-8", "replace") or None,
            headers=dict(headers),
        )
        return bool(valid)
