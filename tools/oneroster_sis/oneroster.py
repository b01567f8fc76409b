"""Serves one OneRoster request: fault injection, routing, the credential check, mapping errors to
imsx_StatusInfo responses, and the request log."""

from __future__ import annotations

import time
from typing import cast

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.wrappers import Request, Response

from tools.oneroster_sis import query
from tools.oneroster_sis.access import authorized, check_scope
from tools.oneroster_sis.faults import Fault
from tools.oneroster_sis.listings import UnknownParent
from tools.oneroster_sis.responses import ApiError, error_response, imsx_response
from tools.oneroster_sis.routes import Route, url_map
from tools.oneroster_sis.state import Call, SisState

FAULT_ERRORS = {
    429: ("server_busy", "Too many requests; try again later."),
    500: ("internal_server_error", "Internal server error."),
}


def handle(sis: SisState, request: Request) -> Response:
    started = time.monotonic()
    fault = sis.faults.next_fault(
        request.method,
        request.path,
        token_request=request.path == sis.config.token_route(),
    )
    response = _serve_with_fault(sis, request, fault)
    sis.log_request(request, response, fault, started)
    return response


def _serve_with_fault(sis: SisState, request: Request, fault: Fault | None) -> Response:
    if fault is None:
        return serve(sis, request)
    if fault.kind == "expire-tokens":
        sis.issuer.expire_all()
    if fault.delay:
        time.sleep(fault.delay)
    if fault.status is not None:
        return fault_response(sis, fault.status, fault)
    response = serve(sis, request)
    if fault.kind == "malformed" and response.status_code == 200:
        data = response.get_data()
        response.set_data(data[: max(1, len(data) // 2)])
    return response


def fault_response(sis: SisState, status: int, fault: Fault) -> Response:
    """An injected failure: imsx bodies for 429 and 500, a proxy's HTML page otherwise."""
    if status in FAULT_ERRORS:
        code_minor, description = FAULT_ERRORS[status]
        return imsx_response(sis.config.quirks, status, code_minor, description, fault.headers)
    return Response(
        "<html><body>upstream unavailable</body></html>",
        status,
        headers=fault.headers,
        mimetype="text/html",
    )


def serve(sis: SisState, request: Request) -> Response:
    try:
        route, args = match(sis, request)
        call = Call(sis, request, route.version, route.service, route.path, args)
        if not route.public and not authorized(call):
            raise ApiError(
                401,
                "unauthorisedrequest",
                "Missing, expired or invalid access token or signature.",
            )
        if not route.public:
            check_scope(call)
        return route.handler(call)
    except query.QueryError as exc:
        return error_response(sis.config.quirks, ApiError(400, exc.code_minor, str(exc)))
    except UnknownParent as exc:
        return error_response(sis.config.quirks, ApiError(404, "unknownobject", str(exc)))
    except ApiError as exc:
        return error_response(sis.config.quirks, exc)


def match(sis: SisState, request: Request) -> tuple[Route, dict[str, str]]:
    routes = url_map(sis.config.prefix, sis.config.token_route())
    try:
        endpoint, args = routes.bind_to_environ(request.environ).match()
    except NotFound:
        raise ApiError(404, "unknownobject", f"No endpoint at {request.path}.") from None
    except MethodNotAllowed:
        raise ApiError(
            405, "unsupported", f"{request.method} is not supported on {request.path}."
        ) from None
    except HTTPException as exc:
        raise ApiError(exc.code or 400, "invaliddata", exc.description or "") from None
    return cast(Route, endpoint), dict(args)
