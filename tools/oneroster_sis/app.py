"""The local OneRoster SIS as a WSGI application: 1.1 and 1.2 rostering reads, gradebook reads and
writes, OAuth 2.0 and OAuth 1.0a, paging with vendor quirks, fault injection."""

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from tools.oneroster_sis import imsx, query, schemas
from tools.oneroster_sis.auth import OAuth1Verifier, TokenIssuer
from tools.oneroster_sis.faults import Fault, FaultInjector
from tools.oneroster_sis.listings import (
    CLASS_CATEGORIES,
    GRADEBOOK,
    GRADEBOOK_SINGLES,
    ROSTERING,
    ROSTERING_SINGLES,
    SINGLE_ENVELOPE,
    Indexes,
    Listing,
    UnknownParent,
    check_parents,
    user_roles,
)
from tools.oneroster_sis.model import TYPE_TO_COLLECTION, fields_of
from tools.oneroster_sis.profiles import Quirks
from tools.oneroster_sis.render import RenderOptions, render
from tools.oneroster_sis.store import Store

Record = dict[str, Any]
V11, V12 = "1.1", "1.2"
BASES = {
    ("1.1", "rostering"): "/ims/oneroster/v1p1",
    ("1.1", "gradebook"): "/ims/oneroster/v1p1",
    ("1.2", "rostering"): "/ims/oneroster/rostering/v1p2",
    ("1.2", "gradebook"): "/ims/oneroster/gradebook/v1p2",
}
GRADEBOOK_KINDS = frozenset({"categories", "lineItems", "results"})
REQUIRED_11 = {
    "lineItems": (
        "title",
        "assignDate",
        "dueDate",
        "class",
        "category",
        "gradingPeriod",
        "resultValueMin",
        "resultValueMax",
    ),
    "results": ("lineItem", "student", "scoreStatus", "score", "scoreDate"),
    "categories": ("title",),
}
SCORE_STATUSES = frozenset(
    {"exempt", "fully graded", "not submitted", "partially graded", "submitted"}
)
REFERENCES = {
    "lineItems": (("class", "classes"), ("category", "categories")),
    "results": (("lineItem", "lineItems"), ("student", "users")),
    "categories": (),
}


class ApiError(Exception):
    def __init__(self, status: int, code_minor: str, description: str) -> None:
        super().__init__(description)
        self.status, self.code_minor, self.description = status, code_minor, description


@dataclass
class SisConfig:
    prefix: str = ""
    token_path: str = ""  # default: <prefix>/oauth/token
    strict: bool = False
    profile: str = "spec"
    quirks: Quirks = field(default_factory=Quirks)
    accept_oauth1: bool = True

    def token_route(self) -> str:
        return self.token_path or f"{self.prefix}/oauth/token"


class OneRosterSis:
    """The server state and its WSGI entry point."""

    def __init__(
        self,
        store: Store,
        clients: Mapping[str, str],
        config: SisConfig | None = None,
        faults: FaultInjector | None = None,
    ) -> None:
        self.store = store
        self.config = config or SisConfig()
        self.indexes = Indexes(store)
        self.issuer = TokenIssuer(clients)
        self.oauth1 = OAuth1Verifier(clients)
        self.faults = faults or FaultInjector()
        self.request_log: deque[dict[str, Any]] = deque(maxlen=500_000)
        self.writes: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._listing_cache: OrderedDict[tuple[Any, ...], list[Record]] = OrderedDict()
        self.apply_config(self.config)

    def apply_config(self, config: SisConfig) -> None:
        self.config = config
        self.issuer.expires_in_as_string = config.quirks.expires_in_as_string
        self.url_map = build_url_map(config)
        with self._lock:
            self._listing_cache.clear()

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        response = self.dispatch(Request(environ))
        return response(environ, start_response)

    def dispatch(self, request: Request) -> Response:
        if request.path.startswith("/_control/"):
            from tools.oneroster_sis.control import handle_control

            return handle_control(self, request)
        started = time.monotonic()
        fault = self.faults.next_fault(
            request.method,
            request.path,
            token_request=request.path == self.config.token_route(),
        )
        response = self._serve_with_fault(request, fault)
        self._log_request(request, response, fault, started)
        return response

    def _serve_with_fault(self, request: Request, fault: Fault | None) -> Response:
        if fault is None:
            return self._serve(request)
        if fault.kind == "expire-tokens":
            self.issuer.expire_all()
        if fault.delay:
            time.sleep(fault.delay)
        if fault.status is not None:
            return self._fault_response(fault)
        response = self._serve(request)
        if fault.kind == "malformed" and response.status_code == 200:
            data = response.get_data()
            response.set_data(data[: max(1, len(data) // 2)])
        return response

    def _fault_response(self, fault: Fault) -> Response:
        if fault.status == 429:
            body = imsx.error_body(
                "server_busy",
                "Too many requests; try again later.",
                code_minor_as_string=self.config.quirks.code_minor_as_string,
            )
            return json_response(body, 429, fault.headers)
        if fault.status == 500:
            body = imsx.error_body(
                "internal_server_error",
                "Internal server error.",
                code_minor_as_string=self.config.quirks.code_minor_as_string,
            )
            return json_response(body, 500, fault.headers)
        return Response(
            "<html><body>upstream unavailable</body></html>",
            fault.status,
            headers=fault.headers,
            mimetype="text/html",
        )

    def _serve(self, request: Request) -> Response:
        adapter = self.url_map.bind_to_environ(request.environ)
        try:
            (handler, version, service, path), args = adapter.match()
        except NotFound:
            return self._error(ApiError(404, "unknownobject", f"No endpoint at {request.path}."))
        except MethodNotAllowed:
            return self._error(
                ApiError(
                    405, "unsupported", f"{request.method} is not supported on {request.path}."
                )
            )
        except HTTPException as exc:
            return self._error(ApiError(exc.code or 400, "invaliddata", exc.description or ""))
        try:
            if handler == "token":
                return self._token(request)
            if not self._authorized(request, version):
                raise ApiError(
                    401,
                    "unauthorisedrequest",
                    "Missing, expired or invalid access token or signature.",
                )
            response: Response = getattr(self, f"_{handler}")(request, version, service, path, args)
            return response
        except query.QueryError as exc:
            return self._error(ApiError(400, exc.code_minor, str(exc)))
        except UnknownParent as exc:
            return self._error(ApiError(404, "unknownobject", str(exc)))
        except ApiError as exc:
            return self._error(exc)

    def _error(self, exc: ApiError) -> Response:
        if self.config.quirks.empty_error_bodies:
            return Response(b"", exc.status)
        body = imsx.error_body(
            exc.code_minor,
            exc.description,
            code_minor_as_string=self.config.quirks.code_minor_as_string,
        )
        return json_response(body, exc.status)

    def _authorized(self, request: Request, version: str) -> bool:
        authorization = request.headers.get("Authorization")
        if authorization and authorization[:7].lower() == "bearer ":
            return self.issuer.check_bearer(authorization)
        signed = (authorization or "").startswith("OAuth ") or "oauth_signature" in request.args
        if signed and version == V11 and self.config.accept_oauth1:
            return self.oauth1.verify(
                request.method, request.url, dict(request.headers), request.get_data()
            )
        return False

    def _token(self, request: Request) -> Response:
        status, body = self.issuer.issue(request.headers.get("Authorization"), request.form)
        if status != 200 and self.config.quirks.code_minor_as_string and "imsx_CodeMinor" in body:
            body = {**body, "imsx_CodeMinor": "unauthorisedrequest"}
        return json_response(body, status, {"Cache-Control": "no-store"})

    # ---- reads -------------------------------------------------------------------------

    def _collection(
        self, request: Request, version: str, service: str, path: str, args: dict[str, str]
    ) -> Response:
        listing = listing_for(service, path)
        check_parents(self.store, listing, args)
        allowed = fields_of(listing.kind, version)
        params = request.args
        flt = params.get("filter")
        sort = query.parse_sort(params.get("sort"), params.get("orderBy"), allowed)
        selected = query.parse_fields(params.get("fields"), allowed)
        limit, offset = query.parse_paging(params)
        if self.config.quirks.ignore_offset:
            offset = 0
        records = self._listed(version, path, listing, args, flt, sort, allowed)
        if self.config.quirks.page_clamp:
            limit = min(limit, self.config.quirks.page_clamp)
        page = records[offset : offset + limit]
        href_for = self._href_for(request, version)
        options = self._render_options()
        items = [
            render(listing.kind, r, version=version, href_for=href_for, options=options)
            for r in page
        ]
        if selected:
            items = [query.select_fields(item, selected) for item in items]
        headers: dict[str, str] = {}
        if self.config.quirks.total_count_header:
            headers["X-Total-Count"] = str(len(records))
        if self.config.quirks.link_header:
            link = query.link_header(request.url, offset=offset, limit=limit, total=len(records))
            if link:
                headers["Link"] = link
        return json_response({listing.envelope: items}, 200, headers)

    def _listed(
        self,
        version: str,
        path: str,
        listing: Listing,
        args: dict[str, str],
        flt: str | None,
        sort: tuple[str, bool] | None,
        allowed: frozenset[str],
    ) -> list[Record]:
        quirks = self.config.quirks
        key = (version, path, tuple(sorted(args.items())), flt, sort, self.store.version)
        with self._lock:
            cached = self._listing_cache.get(key)
            if cached is not None:
                self._listing_cache.move_to_end(key)
                return cached
        records = listing.scope(self.indexes, args)
        if flt:
            compiled = query.parse_filter(flt, allowed)
            records = [
                r
                for r in records
                if query.matches(compiled, self._filter_view(listing.kind, r, version))
            ]
        if sort:
            records = query.sort_records(records, sort[0], sort[1])
        elif quirks.default_order_desc:
            records = records[::-1]
        if quirks.duplicate_staff_rows and listing.kind == "users":
            records = [dup for r in records for dup in ([r, r] if is_staff(r) else [r])]
        with self._lock:
            self._listing_cache[key] = records
            while len(self._listing_cache) > 64:
                self._listing_cache.popitem(last=False)
        return records

    def _filter_view(self, kind: str, record: Record, version: str) -> Mapping[str, Any]:
        if kind == "users" and version == V11:
            return render(kind, record, version=version, href_for=lambda t, i: "")
        return record

    def _single(
        self, request: Request, version: str, service: str, path: str, args: dict[str, str]
    ) -> Response:
        accepts: Callable[[Record], bool]
        if service == "gradebook":
            kind, accepts = GRADEBOOK_SINGLES[path], (lambda _record: True)
        else:
            kind, accepts = ROSTERING_SINGLES[path]
        record = self.store.get(kind, args["id"])
        if record is None or not accepts(record):
            raise ApiError(
                404, "unknownobject", f"No {SINGLE_ENVELOPE[kind]} with sourcedId {args['id']!r}."
            )
        item = render(
            kind,
            record,
            version=version,
            href_for=self._href_for(request, version),
            options=self._render_options(),
        )
        selected = query.parse_fields(request.args.get("fields"), fields_of(kind, version))
        if selected:
            item = query.select_fields(item, selected)
        return json_response({SINGLE_ENVELOPE[kind]: item}, 200)

    def _href_for(self, request: Request, version: str) -> Callable[[str, str], str]:
        relative = self.config.quirks.href_style == "relative"
        root = "~" if relative else request.host_url.rstrip("/") + self.config.prefix

        def href_for(ref_type: str, sourced_id: str) -> str:
            collection = TYPE_TO_COLLECTION.get(ref_type, ref_type)
            service = "gradebook" if collection in GRADEBOOK_KINDS else "rostering"
            return f"{root}{BASES[(version, service)]}/{collection}/{sourced_id}"

        return href_for

    def _render_options(self) -> RenderOptions:
        quirks = self.config.quirks
        return RenderOptions(
            href_style="relative" if quirks.href_style == "relative" else "absolute",
            explicit_nulls=quirks.explicit_nulls,
            boolean_style="bool"
            if quirks.boolean_style == "bool"
            else "int"
            if quirks.boolean_style == "int"
            else "string",
        )

    # ---- gradebook writes ----------------------------------------------------------------

    def _put(
        self, request: Request, version: str, service: str, path: str, args: dict[str, str]
    ) -> Response:
        kind = GRADEBOOK_SINGLES[path]
        envelope = SINGLE_ENVELOPE[kind]
        sourced_id = args["id"]
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or not isinstance(body.get(envelope), dict):
            raise ApiError(
                400, "invaliddata", f'The body must be a JSON object {{"{envelope}": {{...}}}}.'
            )
        obj = body[envelope]
        if obj.get("sourcedId", sourced_id) != sourced_id:
            raise ApiError(
                400,
                "invaliddata",
                f"Body sourcedId {obj.get('sourcedId')!r} does "
                f"not match the path's {sourced_id!r}.",
            )
        if self.config.strict:
            problems = self._strict_problems(version, kind, body)
            if problems:
                self._record_write(request, kind, sourced_id, obj, 422, problems)
                raise ApiError(422, "invaliddata", "; ".join(problems))
        stored = {**obj, "sourcedId": sourced_id}
        stored.setdefault("status", "active")
        stored.setdefault("dateLastModified", self.store.next_timestamp())
        existed = self.store.get(kind, sourced_id) is not None
        self.store.upsert(kind, stored, touch=False)
        status = 200 if existed else 201
        self._record_write(request, kind, sourced_id, obj, status, [])
        item = render(
            kind,
            stored,
            version=version,
            href_for=self._href_for(request, version),
            options=self._render_options(),
        )
        return json_response({envelope: item}, status)

    def _strict_problems(self, version: str, kind: str, body: dict[str, Any]) -> list[str]:
        obj = body[SINGLE_ENVELOPE[kind]]
        if version == V12:
            schema = f"Single{SINGLE_ENVELOPE[kind][0].upper()}{SINGLE_ENVELOPE[kind][1:]}DType"
            problems = schemas.validation_errors("gradebook", schema, body)
        else:
            problems = [
                f"{field_name}: required"
                for field_name in ("sourcedId", "status", "dateLastModified", *REQUIRED_11[kind])
                if obj.get(field_name) in (None, "")
            ]
            if kind == "results" and obj.get("scoreStatus") not in (None, *SCORE_STATUSES):
                problems.append(
                    f"scoreStatus: {obj['scoreStatus']!r} is not one of {sorted(SCORE_STATUSES)}"
                )
        for field_name, target in REFERENCES[kind]:
            ref = obj.get(field_name)
            if isinstance(ref, dict) and self.store.get(target, ref.get("sourcedId", "")) is None:
                problems.append(f"{field_name}: unknown sourcedId {ref.get('sourcedId')!r}")
        return problems

    def _delete(
        self, request: Request, version: str, service: str, path: str, args: dict[str, str]
    ) -> Response:
        kind = GRADEBOOK_SINGLES[path]
        if not self.store.delete(kind, args["id"]):
            raise ApiError(
                404, "unknownobject", f"No {SINGLE_ENVELOPE[kind]} with sourcedId {args['id']!r}."
            )
        self._record_write(request, kind, args["id"], None, 204, [])
        return Response(status=204)

    def _class_categories_unsupported(
        self, request: Request, version: str, service: str, path: str, args: dict[str, str]
    ) -> Response:
        if not self.config.quirks.class_categories:
            raise ApiError(
                404,
                "unsupported",
                "This SIS lists categories district-wide only (GET /categories).",
            )
        return self._collection(request, version, service, path, args)

    def _record_write(
        self,
        request: Request,
        kind: str,
        sourced_id: str,
        obj: dict[str, Any] | None,
        status: int,
        problems: list[str],
    ) -> None:
        with self._lock:
            self.writes.append(
                {
                    "method": request.method,
                    "kind": kind,
                    "sourcedId": sourced_id,
                    "status": status,
                    "body": obj,
                    "problems": problems,
                    "at": time.time(),
                }
            )

    def _log_request(
        self, request: Request, response: Response, fault: Fault | None, started: float
    ) -> None:
        authorization = request.headers.get("Authorization", "")
        scheme = (
            authorization.split(" ", 1)[0].lower()
            if authorization
            else ("oauth" if "oauth_signature" in request.args else "none")
        )
        self.request_log.append(
            {
                "method": request.method,
                "path": request.path,
                "params": {
                    k: ("…" if k.startswith("oauth_") else v) for k, v in request.args.items()
                },
                "status": response.status_code,
                "fault": fault.kind if fault else None,
                "auth": scheme,
                "user_agent": request.headers.get("User-Agent", ""),
                "ms": round((time.monotonic() - started) * 1000, 2),
            }
        )


def is_staff(user: Record) -> bool:
    return any(role != "student" for role, _ in user_roles(user))


def listing_for(service: str, path: str) -> Listing:
    if path == "/classes/<class>/categories":
        return CLASS_CATEGORIES
    return (GRADEBOOK if service == "gradebook" else ROSTERING)[path]


def build_url_map(config: SisConfig) -> Map:
    rules = [Rule(config.token_route(), endpoint=("token", "", "", ""), methods=["POST"])]
    for version in (V11, V12):
        for service, listings, singles in (
            ("rostering", ROSTERING, ROSTERING_SINGLES),
            ("gradebook", GRADEBOOK, GRADEBOOK_SINGLES),
        ):
            base = config.prefix + BASES[(version, service)]
            for path in listings:
                rules.append(
                    Rule(
                        base + path,
                        endpoint=("collection", version, service, path),
                        methods=["GET"],
                    )
                )
            for path in singles:
                rules.append(
                    Rule(base + path, endpoint=("single", version, service, path), methods=["GET"])
                )
                if service == "gradebook":
                    rules.append(
                        Rule(base + path, endpoint=("put", version, service, path), methods=["PUT"])
                    )
                    rules.append(
                        Rule(
                            base + path,
                            endpoint=("delete", version, service, path),
                            methods=["DELETE"],
                        )
                    )
    gradebook_12 = config.prefix + BASES[(V12, "gradebook")]
    rules.append(
        Rule(
            gradebook_12 + "/classes/<class>/categories",
            methods=["GET"],
            endpoint=(
                "class_categories_unsupported",
                V12,
                "gradebook",
                "/classes/<class>/categories",
            ),
        )
    )
    return Map(rules, strict_slashes=False, merge_slashes=False)


def json_response(body: Any, status: int, headers: Mapping[str, str] | None = None) -> Response:
    return Response(
        json.dumps(body, separators=(",", ":")),
        status,
        headers=dict(headers or {}),
        mimetype="application/json",
    )
