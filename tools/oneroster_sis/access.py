"""Who may call the OneRoster API: the OAuth 2.0 token endpoint, and the credential check (a bearer
token, or an OAuth 1.0a signature on 1.1) in front of every other endpoint."""

from __future__ import annotations

from werkzeug.wrappers import Response

from tools.oneroster_sis.config import V11
from tools.oneroster_sis.responses import json_response
from tools.oneroster_sis.state import Call


def issue_token(call: Call) -> Response:
    """The client-credentials token endpoint (its route is public)."""
    sis, request = call.sis, call.request
    status, body = sis.issuer.issue(request.headers.get("Authorization"), request.form)
    if status != 200 and sis.config.quirks.code_minor_as_string and "imsx_CodeMinor" in body:
        body = {**body, "imsx_CodeMinor": "unauthorisedrequest"}
    return json_response(body, status, {"Cache-Control": "no-store"})


def authorized(call: Call) -> bool:
    sis, request = call.sis, call.request
    authorization = request.headers.get("Authorization")
    if authorization and authorization[:7].lower() == "bearer ":
        return sis.issuer.check_bearer(authorization)
    signed = (authorization or "").startswith("OAuth ") or "oauth_signature" in request.args
    if signed and call.version == V11 and sis.config.accept_oauth1:
        return sis.oauth1.verify(
            request.method, request.url, dict(request.headers), request.get_data()
        )
    return False
