"""Teacher HTTP API of mark export (docs/http-api.md), and the export task handler."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from shared.classroom import teacher_api as classes_api
from shared.errors import Conflict, Forbidden, NotFound
from shared.export.classes import check_teacher, class_doc
from shared.export.ports import ExportPorts
from shared.export.status import export_status
from shared.export.task import handle_export
from shared.export.teacher_actions import link_class, request_export
from shared.identity import Caller, staff_role, verify_task_caller, verify_user
from shared.ids import MAX_SOURCED_ID_BYTES
from shared.tasks import parse_export_task, retry_count_of
from shared.web.edge import ApiRequest, Response, Routes


class LinkRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    section_id: str = Field(min_length=1, max_length=MAX_SOURCED_ID_BYTES)

    @field_validator("section_id")
    @classmethod
    def _fits_an_id(cls, value: str) -> str:
        if len(value.encode("utf-8")) > MAX_SOURCED_ID_BYTES:
            raise ValueError(f"a section id has at most {MAX_SOURCED_ID_BYTES} bytes")
        return value


def export_now(
    ports: ExportPorts, request: ApiRequest, caller: Caller, district_id: str, class_id: str
) -> Response:
    return 202, request_export(ports, district_id, class_id, caller)


def show_export(
    ports: ExportPorts, request: ApiRequest, caller: Caller, district_id: str, class_id: str
) -> Response:
    cls = class_doc(ports.store, district_id, class_id)
    check_teacher(ports.store, district_id, caller, cls)
    return 200, export_status(ports.store, district_id, class_id, cls)


def link(
    ports: ExportPorts, request: ApiRequest, caller: Caller, district_id: str, class_id: str
) -> Response:
    body = LinkRequest.model_validate(request.body or {})
    return 200, link_class(ports, district_id, class_id, body.section_id, caller)


ROUTES = Routes(
    {
        ("POST", "/districts/<district_id>/classes/<class_id>/export"): export_now,
        ("GET", "/districts/<district_id>/classes/<class_id>/export"): show_export,
        ("PUT", "/districts/<district_id>/classes/<class_id>/link"): link,
    }
)


def handle_teacher(ports: ExportPorts, request: ApiRequest) -> Response:
    """Signs the caller in and routes: the class routes of shared/classroom/teacher_api.py, else
    mark export's, which let only the district's staff through, before anything
    of the district is read: a stranger gets the same 403 whether a class exists or not."""
    caller = verify_user(request.headers, ports.settings, ports.tokens)
    if classes_api.handles(request):
        return classes_api.handle_classes(ports, request, caller)
    endpoint, args = ROUTES.match(request)
    staff_role(ports.store, args["district_id"], caller)
    return endpoint(ports, request, caller, **args)


def handle_export_task(ports: ExportPorts, request: ApiRequest) -> Response:
    """Cloud Tasks delivery of one class's export. 2xx ends the task; 503 asks for a retry."""
    verify_task_caller(request.headers, ports.settings, ports.tokens)
    task = parse_export_task(request.body)
    try:
        return 200, handle_export(ports, task, retry_count_of(request.headers))
    except (NotFound, Forbidden, Conflict) as exc:
        return 200, {"state": "refused", "message": exc.message}
