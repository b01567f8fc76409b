"""Who is calling: Google-signed ID tokens for admins and teachers, OIDC tokens from Cloud Tasks
and Cloud Scheduler for task handlers. Verification uses google-auth.

In local development mode (and only there) a caller may present ``Bearer local-dev:<email>``,
the local development issuer, and task handlers accept the Cloud Tasks emulator's calls, which
carry the ``X-CloudTasks-*`` headers but no token.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from shared.ids import safe_id
from shared.settings import Settings

if TYPE_CHECKING:
    from google.cloud.firestore import Client

LOCAL_PREFIX = "local-dev:"


class AuthError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


@dataclass(frozen=True)
class Caller:
    email: str


def _bearer(headers: Mapping[str, str]) -> str:
    authorization = headers.get("Authorization", "")
    if not authorization.lower().startswith("bearer ") or not authorization[7:].strip():
        raise AuthError(401, "sign in: send a Google ID token as 'Authorization: Bearer <token>'")
    return authorization[7:].strip()


def _verify_google(token: str, audience: str | None) -> dict[str, Any]:
    from google.auth import exceptions
    from google.auth.transport import requests as google_requests
    from google.oauth2 import id_token

    try:
        info: dict[str, Any] = id_token.verify_oauth2_token(  # type: ignore[no-untyped-call]
            token, google_requests.Request(), audience=audience
        )
    except (ValueError, exceptions.GoogleAuthError):
        raise AuthError(401, "the ID token is invalid or expired; sign in again") from None
    return info


def verify_user(headers: Mapping[str, str], settings: Settings) -> Caller:
    token = _bearer(headers)
    if settings.local_dev and token.startswith(LOCAL_PREFIX):
        email = token[len(LOCAL_PREFIX) :].strip().lower()
        if "@" not in email:
            raise AuthError(401, "local development tokens look like local-dev:<email>")
        return Caller(email)
    info = _verify_google(token, settings.id_token_audience)
    if not info.get("email") or not info.get("email_verified"):
        raise AuthError(401, "the ID token carries no verified email")
    return Caller(str(info["email"]).lower())


def verify_task_caller(headers: Mapping[str, str], settings: Settings) -> None:
    """Only Cloud Tasks (or Cloud Scheduler) with the configured service account may call."""
    if settings.local_dev and not headers.get("Authorization"):
        if not any(h.lower().startswith("x-cloudtasks-") for h in headers):
            raise AuthError(403, "task handlers accept only Cloud Tasks calls")
        return
    token = _bearer(headers)
    info = _verify_google(token, None)
    audiences = {settings.functions_url, settings.sync_task_url, settings.export_task_url} - {None}
    if info.get("aud") not in audiences:
        raise AuthError(403, "the token was not minted for this service")
    if not settings.tasks_service_account or info.get("email") != settings.tasks_service_account:
        raise AuthError(403, "task handlers accept only the task service account")


def staff_role(db: Client, district_id: str, caller: Caller) -> dict[str, Any]:
    """The caller's role in the district (``districts/{d}/staff/{email}``); 403 when none."""
    snapshot = (
        db.collection("districts")
        .document(district_id)
        .collection("staff")
        .document(safe_id(caller.email))
        .get()
    )
    if not snapshot.exists:
        raise AuthError(403, "you are not a member of this district")
    data: dict[str, Any] = snapshot.to_dict() or {}
    return data


def require_admin(db: Client, district_id: str, caller: Caller) -> None:
    if staff_role(db, district_id, caller).get("role") != "admin":
        raise AuthError(403, "only district admins can do this")
