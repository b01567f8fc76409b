"""Teacher HTTP API of mark export (docs/http-api.md) and the export task handler."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from shared.export import service
from shared.identity import AuthError, verify_task_caller, verify_user
from shared.oneroster.errors import OneRosterError
from shared.sync.api import describe_validation, error_response
from shared.sync.service import SyncError, district_ref

if TYPE_CHECKING:
    from shared.runtime import Runtime

Response = tuple[int, dict[str, Any]]


class LinkRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    section_id: str = Field(min_length=1)


def export_status(rt: Runtime, district_id: str, class_id: str) -> dict[str, Any]:
    class_ref = district_ref(rt.db, district_id).collection("classes").document(class_id)
    cls = class_ref.get().to_dict() or {}
    assignments = []
    for snapshot in class_ref.collection("coursework").stream():
        data = snapshot.to_dict() or {}
        marks = {}
        for mark in snapshot.reference.collection("marks").stream():
            export = (mark.to_dict() or {}).get("export") or {}
            marks[mark.id] = {k: export.get(k) for k in ("state", "message")}
            if export.get("last_attempt_at"):
                marks[mark.id]["last_attempt_at"] = export["last_attempt_at"].isoformat()
        export = data.get("export") or {}
        assignments.append(
            {
                "assignment_id": snapshot.id,
                "title": data.get("title"),
                "state": export.get("state", "pending"),
                "message": export.get("message"),
                "last_attempt_at": export["last_attempt_at"].isoformat()
                if export.get("last_attempt_at")
                else None,
                "marks": marks,
            }
        )
    summary = {
        k: (v.isoformat() if hasattr(v, "isoformat") else v)
        for k, v in (cls.get("export") or {}).items()
    }
    return {"class_id": class_id, "export": summary, "assignments": assignments}


def handle_teacher(
    rt: Runtime, method: str, path: str, headers: Mapping[str, str], body: Any
) -> Response:
    try:
        caller = verify_user(headers, rt.settings)
        match = re.fullmatch(r"/districts/([^/]+)/classes/([^/]+)/(export|link)", path.rstrip("/"))
        if not match:
            return error_response(404, f"no endpoint {method} {path}")
        district_id, class_id, action = match.groups()
        if action == "export" and method == "POST":
            return 202, service.request_export(rt, district_id, class_id, caller)
        if action == "export" and method == "GET":
            cls = district_ref(rt.db, district_id).collection("classes").document(class_id)
            snapshot = cls.get()
            if not snapshot.exists:
                return error_response(404, f"class {class_id!r} does not exist")
            service.check_teacher(rt, district_id, caller, snapshot.to_dict() or {})
            return 200, export_status(rt, district_id, class_id)
        if action == "link" and method == "PUT":
            request = LinkRequest.model_validate(body or {})
            return 200, service.link_class(rt, district_id, class_id, request.section_id, caller)
        return error_response(404, f"no endpoint {method} {path}")
    except AuthError as exc:
        return error_response(exc.status, exc.message)
    except service.ExportRefused as exc:
        return error_response(exc.status, exc.message)
    except ValidationError as exc:
        return error_response(400, describe_validation(exc))
    except (OneRosterError, SyncError) as exc:
        return error_response(400, exc.message)


def handle_export_task(rt: Runtime, headers: Mapping[str, str], body: Any) -> Response:
    try:
        verify_task_caller(headers, rt.settings)
    except AuthError as exc:
        return error_response(exc.status, exc.message)
    if not isinstance(body, dict) or not body.get("district_id") or not body.get("class_id"):
        return error_response(400, "the task body needs district_id and class_id")
    retry_count = int(headers.get("X-CloudTasks-TaskRetryCount", "0") or 0)
    try:
        return 200, service.handle_export(
            rt, str(body["district_id"]), str(body["class_id"]), retry_count
        )
    except OneRosterError as exc:  # transient: Cloud Tasks retries the whole class
        return 503, {"error": {"message": exc.message, "retry": True}}
    except service.ExportRefused as exc:
        return 200, {"state": "refused", "message": exc.message}
