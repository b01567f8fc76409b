"""Request authentication for a district: OAuth 2.0 client credentials (tokens cached per district
per instance, refreshed before expiry and once after a 401) or OAuth 1.0a request signing.

The protocol work is oauthlib's and requests-oauthlib's; this module decides when to fetch, cache
and drop tokens."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import requests
from oauthlib.oauth1 import SIGNATURE_HMAC_SHA1, SIGNATURE_HMAC_SHA256
from oauthlib.oauth2 import BackendApplicationClient, OAuth2Error
from pydantic import SecretStr
from requests_oauthlib import OAuth1

from shared.oneroster.errors import CredentialsError, PermanentError
from shared.oneroster.settings import OAUTH2_MODES, ConnectionSettings

# oauthlib and requests-oauthlib log signed headers, signature base strings and token bodies at
# DEBUG; those must never reach Cloud Logging, whatever level the root logger is set to.
for _chatty in ("oauthlib", "requests_oauthlib", "urllib3"):
    logging.getLogger(_chatty).setLevel(logging.WARNING)

REFRESH_MARGIN_SECONDS = 60.0  # refresh this long before expiry (and never later than 90% in)


class TokenFetcher(Protocol):
    def __call__(self, settings: ConnectionSettings, secret: SecretStr) -> requests.Response: ...


@dataclass(frozen=True)
class Token:
    access_token: str = field(repr=False)
    expires_at: float


class TokenCache:
    """Tokens of this instance, one per district connection; tolerant of parallel issuance."""

    def __init__(self) -> None:
        self._tokens: dict[tuple[str, str, str], Token] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str, str]) -> Token | None:
        with self._lock:
            return self._tokens.get(key)

    def put(self, key: tuple[str, str, str], token: Token) -> None:
        with self._lock:
            self._tokens[key] = token

    def drop(self, key: tuple[str, str, str], access_token: str) -> None:
        """Forgets the token only if it is still the one that failed (another thread may have
        refreshed it already)."""
        with self._lock:
            current = self._tokens.get(key)
            if current is not None and current.access_token == access_token:
                del self._tokens[key]

    def clear(self) -> None:
        with self._lock:
            self._tokens.clear()


TOKENS = TokenCache()


class RefreshableAuth(requests.auth.AuthBase):
    """An auth the transport can ask to renew its credentials once after a 401."""

    def renew(self, request: requests.PreparedRequest) -> None:
        raise NotImplementedError


class OAuth2ClientCredentials(RefreshableAuth):
    def __init__(
        self,
        settings: ConnectionSettings,
        secret: SecretStr,
        fetch: TokenFetcher,
        *,
        cache: TokenCache = TOKENS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self._secret = secret
        self._fetch = fetch
        self._cache = cache
        self._clock = clock
        self._key = (settings.district_id, settings.token_url or "", settings.client_id)
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"OAuth2ClientCredentials(district={self.settings.district_id!r})"

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self.access_token()}"
        return request

    def access_token(self) -> str:
        token = self._cache.get(self._key)
        if token is None or token.expires_at <= self._clock():
            with self._lock:
                token = self._cache.get(self._key)
                if token is None or token.expires_at <= self._clock():
                    token = self._new_token()
                    self._cache.put(self._key, token)
        return token.access_token

    def renew(self, request: requests.PreparedRequest) -> None:
        sent = (request.headers.get("Authorization") or "").removeprefix("Bearer ")
        self._cache.drop(self._key, sent)
        self(request)

    def _new_token(self) -> Token:
        response = self._fetch(self.settings, self._secret)
        if response.status_code in (400, 401, 403):
            raise CredentialsError(
                f"the token endpoint refused the access key and secret code "
                f"({response.status_code}); check both in the SIS, they may have expired"
            )
        client = BackendApplicationClient(client_id=self.settings.client_id)
        try:
            parsed = client.parse_request_body_response(response.text)
        except (OAuth2Error, ValueError) as exc:
            raise PermanentError(
                f"the token endpoint answered something that is not an OAuth 2.0 token "
                f"({type(exc).__name__}); check token_url"
            ) from None
        lifetime = _lifetime(parsed.get("expires_in"))
        refresh_in = max(1.0, min(lifetime - REFRESH_MARGIN_SECONDS, lifetime * 0.9))
        return Token(str(parsed["access_token"]), self._clock() + refresh_in)


def _lifetime(expires_in: object) -> float:
    try:
        return float(str(expires_in)) if expires_in not in (None, "") else 3600.0
    except ValueError:
        return 3600.0


def token_request_body(settings: ConnectionSettings, secret: SecretStr) -> str:
    client = BackendApplicationClient(client_id=settings.client_id)
    scope = " ".join(settings.scopes) or None
    if settings.auth_mode == "oauth2-body":
        return str(
            client.prepare_request_body(
                scope=scope, include_client_id=True, client_secret=secret.get_secret_value()
            )
        )
    return str(client.prepare_request_body(scope=scope, include_client_id=False))


class OAuth1Signing(RefreshableAuth):
    """Two-legged OAuth 1.0a: every request signed afresh (a new nonce makes a retry valid)."""

    def __init__(self, settings: ConnectionSettings, secret: SecretStr) -> None:
        method = (
            SIGNATURE_HMAC_SHA1
            if settings.auth_mode == "oauth1-hmac-sha1"
            else SIGNATURE_HMAC_SHA256
        )
        self._signer = OAuth1(
            settings.client_id,
            client_secret=secret.get_secret_value(),
            signature_method=method,
            signature_type="AUTH_HEADER",
        )
        self.district_id = settings.district_id

    def __repr__(self) -> str:
        return f"OAuth1Signing(district={self.district_id!r})"

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers.pop("Authorization", None)
        signed: requests.PreparedRequest = self._signer(request)
        return signed

    def renew(self, request: requests.PreparedRequest) -> None:
        self(request)


def make_auth(
    settings: ConnectionSettings,
    secret: SecretStr,
    fetch: TokenFetcher,
    *,
    cache: TokenCache = TOKENS,
    clock: Callable[[], float] = time.time,
) -> RefreshableAuth:
    if settings.auth_mode in OAUTH2_MODES:
        return OAuth2ClientCredentials(settings, secret, fetch, cache=cache, clock=clock)
    return OAuth1Signing(settings, secret)
