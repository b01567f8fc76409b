"""The value types of the CSV row models: each an ``Annotated`` type whose validator reads one
field as written and raises a ``PydanticCustomError`` whose type is the RowProblem code, whose
message is the reason, and whose context holds the fix. validate.py turns those errors into
RowProblems in one place. Pure."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Annotated, Any

from pydantic import BeforeValidator, ValidationInfo
from pydantic_core import PydanticCustomError

from shared.csvpackage.binding import OLD_STATUS, STATUSES

_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_USER_ID = re.compile(r"\{([^{}:]*):([^{}]*)\}")
_USER_IDS = re.compile(r"\s*\{[^{}:]*:[^{}]*\}\s*(,\s*\{[^{}:]*:[^{}]*\}\s*)*")
_BOOLEANS = {"true": True, "false": False}


def fail(code: str, reason: str, fix: str) -> PydanticCustomError:
    return PydanticCustomError(code, reason, {"fix": fix})


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _optional_text(value: Any) -> str | None:
    return _text(value) or None


def _required_text(value: Any) -> str:
    stripped = _text(value)
    if not stripped:
        raise fail("csv_value_missing", "the value is blank", "fill it in; the row needs it")
    return stripped


def _id_list(value: Any) -> tuple[str, ...]:
    return tuple(part.strip() for part in _text(value).split(",") if part.strip())


def _day(value: Any) -> str | None:
    raw = _text(value)
    if not raw:
        return None
    try:
        if _DAY.fullmatch(raw):
            dt.date.fromisoformat(raw)
            return raw
    except ValueError:
        pass
    raise fail(
        "csv_value_invalid",
        f"{raw!r} is not a date in ISO 8601 form (YYYY-MM-DD)",
        "write the date as YYYY-MM-DD, e.g. 2024-08-26",
    )


def _stamp(value: Any) -> str | None:
    raw = _text(value)
    if not raw:
        return None
    try:
        if _DAY.match(raw):
            dt.datetime.fromisoformat(raw)
            return raw
    except ValueError:
        pass
    raise fail(
        "csv_value_invalid",
        f"{raw!r} is not an ISO 8601 date-time",
        "write it as YYYY-MM-DDThh:mm:ss.sssZ, e.g. 2024-08-26T13:05:00.000Z",
    )


def _flag(value: Any) -> bool | None:
    raw = _text(value)
    if not raw:
        return None
    if raw.lower() in _BOOLEANS:
        return _BOOLEANS[raw.lower()]
    raise fail("csv_value_invalid", f"{raw!r} is not a boolean", "write true or false")


def _user_ids(value: Any) -> tuple[tuple[str, str], ...]:
    raw = _text(value)
    if not raw:
        return ()
    if not _USER_IDS.fullmatch(raw):
        raise fail(
            "csv_value_invalid",
            f"{raw!r} is not a list of {{type:identifier}} entries",
            "write each id as {type:identifier}, separated by commas, e.g. {LDAP:12345}",
        )
    return tuple((kind.strip(), ident.strip()) for kind, ident in _USER_ID.findall(raw))


def _version(info: ValidationInfo) -> str:
    context = info.context if isinstance(info.context, dict) else {}
    return str(context.get("version", ""))


def vocabulary(
    words: tuple[str, ...], label: str, required: bool = False
) -> Callable[[Any, ValidationInfo], str | None]:
    """A validator accepting the binding's words for ``label`` and any ``ext:`` value."""
    allowed = frozenset(words)

    def check(value: Any, info: ValidationInfo) -> str | None:
        raw = _required_text(value) if required else _text(value)
        if not raw:
            return None
        if raw in allowed or raw.startswith("ext:"):
            return raw
        raise fail(
            "csv_value_unknown",
            f"{raw!r} is not a OneRoster {_version(info)} {label}",
            f"use one of {', '.join(sorted(allowed))}, or an ext: value (words are case-sensitive)",
        )

    return check


def _status(value: Any, info: ValidationInfo) -> str:
    """Blank = active in a bulk file (the binding leaves bulk status blank); a delta row must say;
    ``inactive`` (1.0's word) is read as tobedeleted with a warning; anything else is refused."""
    context = info.context if isinstance(info.context, dict) else {}
    raw = _text(value)
    word = raw.lower()
    if not raw:
        if context.get("mode") == "delta":
            raise fail(
                "csv_value_missing",
                "a delta file's row must state its status",
                "write active or tobedeleted",
            )
        return "active"
    if word in STATUSES:
        return word
    if word == OLD_STATUS:
        context.setdefault("notes", []).append(("csv_status_outside_version", "status", raw))
        return "tobedeleted"
    raise fail(
        "csv_value_unknown",
        f"{raw!r} is not a OneRoster {_version(info)} status",
        "write active, or tobedeleted for a record that is gone",
    )


Text = Annotated[str | None, BeforeValidator(_optional_text)]
Id = Annotated[str, BeforeValidator(_required_text)]
Ids = Annotated[tuple[str, ...], BeforeValidator(_id_list)]
Day = Annotated[str | None, BeforeValidator(_day)]
Stamp = Annotated[str | None, BeforeValidator(_stamp)]
Flag = Annotated[bool | None, BeforeValidator(_flag)]
UserIds = Annotated[tuple[tuple[str, str], ...], BeforeValidator(_user_ids)]
Status = Annotated[str, BeforeValidator(_status)]


def status_rule(version: str) -> str:
    return (
        f"'inactive' is a OneRoster 1.0 status, outside the {version} vocabulary (active, "
        "tobedeleted); it is read as tobedeleted"
    )
