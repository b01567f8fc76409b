"""Cursor paging over the document store: an opaque cursor (URL-safe base64 of the last row's
order values, datetimes tagged) and one read of ``limit + 1`` rows to know whether more follow.
The cursor is pure data; a cursor that does not decode is the caller's error, naming ``cursor``."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from shared.errors import InvalidInput
from shared.store.ports import DOC_ID, Doc, DocumentStore, Filter, Order

BAD_CURSOR = "cursor: not a cursor this API gave; send the next_cursor of the previous page"


def _tag(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return {"t": value.isoformat()}
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise TypeError(f"a cursor holds plain values and datetimes, not {type(value).__name__}")


def _untag(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) != {"t"} or not isinstance(value["t"], str):
            raise ValueError("unknown tagged value")
        return dt.datetime.fromisoformat(value["t"])
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise ValueError("unknown value")


def encode_cursor(values: Sequence[Any]) -> str:
    text = json.dumps([_tag(v) for v in values], separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, size: int) -> list[Any]:
    """The order values of ``cursor``, which must hold ``size`` of them."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
        if not isinstance(values, list) or len(values) != size:
            raise ValueError("wrong shape")
        return [_untag(v) for v in values]
    except (ValueError, binascii.Error, UnicodeDecodeError, RecursionError):
        raise InvalidInput(BAD_CURSOR) from None


def order_key(doc: Doc, order: Sequence[Order]) -> list[Any]:
    return [doc.id if o.field == DOC_ID else _nested(doc.data, o.field) for o in order]


def _nested(data: dict[str, Any], dotted: str) -> Any:
    value: Any = data
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


@dataclass(frozen=True)
class Page:
    docs: list[Doc]
    next_cursor: str | None


def read_page(
    store: DocumentStore,
    collection: str,
    *filters: Filter,
    order: Sequence[Order],
    limit: int,
    cursor: str | None = None,
) -> Page:
    """One page; ``next_cursor`` is None on the last page."""
    after = decode_cursor(cursor, len(order)) if cursor else None
    docs = store.page(collection, *filters, order=order, after=after, limit=limit + 1)
    if len(docs) <= limit:
        return Page(docs, None)
    return Page(docs[:limit], encode_cursor(order_key(docs[limit - 1], order)))
