"""Handlers of the gradebook writes (PUT and DELETE of categories, lineItems and results), checked
by default as real SISes check them (``--lenient`` turns it off): the official 1.2 schema, or the
1.1 required fields; known references; results only for students enrolled in the class."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Response

from tools.oneroster_sis import schemas
from tools.oneroster_sis.config import V12
from tools.oneroster_sis.listings import GRADEBOOK_SINGLES, SINGLE_ENVELOPE, ref_id
from tools.oneroster_sis.reads import not_found, renderer
from tools.oneroster_sis.responses import ApiError, json_response
from tools.oneroster_sis.state import Call

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


def put_object(call: Call) -> Response:
    """Creates (201) or replaces (200) one gradebook object."""
    sis, kind = call.sis, GRADEBOOK_SINGLES[call.path]
    envelope, sourced_id = SINGLE_ENVELOPE[kind], call.args["id"]
    body = _body(call, envelope, sourced_id)
    obj = body[envelope]
    if sis.config.strict:
        problems = strict_problems(call, kind, body)
        if problems:
            sis.record_write(call.request, kind, sourced_id, obj, 422, problems)
            raise ApiError(422, "invaliddata", "; ".join(problems))
    stored = {**obj, "sourcedId": sourced_id}
    stored.setdefault("status", "active")
    stored.setdefault("dateLastModified", sis.store.next_timestamp())
    existed = sis.store.get(kind, sourced_id) is not None
    sis.store.upsert(kind, stored, touch=False)
    status = 200 if existed else 201
    sis.record_write(call.request, kind, sourced_id, obj, status, [])
    return json_response({envelope: renderer(call)(kind, stored)}, status)


def delete_object(call: Call) -> Response:
    """Deletes one gradebook object; a lineItem's results go with it (a result cannot outlive
    its lineItem, whose sourcedId it requires)."""
    kind, sourced_id = GRADEBOOK_SINGLES[call.path], call.args["id"]
    store = call.sis.store
    if not store.delete(kind, sourced_id):
        raise not_found(kind, sourced_id)
    if kind == "lineItems":
        for result in list(store.all("results")):
            if ref_id(result, "lineItem") == sourced_id:
                store.delete("results", result["sourcedId"])
    call.sis.record_write(call.request, kind, sourced_id, None, 204, [])
    return Response(status=204)


def _enrolled_students(call: Call, class_id: str) -> set[str]:
    return {
        str(ref_id(e, "user"))
        for e in call.sis.indexes.members("enrollments_by_class", class_id)
        if e.get("role") == "student" and e.get("status", "active") == "active"
    }


def _enrollment_problems(call: Call, obj: dict[str, Any]) -> list[str]:
    """A result only for a student enrolled in its lineItem's class."""
    line_item = call.sis.store.get("lineItems", ref_id(obj, "lineItem") or "")
    student = ref_id(obj, "student")
    class_id = ref_id(line_item, "class") if line_item else None
    if class_id is None or student is None or student in _enrolled_students(call, class_id):
        return []
    return [f"student: {student!r} is not enrolled as a student in class {class_id!r}"]


def _body(call: Call, envelope: str, sourced_id: str) -> dict[str, Any]:
    """The request's JSON body, checked to be ``{envelope: {...}}`` for this sourcedId."""
    body = call.request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get(envelope), dict):
        raise ApiError(
            400, "invaliddata", f'The body must be a JSON object {{"{envelope}": {{...}}}}.'
        )
    obj = body[envelope]
    if obj.get("sourcedId", sourced_id) != sourced_id:
        raise ApiError(
            400,
            "invaliddata",
            f"Body sourcedId {obj.get('sourcedId')!r} does not match the path's {sourced_id!r}.",
        )
    return body


def strict_problems(call: Call, kind: str, body: dict[str, Any]) -> list[str]:
    obj = body[SINGLE_ENVELOPE[kind]]
    problems = _schema_problems(kind, body) if call.version == V12 else _problems_11(kind, obj)
    for field_name, target in REFERENCES[kind]:
        ref = obj.get(field_name)
        if isinstance(ref, dict) and call.sis.store.get(target, ref.get("sourcedId", "")) is None:
            problems.append(f"{field_name}: unknown sourcedId {ref.get('sourcedId')!r}")
    if kind == "results" and not problems:
        problems += _enrollment_problems(call, obj)
    return problems


def _schema_problems(kind: str, body: dict[str, Any]) -> list[str]:
    """Validation against the official 1.2 gradebook schema, e.g. ``SingleLineItemDType``."""
    envelope = SINGLE_ENVELOPE[kind]
    schema = f"Single{envelope[0].upper()}{envelope[1:]}DType"
    return schemas.validation_errors("gradebook", schema, body)


def _problems_11(kind: str, obj: dict[str, Any]) -> list[str]:
    problems = [
        f"{field_name}: required"
        for field_name in ("sourcedId", "status", "dateLastModified", *REQUIRED_11[kind])
        if obj.get(field_name) in (None, "")
    ]
    if kind == "results" and obj.get("scoreStatus") not in (None, *SCORE_STATUSES):
        problems.append(
            f"scoreStatus: {obj['scoreStatus']!r} is not one of {sorted(SCORE_STATUSES)}"
        )
    return problems
