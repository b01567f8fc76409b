"""A class as its teacher sees it through the API. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

ClassState = Literal["offered", "active", "declined", "archived"]
CLASS_STATES: tuple[ClassState, ...] = ("offered", "active", "declined", "archived")


def class_state(doc: Mapping[str, Any]) -> ClassState:
    """archived wins; else the offer: pending → offered, declined, accepted (or a hand-made class,
    which has no offer) → active."""
    if doc.get("archived"):
        return "archived"
    offer = doc.get("offer_state")
    if offer == "pending":
        return "offered"
    if offer == "declined":
        return "declined"
    return "active"


def _active(members: Any) -> list[Mapping[str, Any]]:
    return [
        m
        for m in (members or {}).values()
        if isinstance(m, Mapping) and m.get("status") == "active"
    ]


def member_view(entry: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "sis_user_id": entry.get("sis_user_id"),
        "account_id": entry.get("account_id"),
        "status": entry.get("status"),
        "source": entry.get("source", "sis"),
        "removed_by": entry.get("removed_by"),
        "changed_by": entry.get("changed_by"),
        "changed_at": _time(entry.get("changed_at")),
    }


def _time(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def class_summary(class_id: str, doc: Mapping[str, Any]) -> dict[str, Any]:
    """One line of the class list."""
    sis = doc.get("sis") or {}
    owner = doc.get("owner") or {}
    return {
        "class_id": class_id,
        "name": doc.get("name", ""),
        "name_source": doc.get("name_source", "sis"),
        "sis_title": sis.get("title"),
        "origin": doc.get("origin") or "manual",
        "state": class_state(doc),
        "offer_state": doc.get("offer_state"),
        "archived": bool(doc.get("archived")),
        "archived_reason": doc.get("archived_reason"),
        "owner": owner.get("sis_user_id"),
        "active_students": len(_active(doc.get("students"))),
        "active_co_teachers": len(_active(doc.get("co_teachers"))),
    }


def _members(raw: Any) -> list[dict[str, Any]]:
    entries = [m for m in (raw or {}).values() if isinstance(m, Mapping)]
    return sorted((member_view(m) for m in entries), key=lambda m: str(m["sis_user_id"]))


def class_detail(class_id: str, doc: Mapping[str, Any]) -> dict[str, Any]:
    """The class with every member, hand changes included (removed members too)."""
    link = doc.get("link") or {}
    return {
        **class_summary(class_id, doc),
        "renamed_by": doc.get("renamed_by"),
        "renamed_at": _time(doc.get("renamed_at")),
        "link": {"section_id": link.get("section_id"), "school_id": link.get("school_id")}
        if link
        else None,
        "students": _members(doc.get("students")),
        "co_teachers": _members(doc.get("co_teachers")),
    }
