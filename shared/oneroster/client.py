"""The OneRoster client: one page at a time for Cloud Tasks, whole listings for small resources,
and the gradebook writes of mark export."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from pydantic import SecretStr

from shared.oneroster.errors import OneRosterError, PagingError, PermanentError
from shared.oneroster.gradebook import (
    CategoryWrite,
    LineItemWrite,
    ResultWrite,
    category_body,
    line_item_body,
    result_body,
)
from shared.oneroster.paging import (
    Page,
    PageRequest,
    credible_total,
    dedupe,
    next_request,
    parse_total,
)
from shared.oneroster.records import Parsed, parse_records
from shared.oneroster.settings import ConnectionSettings
from shared.oneroster.transport import OneRosterTransport

# last path segment → (envelope, other keys real SISes use, record kind)
ENVELOPES: dict[str, tuple[str, tuple[str, ...], str]] = {
    "orgs": ("orgs", (), "orgs"),
    "schools": ("orgs", ("schools",), "orgs"),
    "academicSessions": ("academicSessions", (), "academicSessions"),
    "terms": ("academicSessions", ("terms",), "academicSessions"),
    "gradingPeriods": ("academicSessions", ("gradingPeriods",), "academicSessions"),
    "courses": ("courses", (), "courses"),
    "classes": ("classes", (), "classes"),
    "users": ("users", (), "users"),
    "students": ("users", ("students",), "users"),
    "teachers": ("users", ("teachers",), "users"),
    "enrollments": ("enrollments", (), "enrollments"),
    "demographics": ("demographics", (), "demographics"),
    "categories": ("categories", (), "categories"),
    "lineItems": ("lineItems", (), "lineItems"),
    "results": ("results", (), "results"),
}
GRADEBOOK_RESOURCES = frozenset({"categories", "lineItems", "results"})
SCHOOL_RESOURCES = frozenset({"classes", "students", "teachers", "enrollments", "courses", "terms"})
COLLECTION_OF_TYPE = {
    "org": "orgs",
    "user": "users",
    "class": "classes",
    "course": "courses",
    "academicSession": "academicSessions",
    "category": "categories",
    "lineItem": "lineItems",
    "result": "results",
}


@dataclass(frozen=True)
class ConnectionCheck:
    ok: bool
    problems: tuple[str, ...]
    schools_seen: int
    warnings: tuple[str, ...] = ()


ORG_SAMPLE = 100  # orgs read to say why a connection sees no school


def no_school_warning(orgs: list[Any], total: int | None) -> str:
    """Why a connection sees no school, from one page of /orgs: the org types it lists."""
    count = max(total or 0, len(orgs))
    if not count:
        return (
            "the SIS lists no schools and no orgs: ask the SIS to publish the district's "
            "schools as orgs of type school"
        )
    types = sorted({str(o.get("type") or "(no type)") for o in orgs if isinstance(o, dict)})
    if "school" in types:
        return (
            f"/schools lists no school, yet /orgs lists orgs of type school (types seen: "
            f"{', '.join(types)}): check the base URL, or ask the SIS why /schools is empty"
        )
    return (
        f"the SIS lists {count} org{'s' if count != 1 else ''}, of type"
        f"{'s' if len(types) != 1 else ''} {', '.join(types)}, none of type school: ask the "
        "SIS to publish schools as orgs of type school"
    )


def segment(sourced_id: str) -> str:
    return quote(sourced_id, safe="")


def kind_of(resource: str) -> str:
    return ENVELOPES[resource.rstrip("/").rsplit("/", 1)[-1]][2]


def envelope_rows(body: Any, resource: str) -> list[Any]:
    name = resource.rstrip("/").rsplit("/", 1)[-1]
    envelope, aliases, _ = ENVELOPES[name]
    if isinstance(body, dict):
        for key in (envelope, *aliases):
            rows = body.get(key)
            if isinstance(rows, list):
                return rows
    raise PermanentError(
        f"the SIS's answer for {name} has no {envelope!r} list, so it is not a "
        "OneRoster collection; check the base URL"
    )


class OneRosterClient:
    def __init__(
        self,
        settings: ConnectionSettings,
        secret: SecretStr,
        *,
        transport: OneRosterTransport | None = None,
        **transport_options: Any,
    ) -> None:
        self.settings = settings
        self.transport = transport or OneRosterTransport(settings, secret, **transport_options)

    def __repr__(self) -> str:
        return f"OneRosterClient(district={self.settings.district_id!r})"

    # ---- reading -------------------------------------------------------------------------

    def page_request(
        self,
        resource: str,
        *,
        filter: str | None = None,
        sort: str | None = None,
        order_by: str | None = None,
        fields: str | None = None,
        limit: int | None = None,
    ) -> PageRequest:
        params = [("filter", filter), ("sort", sort), ("orderBy", order_by), ("fields", fields)]
        name = resource.rstrip("/").rsplit("/", 1)[-1]
        return PageRequest(
            resource=resource.strip("/"),
            limit=limit or self.settings.page_size,
            service="gradebook" if name in GRADEBOOK_RESOURCES else "rostering",
            params=tuple((k, v) for k, v in params if v),
        )

    def school_request(self, school_id: str, what: str, **query: Any) -> PageRequest:
        if what not in SCHOOL_RESOURCES:
            raise ValueError(f"school resources are {sorted(SCHOOL_RESOURCES)}, not {what!r}")
        return self.page_request(f"schools/{segment(school_id)}/{what}", **query)

    def fetch_page(self, request: PageRequest) -> Page:
        """Fetches exactly one page and says how to get the next one."""
        if request.next_url:
            result = self.transport.get(request.next_url)
        else:
            url = f"{self.settings.base_url(request.service)}/{request.resource}"
            params = {
                **dict(request.params),
                "limit": str(request.limit),
                "offset": str(request.offset),
            }
            result = self.transport.get(url, params)
        rows = envelope_rows(result.body, request.resource)
        records, dropped = dedupe(rows)
        total = credible_total(parse_total(result.headers), request.offset, len(rows))
        following = next_request(
            request,
            request_url=result.url,
            rows=rows,
            total=total,
            has_link_header="Link" in result.headers,
            link_next=result.links.get("next", {}).get("url"),
        )
        return Page(request, records, len(rows), total, following, dropped)

    def iter_pages(self, request: PageRequest) -> Iterator[Page]:
        """Walks every page, refusing a page that brings only records already seen."""
        seen: set[str] = set()
        current: PageRequest | None = request
        while current is not None:
            page = self.fetch_page(current)
            ids = {
                r["sourcedId"]
                for r in page.records
                if isinstance(r, dict) and isinstance(r.get("sourcedId"), str)
            }
            if ids and ids <= seen:
                raise PagingError(
                    f"page {page.request.index + 1} of {request.resource} repeated "
                    "records already received (the SIS ignores `offset`)"
                )
            fresh = [
                r for r in page.records if not (isinstance(r, dict) and r.get("sourcedId") in seen)
            ]
            seen |= ids
            yield Page(
                page.request,
                fresh,
                page.received,
                page.total,
                page.next,
                page.duplicates_dropped + len(page.records) - len(fresh),
            )
            current = page.next

    def fetch_all(self, resource: str | PageRequest, **query: Any) -> Parsed[Any]:
        """Every record of a small listing, parsed; rejected records come back with reasons."""
        request = (
            resource if isinstance(resource, PageRequest) else self.page_request(resource, **query)
        )
        rows = [row for page in self.iter_pages(request) for row in page.records]
        return parse_records(kind_of(request.resource), rows, self.settings.version)

    def parse_page(self, page: Page) -> Parsed[Any]:
        return parse_records(kind_of(page.request.resource), page.records, self.settings.version)

    def grading_periods(self, term_id: str) -> Parsed[Any]:
        return self.fetch_all(f"terms/{segment(term_id)}/gradingPeriods")

    def check_connection(self) -> ConnectionCheck:
        """What "Authorize" runs before settings are saved: URL shape, token, one small read."""
        problems = list(self.settings.url_problems())
        try:
            page = self.fetch_page(self.page_request("schools", limit=1))
        except OneRosterError as exc:
            return ConnectionCheck(False, (*problems, exc.message), 0)
        warnings = () if page.records else (self._no_school_warning(),)
        return ConnectionCheck(not problems, tuple(problems), len(page.records), warnings)

    def _no_school_warning(self) -> str:
        try:
            orgs = self.fetch_page(self.page_request("orgs", limit=ORG_SAMPLE))
        except OneRosterError as exc:
            return f"the SIS lists no school, and reading /orgs to say why failed: {exc.message}"
        return no_school_warning(orgs.records, orgs.total)

    # ---- gradebook -----------------------------------------------------------------------

    def href_for(self, ref_type: str, sourced_id: str) -> str:
        collection = COLLECTION_OF_TYPE.get(ref_type, ref_type)
        service = "gradebook" if collection in GRADEBOOK_RESOURCES else "rostering"
        return f"{self.settings.base_url(service)}/{collection}/{segment(sourced_id)}"

    def _gradebook_url(self, collection: str, sourced_id: str) -> str:
        return f"{self.settings.base_url('gradebook')}/{collection}/{segment(sourced_id)}"

    def put_line_item(self, item: LineItemWrite, *, now: dt.datetime) -> int:
        body = line_item_body(item, version=self.settings.version, href_for=self.href_for, now=now)
        return self.transport.put(self._gradebook_url("lineItems", item.sourced_id), body).status

    def put_result(self, result: ResultWrite, *, now: dt.datetime) -> int:
        body = result_body(result, version=self.settings.version, href_for=self.href_for, now=now)
        return self.transport.put(self._gradebook_url("results", result.sourced_id), body).status

    def put_category(self, category: CategoryWrite, *, now: dt.datetime) -> int:
        body = category_body(category, version=self.settings.version, now=now)
        url = self._gradebook_url("categories", category.sourced_id)
        return self.transport.put(url, body).status

    def categories(self, class_id: str | None = None) -> Parsed[Any]:
        """Per class (1.2) when a class is given, else district-wide."""
        if class_id is not None and self.settings.version == "1.2":
            return self.fetch_all(f"classes/{segment(class_id)}/categories")
        return self.fetch_all("categories")

    def class_line_items(self, class_id: str) -> Parsed[Any]:
        return self.fetch_all(f"classes/{segment(class_id)}/lineItems")

    def class_results(self, class_id: str) -> Parsed[Any]:
        return self.fetch_all(f"classes/{segment(class_id)}/results")

    def delete_line_item(self, sourced_id: str) -> int:
        return self.transport.delete(self._gradebook_url("lineItems", sourced_id)).status

    def delete_result(self, sourced_id: str) -> int:
        return self.transport.delete(self._gradebook_url("results", sourced_id)).status
