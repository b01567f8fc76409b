"""Which classes a teacher may export, and where a class exports to."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shared.districts import load_district
from shared.errors import Conflict, Forbidden, NotFound
from shared.identity import Caller, staff_role
from shared.store import layout
from shared.store.ports import Doc, DocumentStore
from shared.sync.district import DistrictConfig

EXPORT_OFF = (
    'Mark export is turned off for this district ("Enable classwork and mark exporting"); '
    "ask the district admin to turn it on."
)


def class_doc(store: DocumentStore, district_id: str, class_id: str) -> dict[str, Any]:
    doc = store.get(layout.class_doc(district_id, class_id))
    if doc is None:
        raise NotFound(f"class {class_id!r} does not exist")
    return doc


ClassMarks = dict[str, list[Doc]]  # a class's marks by the path of their assignment


def class_marks(store: DocumentStore, district_id: str, class_id: str) -> ClassMarks:
    """Every mark of the class, by the path of its assignment, in one query: one query per
    assignment costs far more on the emulator as the database grows (docs/bench.md)."""
    marks: ClassMarks = {}
    for doc in store.descendants(layout.class_doc(district_id, class_id), "marks"):
        marks.setdefault(doc.path.rsplit("/", 2)[0], []).append(doc)
    return marks


def is_teacher_of(staff: Mapping[str, Any], cls: Mapping[str, Any]) -> bool:
    ids = {("sis", staff.get("sis_user_id")), ("account", staff.get("account_id"))} - {
        ("sis", None),
        ("account", None),
    }
    owner = cls.get("owner") or {}
    people = [owner] + [
        m for m in (cls.get("co_teachers") or {}).values() if m.get("status") == "active"
    ]
    return any(
        ("sis", p.get("sis_user_id")) in ids or ("account", p.get("account_id")) in ids
        for p in people
    )


def section_of(cls: Mapping[str, Any]) -> tuple[str, str] | None:
    """(section id, school id) a class exports to: synced classes by origin, hand-made ones once
    a teacher linked them."""
    source = (cls.get("sis") if cls.get("origin") == "sis" else cls.get("link")) or {}
    section_id = source.get("section_id")
    if not isinstance(section_id, str) or not section_id:
        return None
    return section_id, str(source.get("school_id") or "")


def check_teacher(
    store: DocumentStore, district_id: str, caller: Caller, cls: Mapping[str, Any]
) -> None:
    if not is_teacher_of(staff_role(store, district_id, caller), cls):
        raise Forbidden("only a teacher of this class can do this")


DISCONNECTED = (
    "The district's SIS is disconnected, so nothing is exported; ask the district admin to "
    "reconnect it (PUT /connection)."
)


def export_enabled_district(store: DocumentStore, district_id: str) -> DistrictConfig:
    """The district, when it is connected (Conflict) and lets teachers export (Forbidden)."""
    district = load_district(store, district_id)
    if not district.connected:
        raise Conflict(DISCONNECTED)
    if not district.export_enabled:
        raise Forbidden(EXPORT_OFF)
    return district


def require_section(cls: Mapping[str, Any]) -> tuple[str, str]:
    section = section_of(cls)
    if section is None:
        raise Conflict("This class is not linked to an SIS section; link it first, then export.")
    return section
