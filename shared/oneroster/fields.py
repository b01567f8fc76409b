"""Lenient readers for single OneRoster fields: booleans as bools, strings or numbers; explicit
nulls; references as GUIDRef objects with absolute, relative or missing hrefs, or as bare ids;
``inactive`` read as ``tobedeleted``. Pure: no I/O."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

ACTIVE, TOBEDELETED = "active", "tobedeleted"
_STATUS = {
    None: ACTIVE,
    "": ACTIVE,
    "active": ACTIVE,
    "tobedeleted": TOBEDELETED,
    "inactive": TOBEDELETED,
    "deleted": TOBEDELETED,
}
_TRUE = {"true", "1", "yes", "y", "t"}
_FALSE = {"false", "0", "no", "n", "f", ""}


class RecordProblem(ValueError):
    """Why one record cannot be used."""


def text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        stripped = value.strip()
        return stripped or None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return None


def boolean(value: Any, default: bool) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False if lowered else default
    return default


def number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str) and value.strip():
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


def date(value: Any) -> dt.date | None:
    raw = text(value)
    if raw is None:
        return None
    try:
        return dt.date.fromisoformat(raw[:10])
    except ValueError:
        return None


def ref_id(value: Any) -> str | None:
    """The sourcedId of a GUIDRef (absolute, relative or missing href) or of a bare id."""
    if isinstance(value, Mapping):
        return text(value.get("sourcedId"))
    return text(value)


def ref_ids(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    items = value if isinstance(value, list) else [value]
    return tuple(dict.fromkeys(i for i in (ref_id(v) for v in items) if i))


def strings(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(p.strip() for p in value.split(",") if p.strip())
    if isinstance(value, list):
        return tuple(t for t in (text(v) for v in value) if t)
    return ()


def status_of(value: Any) -> str:
    key = value.strip().lower() if isinstance(value, str) else value
    if key not in _STATUS:
        raise RecordProblem(f"status {value!r} is neither active nor tobedeleted")
    return _STATUS[key]
