"""Google-signed ID and OIDC tokens, verified with google-auth: signature from Google's certs,
issuer, audience and expiry."""

from __future__ import annotations

from typing import Any

from shared.errors import Unauthenticated


class GoogleTokenVerifier:
    def __init__(self) -> None:
        from google.auth.transport import requests as google_requests

        self._request = google_requests.Request()

    def verify(self, token: str, audience: str | None) -> dict[str, Any]:
        from google.auth import exceptions
        from google.oauth2 import id_token

        try:
            claims: dict[str, Any] = id_token.verify_oauth2_token(  # type: ignore[no-untyped-call]
                token, self._request, audience=audience
            )
        except (ValueError, exceptions.GoogleAuthError):
            raise Unauthenticated("the ID token is invalid or expired; sign in again") from None
        return claims
