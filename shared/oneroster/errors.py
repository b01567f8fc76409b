"""Every way a OneRoster call can fail, classified once: transient (retry) or permanent (record,
tell the admin the cause and the fix, stop retrying)."""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass
from typing import Any


class Action(enum.Enum):
    RETRY = "retry"  # transient: back off and try again, then raise TransientError
    REFRESH_THEN_FAIL = "refresh-then-fail"  # 401: new token once, then CredentialsError
    FAIL = "fail"  # permanent: raise at once


@dataclass(frozen=True)
class Outcome:
    action: Action
    cause: str
    fix: str


# One table for every HTTP status the client can meet. Unlisted 4xx are permanent and unlisted 5xx
# transient (see `outcome_for_status`).
STATUS_TABLE: dict[int, Outcome] = {
    400: Outcome(
        Action.FAIL,
        "the SIS rejected the request (400)",
        "check that the SIS supports the filter, sort and fields Rostersync sends",
    ),
    401: Outcome(
        Action.REFRESH_THEN_FAIL,
        "the SIS rejected the credentials (401)",
        "check the access key and secret code; they may have expired in the SIS",
    ),
    403: Outcome(
        Action.FAIL,
        "the SIS refused access (403)",
        "grant the OneRoster scopes Rostersync needs to this key in the SIS",
    ),
    404: Outcome(
        Action.FAIL,
        "the SIS has no such endpoint or record (404)",
        "check the base URL against the vendor's URL shape",
    ),
    405: Outcome(
        Action.FAIL,
        "the SIS does not support this operation (405)",
        "this SIS cannot do this through OneRoster; check the vendor's documentation",
    ),
    409: Outcome(
        Action.FAIL,
        "the SIS reported a conflict (409)",
        "the record was changed in the SIS; retry the export later",
    ),
    422: Outcome(
        Action.FAIL,
        "the SIS rejected the data sent (422)",
        "see the SIS's description; the record must be corrected before it is sent",
    ),
    429: Outcome(
        Action.RETRY,
        "the SIS is rate limiting requests (429)",
        "none needed; Rostersync slows down and retries",
    ),
    500: Outcome(
        Action.RETRY,
        "the SIS had an internal error (500)",
        "none needed if it passes; otherwise contact the SIS vendor",
    ),
    502: Outcome(
        Action.RETRY,
        "a gateway in front of the SIS failed (502)",
        "none needed if it passes; otherwise check the SIS is up",
    ),
    503: Outcome(
        Action.RETRY,
        "the SIS is unavailable (503)",
        "none needed if it passes; otherwise check the SIS is up",
    ),
    504: Outcome(
        Action.RETRY,
        "a gateway in front of the SIS timed out (504)",
        "none needed if it passes; otherwise check the SIS is up",
    ),
}
TIMEOUT = Outcome(
    Action.RETRY,
    "the SIS did not answer in time",
    "none needed if it passes; a slow SIS may need a larger read timeout",
)
CONNECTION = Outcome(
    Action.RETRY,
    "could not connect to the SIS",
    "check the host name and that the SIS is reachable from the internet",
)
UNPARSEABLE = Outcome(
    Action.RETRY,
    "the SIS sent a response that is not OneRoster JSON",
    "check the base URL points at the OneRoster API, not a web page",
)


def outcome_for_status(status: int) -> Outcome:
    if status in STATUS_TABLE:
        return STATUS_TABLE[status]
    if status >= 500:
        return Outcome(Action.RETRY, f"the SIS failed ({status})", "none needed if it passes")
    return Outcome(
        Action.FAIL,
        f"the SIS answered {status}",
        "check the connection settings against the vendor's documentation",
    )


class OneRosterError(Exception):
    """Base of every client error. The message names the cause and the fix and holds no secret."""

    transient = False

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        url: str = "",
        code_minor: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.url = url  # always masked
        self.code_minor = code_minor

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, status={self.status})"


class TransientError(OneRosterError):
    """Retries were exhausted on a failure that may pass: let the task queue retry later."""

    transient = True

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.retry_after = retry_after


class PermanentError(OneRosterError):
    """Retrying will not help: record it on the run and tell the admin."""


class CredentialsError(PermanentError):
    """The token endpoint or the API refused the credentials, after one fresh token."""


class ConfigurationError(PermanentError):
    """The connection settings are wrong or unsafe (URL shape, scheme, address)."""


class PagingError(PermanentError):
    """The SIS pages inconsistently (ignores offset, never ends)."""


@dataclass(frozen=True)
class StatusInfo:
    code_major: str | None
    severity: str | None
    description: str | None
    code_minor: str | None


def parse_status_info(body: bytes | str) -> StatusInfo | None:
    """Reads imsx_StatusInfo leniently: 1.2 objects, 1.1 `statusInfoSet`, codeMinor as a string."""
    try:
        data = json.loads(body) if body else None
    except (ValueError, UnicodeDecodeError):
        return None
    if isinstance(data, dict) and isinstance(data.get("statusInfoSet"), list):
        data = data["statusInfoSet"][0] if data["statusInfoSet"] else None
    if isinstance(data, dict) and isinstance(data.get("imsx_StatusInfo"), dict):
        data = data["imsx_StatusInfo"]
    if not isinstance(data, dict) or not any(k.startswith("imsx_") for k in data):
        return None
    return StatusInfo(
        _text(data.get("imsx_codeMajor")),
        _text(data.get("imsx_severity")),
        _text(data.get("imsx_description")),
        _code_minor(data),
    )


def _code_minor(data: dict[str, Any]) -> str | None:
    minor = data.get("imsx_CodeMinor", data.get("imsx_codeMinor"))
    if isinstance(minor, str):
        return minor
    if isinstance(minor, dict):
        fields = minor.get("imsx_codeMinorField")
        if isinstance(fields, dict):
            fields = [fields]
        if isinstance(fields, list) and fields and isinstance(fields[0], dict):
            return _text(fields[0].get("imsx_codeMinorFieldValue"))
    return None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
