"""Paging rule, pure: follow `Link rel=next` when a Link header is sent; else continue while
offset + received < X-Total-Count; else continue until an empty page. Never stop because a page
was shorter than asked (servers clamp silently). A total is evidence of the end only when it is a
plain count that the records received do not contradict (`credible_total`): a negative total, one
below offset + received, or one that is not a count is ignored, and the walk goes on to an empty
page.

Sources: `limit`/`offset`, the `X-Total-Count` header and the next/last links of every collection
come from the OneRoster 1.2 Rostering Service REST/JSON Binding and its official OpenAPI file (1.1
pages the same way, OneRoster 1.1 Final Specification); providers send those links as an HTTP
`Link` header (GG4L's pagination reference). The empty-page fallback is ours, for servers that
send neither header and clamp `limit`; docs/oneroster-client.md "Sources" lists the pages."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urljoin, urlsplit

from shared.oneroster.errors import PagingError

MAX_PAGES = 20_000
COUNT = re.compile(r"[0-9]{1,18}")  # ASCII digits only: no sign, "_", exponent or other script


@dataclass(frozen=True)
class PageRequest:
    """Everything needed to fetch one page: small and JSON-able, so a Cloud Task can carry it."""

    resource: str  # path under the service base, e.g. "users" or "schools/s1/enrollments"
    limit: int
    offset: int = 0
    service: str = "rostering"
    params: tuple[tuple[str, str], ...] = ()  # filter, sort, orderBy, fields
    next_url: str | None = None  # an opaque Link rel=next URL, followed instead of an offset
    index: int = 0
    previous_ids: tuple[str, str] | None = None  # first and last sourcedId of the page before

    def to_dict(self) -> dict[str, Any]:
        return {
            "resource": self.resource,
            "limit": self.limit,
            "offset": self.offset,
            "service": self.service,
            "params": [list(p) for p in self.params],
            "next_url": self.next_url,
            "index": self.index,
            "previous_ids": list(self.previous_ids) if self.previous_ids else None,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PageRequest:
        previous = data.get("previous_ids")
        return cls(
            resource=str(data["resource"]),
            limit=int(data["limit"]),
            offset=int(data.get("offset", 0)),
            service=str(data.get("service", "rostering")),
            params=tuple((str(k), str(v)) for k, v in data.get("params") or ()),
            next_url=data.get("next_url"),
            index=int(data.get("index", 0)),
            previous_ids=(str(previous[0]), str(previous[1])) if previous else None,
        )

    def at_offset(self, offset: int, limit: int | None = None) -> PageRequest:
        """The page at `offset` of the same listing (for fanning out when the total is known)."""
        return replace(
            self,
            offset=offset,
            limit=limit or self.limit,
            next_url=None,
            index=offset // max(1, limit or self.limit),
            previous_ids=None,
        )


@dataclass(frozen=True)
class Page:
    request: PageRequest
    records: list[dict[str, Any]]  # exact repeats within the page dropped, order kept
    received: int  # rows as sent, duplicates included (what the server's offset counts)
    total: int | None  # X-Total-Count when sent and not contradicted by the rows (credible_total)
    next: PageRequest | None
    duplicates_dropped: int
    # sourcedIds of rows the source could not use, which must not count as removed (a CSV row
    # with a bad field: docs/csv-packages.md "How a bad row is treated"); a REST page has none
    keep_ids: tuple[str, ...] = ()


def dedupe(rows: Sequence[Any]) -> tuple[list[dict[str, Any]], int]:
    """Drops exact repeats of a row (Skyward repeats staff rows). A row that repeats a sourcedId
    with different fields is kept, so the parser can keep the first and say why it skipped it."""
    seen: dict[str, list[Any]] = {}
    kept: list[dict[str, Any]] = []
    for row in rows:
        key = row.get("sourcedId") if isinstance(row, dict) else None
        if isinstance(key, str):
            if row in seen.setdefault(key, []):
                continue
            seen[key].append(row)
        kept.append(row)
    return kept, len(rows) - len(kept)


def parse_total(headers: Mapping[str, str]) -> int | None:
    """X-Total-Count when it is a count (digits only), else None: absent and unreadable alike."""
    raw = headers.get("X-Total-Count") or headers.get("x-total-count")
    text = raw.strip() if isinstance(raw, str) else ""
    return int(text) if COUNT.fullmatch(text) else None


def credible_total(total: int | None, offset: int, received: int) -> int | None:
    """The total when it may end a listing: a count not below the records already received.
    One that the rows contradict (negative, or below offset + received) is not evidence."""
    if total is None or total < 0 or offset + received > total:
        return None
    return total


def next_request(
    request: PageRequest,
    *,
    request_url: str,
    rows: Sequence[Any],
    total: int | None,
    has_link_header: bool,
    link_next: str | None,
    max_pages: int = MAX_PAGES,
) -> PageRequest | None:
    if not rows:
        return None
    ids = [r.get("sourcedId") for r in rows if isinstance(r, dict)]
    first_last = (str(ids[0]), str(ids[-1])) if ids else None
    if first_last and request.previous_ids == first_last and len(ids) > 1:
        raise PagingError(
            "the SIS sent the same page again for a later offset (it ignores "
            f"`offset`) on {request.resource}; ask the vendor to support paging "
            "or raise its page size above the number of records"
        )
    following = replace(
        request,
        offset=request.offset + len(rows),
        index=request.index + 1,
        previous_ids=first_last,
        next_url=None,
    )
    if following.index >= max_pages:
        raise PagingError(
            f"{request.resource} went past {max_pages} pages; the SIS keeps "
            "sending pages, check its paging"
        )
    if has_link_header:
        if not link_next:
            return None
        return replace(following, next_url=safe_next_url(request_url, link_next))
    total = credible_total(total, request.offset, len(rows))
    if total is not None and following.offset == total:
        return None
    return following


def safe_next_url(request_url: str, link: str) -> str:
    """Resolves a relative Link against the request; refuses to send credentials elsewhere."""
    absolute = urljoin(request_url, link)
    here, there = urlsplit(request_url), urlsplit(absolute)
    if (here.scheme, here.netloc) != (there.scheme, there.netloc):
        raise PagingError(
            f"the SIS's next-page link points at another host ({there.netloc}); "
            "Rostersync does not follow it with the district's credentials"
        )
    return absolute
