"""Handlers of the OneRoster GET endpoints: collections (paging, filter, sort, fields and the
vendor paging quirks) and single records."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from werkzeug.wrappers import Response

from tools.oneroster_sis import query
from tools.oneroster_sis.config import BASES, V11
from tools.oneroster_sis.listings import (
    CLASS_CATEGORIES,
    GRADEBOOK,
    GRADEBOOK_SINGLES,
    ROSTERING,
    ROSTERING_SINGLES,
    SINGLE_ENVELOPE,
    Listing,
    check_parents,
    user_roles,
)
from tools.oneroster_sis.model import TYPE_TO_COLLECTION, fields_of
from tools.oneroster_sis.render import RenderOptions, render
from tools.oneroster_sis.responses import ApiError, json_response
from tools.oneroster_sis.state import Call

Record = dict[str, Any]
GRADEBOOK_KINDS = frozenset({"categories", "lineItems", "results"})
CLASS_CATEGORIES_PATH = "/classes/<class>/categories"


def read_collection(call: Call) -> Response:
    listing = listing_for(call.service, call.path)
    check_parents(call.sis.store, listing, call.args)
    quirks, params = call.sis.config.quirks, call.request.args
    allowed = fields_of(listing.kind, call.version)
    sort = query.parse_sort(params.get("sort"), params.get("orderBy"), allowed)
    selected = query.parse_fields(params.get("fields"), allowed)
    limit, offset = query.parse_paging(params)
    if quirks.ignore_offset:
        offset = 0
    records = listed(call, listing, params.get("filter"), sort, allowed)
    if quirks.page_clamp:
        limit = min(limit, quirks.page_clamp)
    render_one = renderer(call)
    items = [render_one(listing.kind, r) for r in records[offset : offset + limit]]
    if selected:
        items = [query.select_fields(item, selected) for item in items]
    headers = paging_headers(call, offset=offset, limit=limit, total=len(records))
    return json_response({listing.envelope: items}, 200, headers)


def read_class_categories(call: Call) -> Response:
    """1.2 ``/classes/{id}/categories``, which some SISes cannot answer."""
    if not call.sis.config.quirks.class_categories:
        raise ApiError(
            404,
            "unsupported",
            "This SIS lists categories district-wide only (GET /categories).",
        )
    return read_collection(call)


def read_single(call: Call) -> Response:
    accepts: Callable[[Record], bool]
    if call.service == "gradebook":
        kind, accepts = GRADEBOOK_SINGLES[call.path], (lambda _record: True)
    else:
        kind, accepts = ROSTERING_SINGLES[call.path]
    record = call.sis.store.get(kind, call.args["id"])
    if record is None or not accepts(record):
        raise not_found(kind, call.args["id"])
    item = renderer(call)(kind, record)
    allowed = fields_of(kind, call.version)
    selected = query.parse_fields(call.request.args.get("fields"), allowed)
    if selected:
        item = query.select_fields(item, selected)
    return json_response({SINGLE_ENVELOPE[kind]: item}, 200)


def not_found(kind: str, sourced_id: str) -> ApiError:
    return ApiError(
        404, "unknownobject", f"No {SINGLE_ENVELOPE[kind]} with sourcedId {sourced_id!r}."
    )


def listing_for(service: str, path: str) -> Listing:
    if path == CLASS_CATEGORIES_PATH:
        return CLASS_CATEGORIES
    return (GRADEBOOK if service == "gradebook" else ROSTERING)[path]


def listed(
    call: Call,
    listing: Listing,
    flt: str | None,
    sort: tuple[str, bool] | None,
    allowed: frozenset[str],
) -> list[Record]:
    """Every record of the listing in scope, filtered and in order (before paging)."""
    sis = call.sis
    args_key = tuple(sorted(call.args.items()))
    key = (call.version, call.path, args_key, flt, sort, sis.store.version)
    return sis.cached_listing(key, lambda: _select(call, listing, flt, sort, allowed))


def _select(
    call: Call,
    listing: Listing,
    flt: str | None,
    sort: tuple[str, bool] | None,
    allowed: frozenset[str],
) -> list[Record]:
    quirks = call.sis.config.quirks
    records = listing.scope(call.sis.indexes, call.args)
    if flt:
        compiled = query.parse_filter(flt, allowed)
        records = [
            r
            for r in records
            if query.matches(compiled, _filter_view(listing.kind, r, call.version))
        ]
    if sort:
        records = query.sort_records(records, sort[0], sort[1])
    elif quirks.default_order_desc:
        records = records[::-1]
    if quirks.duplicate_staff_rows and listing.kind == "users":
        records = [dup for r in records for dup in ([r, r] if is_staff(r) else [r])]
    twice = [r for r in records if r.get("_listed_twice")]  # the generator's defects
    if twice:  # listed again at the end, as by a SIS whose records move while a client pages
        records = [*records, *twice]
    return records


def _filter_view(kind: str, record: Record, version: str) -> Mapping[str, Any]:
    """1.1 users are filtered on their 1.1 form (``role``, ``orgs``)."""
    if kind == "users" and version == V11:
        return render(kind, record, version=version, href_for=lambda t, i: "")
    return record


def is_staff(user: Record) -> bool:
    return any(role != "student" for role, _ in user_roles(user))


def paging_headers(call: Call, *, offset: int, limit: int, total: int) -> dict[str, str]:
    quirks = call.sis.config.quirks
    headers: dict[str, str] = {}
    if quirks.total_count_header:
        headers["X-Total-Count"] = str(total)
    if quirks.link_header:
        link = query.link_header(call.request.url, offset=offset, limit=limit, total=total)
        if link:
            headers["Link"] = link
    return headers


def renderer(call: Call) -> Callable[[str, Record], dict[str, Any]]:
    """Renders canonical records in the wire form of the call's version, with the quirks."""
    href_for, options = href_maker(call), render_options(call)

    def render_one(kind: str, record: Record) -> dict[str, Any]:
        return render(kind, record, version=call.version, href_for=href_for, options=options)

    return render_one


def href_maker(call: Call) -> Callable[[str, str], str]:
    config = call.sis.config
    relative = config.quirks.href_style == "relative"
    root = "~" if relative else call.request.host_url.rstrip("/") + config.prefix

    def href_for(ref_type: str, sourced_id: str) -> str:
        collection = TYPE_TO_COLLECTION.get(ref_type, ref_type)
        service = "gradebook" if collection in GRADEBOOK_KINDS else "rostering"
        return f"{root}{BASES[(call.version, service)]}/{collection}/{sourced_id}"

    return href_for


def render_options(call: Call) -> RenderOptions:
    quirks = call.sis.config.quirks
    return RenderOptions(
        href_style="relative" if quirks.href_style == "relative" else "absolute",
        explicit_nulls=quirks.explicit_nulls,
        boolean_style="bool"
        if quirks.boolean_style == "bool"
        else "int"
        if quirks.boolean_style == "int"
        else "string",
    )
