"""What a teacher asks of mark export: export a class now, or link a hand-made class to an SIS
section they teach (checked against the mirror of the SIS)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from shared.errors import Conflict, Forbidden, NotFound
from shared.export.classes import check_teacher, class_doc, export_enabled_district, require_section
from shared.export.ports import ExportPorts
from shared.identity import Caller, staff_role
from shared.ids import safe_id
from shared.store import layout
from shared.store.ports import DocumentStore, Filter
from shared.sync import mirror
from shared.tasks import ExportTask, payload


def _not_queued(cls: Mapping[str, Any] | None) -> bool:
    return cls is not None and (cls.get("export") or {}).get("state") != "queued"


def request_export(
    ports: ExportPorts, district_id: str, class_id: str, caller: Caller
) -> dict[str, Any]:
    """Queues one export of the class. A request while one is still queued (a double click)
    joins it: only the request that moves the class to "queued" enqueues a task."""
    cls = class_doc(ports.store, district_id, class_id)
    check_teacher(ports.store, district_id, caller, cls)
    export_enabled_district(ports.store, district_id)
    require_section(cls)
    task = ExportTask(district_id, class_id, uuid.uuid4().hex)
    queued = {
        ("export", "state"): "queued",
        ("export", "requested_at"): ports.clock(),
        ("export", "requested_by"): caller.email,
        ("export", "request_id"): task.requested,
    }
    if ports.store.update_if(layout.class_doc(district_id, class_id), _not_queued, queued):
        ports.queue.enqueue(ports.queue_name, payload(task), name=task.name(), url=ports.task_url)
    return {"queued": True, "class_id": class_id}


def teaches_section(
    store: DocumentStore, district_id: str, school_id: str, section_id: str, teacher_id: str
) -> bool:
    enrollments = layout.mirror(district_id, school_id, "enrollments")
    for enrollment in store.query(enrollments, Filter("class_id", "==", section_id)):
        info = mirror.data_of(enrollment.data)
        if (
            info.get("user_id") == teacher_id
            and info.get("role") == "teacher"
            and enrollment.data.get("status") == "active"
        ):
            return True
    return False


def _section_school(store: DocumentStore, district_id: str, section_id: str) -> str | None:
    """The school whose mirror holds the section as active."""
    for school in store.query(layout.sis_schools(district_id)):
        school_id = school.data.get("sourcedId", "")
        section = store.get(
            f"{layout.mirror(district_id, school_id, 'classes')}/{safe_id(section_id)}"
        )
        if section is not None and section.get("status") == "active":
            return str(school_id)
    return None


def link_class(
    ports: ExportPorts, district_id: str, class_id: str, section_id: str, caller: Caller
) -> dict[str, Any]:
    """A teacher links a class they made by hand to an SIS section they teach."""
    store = ports.store
    cls = class_doc(store, district_id, class_id)
    check_teacher(store, district_id, caller, cls)
    export_enabled_district(store, district_id)
    if cls.get("origin") == "sis":
        raise Conflict("Synced classes are linked to their section already.")
    teacher_id = staff_role(store, district_id, caller).get("sis_user_id")
    if not teacher_id:
        raise Conflict("Your account is not linked to an SIS teacher yet; run a roster sync first.")
    school_id = _section_school(store, district_id, section_id)
    if school_id is None:
        raise NotFound(f"The SIS has no active section {section_id!r}.")
    if not teaches_section(store, district_id, school_id, section_id, teacher_id):
        raise Forbidden(f"You do not teach SIS section {section_id!r}.")
    link = {
        "section_id": section_id,
        "school_id": school_id,
        "linked_by": caller.email,
        "linked_at": ports.clock(),
    }
    store.set(layout.class_doc(district_id, class_id), {"link": link}, merge=True)
    return {"linked": True, "section_id": section_id}
