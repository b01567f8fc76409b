"""ID and OIDC tokens verified with google-auth: the RS256 signature against the certificates at
the certs URL (Google's in production, the local issuer's on a developer machine), the expiry, the
audience and the issuer. Certificates are cached for the max-age their URL announces."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Sequence
from typing import Any

from shared.errors import Unauthenticated

CLOCK_SKEW_SECONDS = 10
DEFAULT_CERTS_TTL = 300.0


class GoogleTokenVerifier:
    def __init__(self, certs_url: str, issuers: Sequence[str]) -> None:
        import requests

        self._certs_url = certs_url
        self._issuers = frozenset(issuers)
        self._session = requests.Session()
        self._certs: dict[str, str] = {}
        self._expires = 0.0
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"GoogleTokenVerifier(certs_url={self._certs_url!r})"

    def _fetch(self) -> dict[str, str]:
        response = self._session.get(self._certs_url, timeout=10)
        response.raise_for_status()
        age = re.search(r"max-age=(\d+)", response.headers.get("Cache-Control", ""))
        self._expires = time.monotonic() + (float(age.group(1)) if age else DEFAULT_CERTS_TTL)
        certs: dict[str, str] = response.json()
        return certs

    def _certificates(self, refresh: bool = False) -> dict[str, str]:
        with self._lock:
            if refresh or not self._certs or time.monotonic() >= self._expires:
                self._certs = self._fetch()
            return self._certs

    def _decode(self, token: str, audience: str | None) -> dict[str, Any]:
        from google.auth import exceptions, jwt

        for refresh in (False, True):  # a key rotated since the last fetch: fetch once more
            try:
                claims: dict[str, Any] = jwt.decode(  # type: ignore[no-untyped-call]
                    token,
                    certs=self._certificates(refresh),
                    audience=audience,
                    clock_skew_in_seconds=CLOCK_SKEW_SECONDS,
                )
                return claims
            except ValueError as exc:
                if refresh or "Certificate for key id" not in str(exc):
                    raise
            except exceptions.GoogleAuthError:
                raise ValueError("token rejected") from None
        raise ValueError("token rejected")

    def verify(self, token: str, audience: str | None) -> dict[str, Any]:
        try:
            claims = self._decode(token, audience)
        except ValueError:
            raise Unauthenticated("the ID token is invalid or expired; sign in again") from None
        except OSError:
            raise Unauthenticated("the sign-in certificates could not be read; try again") from None
        if claims.get("iss") not in self._issuers:
            raise Unauthenticated("the ID token was not issued by a trusted issuer; sign in again")
        return claims
