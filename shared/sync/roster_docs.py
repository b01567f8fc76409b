"""Stored classroom documents read back as planner inputs. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shared.sync.model import ClassroomClass, Member


def member_map(raw: Any) -> dict[str, Member]:
    members = {}
    for entry in (raw or {}).values():
        if isinstance(entry, Mapping) and entry.get("sis_user_id"):
            members[str(entry["sis_user_id"])] = Member(
                status="removed" if entry.get("status") == "removed" else "active",
                source="manual" if entry.get("source") == "manual" else "sis",
                removed_by=entry.get("removed_by"),
            )
    return members


def classroom_class_from(doc: Mapping[str, Any]) -> ClassroomClass:
    """A class document (with its id as ``_id``) as the planner sees it."""
    sis = doc.get("sis") or {}
    return ClassroomClass(
        class_id=doc["_id"],
        section_id=sis.get("section_id", ""),
        school_id=sis.get("school_id", ""),
        offer_state=doc.get("offer_state", "pending"),
        name=doc.get("name", ""),
        name_source="teacher" if doc.get("name_source") == "teacher" else "sis",
        sis_title=sis.get("title", ""),
        owner_id=(doc.get("owner") or {}).get("sis_user_id"),
        archived=bool(doc.get("archived")),
        archived_reason=doc.get("archived_reason"),
        term_ids=tuple(sis.get("term_ids") or ()),
        co_teachers=member_map(doc.get("co_teachers")),
        students=member_map(doc.get("students")),
    )
