"""Who may call the OneRoster API: the OAuth 2.0 token endpoint, and the credential check (a bearer
token, or an OAuth 1.0a signature on 1.1) in front of every other endpoint."""

from __future__ import annotations

from werkzeug.wrappers import Response

from tools.oneroster_sis.config import V11
from tools.oneroster_sis.responses import ApiError, json_response
from tools.oneroster_sis.state import Call


def issue_token(call: Call) -> Response:
    """The client-credentials token endpoint (its route is public)."""
    sis, request = call.sis, call.request
    status, body = sis.issuer.issue(request.headers.get("Authorization"), request.form)
    if status != 200 and sis.config.quirks.code_minor_as_string and "imsx_CodeMinor" in body:
        body = {**body, "imsx_CodeMinor": "unauthorisedrequest"}
    return json_response(body, status, {"Cache-Control": "no-store"})


def needed_scopes(call: Call) -> frozenset[str]:
    """Any one of these scopes allows the call (official 1.2 OpenAPI ``security`` per path; the
    ``.readonly`` read scopes, ``createput`` for PUT, ``delete`` for DELETE)."""
    method = call.request.method
    if method == "PUT":
        return frozenset({"gradebook.createput"})
    if method == "POST":
        return frozenset({"gradebook.createpost"})
    if method == "DELETE":
        return frozenset({"gradebook.delete"})
    if call.service == "gradebook" or call.path.startswith(("/lineItems", "/results", "/categ")):
        return frozenset({"gradebook.readonly", "gradebook-core.readonly"})
    if call.path.startswith("/demographics"):
        return frozenset({"roster-demographics.readonly"})
    return frozenset({"roster.readonly", "roster-core.readonly"})


def check_scope(call: Call) -> None:
    """403 with an imsx body when the call's bearer token lacks the scope it needs (OAuth 1.0a
    requests carry no scopes and are not checked)."""
    authorization = call.request.headers.get("Authorization") or ""
    if authorization[:7].lower() != "bearer ":
        return
    granted = call.sis.issuer.bearer_scopes(authorization) or frozenset()
    needed = needed_scopes(call)
    if not granted & needed:
        raise ApiError(
            403,
            "forbidden",
            f"The access token was not granted the scope this call needs: one of {sorted(needed)}.",
        )


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
