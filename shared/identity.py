"""Who is calling: signed ID tokens for admins and teachers, OIDC tokens from Cloud Tasks and
Cloud Scheduler for task handlers. Verification itself is an adapter (a TokenVerifier: signature,
expiry, audience, issuer); roles and district membership come from the district's staff
documents. The same code runs locally, where the tokens come from the local issuer."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from shared.errors import Forbidden, NotFound, Unauthenticated
from shared.settings import Settings
from shared.store import layout
from shared.store.ports import DocumentStore


class TokenVerifier(Protocol):
    def verify(self, token: str, audience: str | None) -> dict[str, Any]:
        """The token's claims; raises Unauthenticated when it is not valid."""
        ...


@dataclass(frozen=True)
class Caller:
    email: str


def _bearer(headers: Mapping[str, str]) -> str:
    authorization = headers.get("Authorization", "")
    if not authorization.lower().startswith("bearer ") or not authorization[7:].strip():
        raise Unauthenticated("sign in: send a Google ID token as 'Authorization: Bearer <token>'")
    return authorization[7:].strip()


def verify_user(headers: Mapping[str, str], settings: Settings, tokens: TokenVerifier) -> Caller:
    token = _bearer(headers)
    if not settings.id_token_audience:
        raise Unauthenticated("sign-in is not configured here (no ROSTERSYNC_ID_TOKEN_AUDIENCE)")
    info = tokens.verify(token, settings.id_token_audience)
    if not info.get("email") or not info.get("email_verified"):
        raise Unauthenticated("the ID token carries no verified email")
    return Caller(str(info["email"]).lower())


def verify_task_caller(
    headers: Mapping[str, str], settings: Settings, tokens: TokenVerifier
) -> None:
    """Only Cloud Tasks (or Cloud Scheduler) with the configured service account may call."""
    info = tokens.verify(_bearer(headers), None)
    if info.get("aud") not in settings.task_audiences():
        raise Forbidden("the token was not minted for this service")
    if not settings.tasks_service_account or info.get("email") != settings.tasks_service_account:
        raise Forbidden("task handlers accept only the task service account")


NOT_YOURS = (
    "no such district among yours; check the district id, or ask its admin to add you as staff"
)


def staff_role(store: DocumentStore, district_id: str, caller: Caller) -> dict[str, Any]:
    """The caller's role in the district (``districts/{d}/staff/{email}``). A caller who is not
    a member gets 404, the answer for a district that does not exist: no existence leak."""
    role = store.get(layout.staff(district_id, caller.email))
    if role is None:
        raise NotFound(NOT_YOURS)
    return role


def require_admin(store: DocumentStore, district_id: str, caller: Caller) -> None:
    if staff_role(store, district_id, caller).get("role") != "admin":
        raise Forbidden("only district admins can do this")
