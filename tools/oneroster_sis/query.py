"""OneRoster query parameters: filter, sort/orderBy, fields, limit/offset, and Link headers.

Sources: the OneRoster 1.1 final specification
(https://www.imsglobal.org/oneroster-v11-final-specification, filtering at #_Toc480451997), the
OneRoster 1.2 rostering REST binding
(https://www.imsglobal.org/sites/default/files/spec/oneroster/v1p2/rostering-restbinding/OneRosterv1p2RosteringService_RESTBindv1p0.html)
and the official 1.2 OpenAPI files in ``specs/`` (``limit`` defaults to 100; ``X-Total-Count``;
next/prev/first/last links, which servers send as an HTTP ``Link`` header).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

DEFAULT_LIMIT = 100
RecordT = TypeVar("RecordT", bound=Mapping[str, Any])
OPERATORS = ("!=", ">=", "<=", "=", ">", "<", "~")
_PREDICATE = re.compile(
    r"""\s*(?P<field>[A-Za-z][A-Za-z0-9_.]*)\s*(?P<op>!=|>=|<=|=|>|<|~)\s*
        '(?P<value>.*?)'(?=\s*$|\s+(?:AND|OR)\s)""",
    re.VERBOSE | re.DOTALL,
)
_JOIN = re.compile(r"\s+(AND|OR)\s+")


class QueryError(ValueError):
    """A query parameter the server cannot honour; answered with 400 and this codeMinor."""

    def __init__(self, code_minor: str, description: str) -> None:
        super().__init__(description)
        self.code_minor = code_minor


@dataclass(frozen=True)
class Predicate:
    field: str
    op: str
    value: str


@dataclass(frozen=True)
class Filter:
    predicates: tuple[Predicate, ...]
    join: str = "AND"


def parse_filter(text: str, allowed: frozenset[str]) -> Filter:
    predicates: list[Predicate] = []
    joins: list[str] = []
    rest = text
    while True:
        match = _PREDICATE.match(rest)
        if not match:
            raise QueryError(
                "invalid_filter_field",
                f"filter {text!r} is not of the form field<op>'value' [AND|OR field<op>'value'] "
                f"with op one of {' '.join(OPERATORS)}",
            )
        name = match["field"]
        if name.split(".", 1)[0] not in allowed:
            raise QueryError(
                "invalid_filter_field", f"filter field {name!r} is not a field of this resource"
            )
        predicates.append(Predicate(name, match["op"], match["value"]))
        rest = rest[match.end() :]
        if not rest.strip():
            break
        join = _JOIN.match(rest)
        if not join:
            raise QueryError("invalid_filter_field", f"cannot parse the filter after {text!r}")
        joins.append(join.group(1))
        rest = rest[join.end() :]
    if len(predicates) > 2 or len(set(joins)) > 1:
        raise QueryError("invalid_filter_field", "a filter has at most two predicates")
    return Filter(tuple(predicates), joins[0] if joins else "AND")


def _lookup(record: Mapping[str, Any], dotted: str) -> Any:
    value: Any = record
    for part in dotted.split("."):
        if isinstance(value, Mapping):
            value = value.get(part)
        elif isinstance(value, list):
            value = [v.get(part) for v in value if isinstance(v, Mapping)]
        else:
            return None
    if isinstance(value, Mapping) and "sourcedId" in value:
        return value["sourcedId"]
    return value


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _parse_time(text: str) -> dt.datetime | None:
    if len(text) < 10 or text[4:5] != "-":
        return None
    try:
        parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _compare(actual: str, op: str, wanted: str) -> bool:
    if op == "~":
        return wanted.lower() in actual.lower()
    if op in ("=", "!="):
        equal = actual == wanted
        if not equal:
            left, right = _parse_time(actual), _parse_time(wanted)
            equal = left is not None and left == right
        return equal if op == "=" else not equal
    left_key: Any = actual
    right_key: Any = wanted
    left_time, right_time = _parse_time(actual), _parse_time(wanted)
    if left_time is not None and right_time is not None:
        left_key, right_key = left_time, right_time
    else:
        with contextlib.suppress(ValueError):
            left_key, right_key = float(actual), float(wanted)
    if op == ">":
        return bool(left_key > right_key)
    if op == ">=":
        return bool(left_key >= right_key)
    if op == "<":
        return bool(left_key < right_key)
    return bool(left_key <= right_key)


def _predicate_holds(predicate: Predicate, record: Mapping[str, Any]) -> bool:
    value = _lookup(record, predicate.field)
    values = value if isinstance(value, list) else [value]
    return any(_compare(_as_text(v), predicate.op, predicate.value) for v in values)


def matches(flt: Filter, record: Mapping[str, Any]) -> bool:
    results = (_predicate_holds(p, record) for p in flt.predicates)
    return any(results) if flt.join == "OR" else all(results)


def parse_sort(
    sort: str | None, order_by: str | None, allowed: frozenset[str]
) -> tuple[str, bool] | None:
    if order_by and order_by.lower() not in ("asc", "desc"):
        raise QueryError("invaliddata", f"orderBy must be asc or desc, not {order_by!r}")
    if not sort:
        return None
    if sort.split(".", 1)[0] not in allowed:
        raise QueryError(
            "invalid_sort_field", f"sort field {sort!r} is not a field of this resource"
        )
    return sort, (order_by or "asc").lower() == "desc"


def sort_records(records: Sequence[RecordT], field: str, desc: bool) -> list[RecordT]:
    present = [r for r in records if _lookup(r, field) is not None]
    missing = [r for r in records if _lookup(r, field) is None]
    present.sort(key=lambda r: _as_text(_lookup(r, field)), reverse=desc)
    return present + missing


def parse_fields(text: str | None, allowed: frozenset[str]) -> list[str] | None:
    if not text:
        return None
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in allowed]
    if unknown:
        raise QueryError(
            "invalid_selection_field", f"fields {unknown} are not fields of this resource"
        )
    return names


def select_fields(item: Mapping[str, Any], selected: Iterable[str]) -> dict[str, Any]:
    return {name: item[name] for name in selected if name in item}


def parse_paging(args: Mapping[str, str]) -> tuple[int, int]:
    def number(name: str, default: int, minimum: int) -> int:
        raw = args.get(name)
        if raw in (None, ""):
            return default
        try:
            value = int(str(raw))
        except ValueError:
            raise QueryError("invaliddata", f"{name} must be a whole number, not {raw!r}") from None
        if value < minimum:
            raise QueryError("invaliddata", f"{name} must be at least {minimum}, not {value}")
        return value

    return number("limit", DEFAULT_LIMIT, 1), number("offset", 0, 0)


def link_header(request_url: str, *, offset: int, limit: int, total: int) -> str:
    """RFC 8288 Link header with next/prev/first/last for limit/offset paging."""
    parts = urlsplit(request_url)
    params = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if k not in ("limit", "offset")
    ]

    def at(new_offset: int) -> str:
        query = urlencode([*params, ("limit", str(limit)), ("offset", str(new_offset))])
        return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))

    links: list[str] = []
    if offset + limit < total:
        links.append(f'<{at(offset + limit)}>; rel="next"')
    if offset > 0:
        links.append(f'<{at(max(0, offset - limit))}>; rel="prev"')
    links.append(f'<{at(0)}>; rel="first"')
    last = max(0, (total - 1) // limit * limit) if total else 0
    links.append(f'<{at(last)}>; rel="last"')
    return ", ".join(links)
