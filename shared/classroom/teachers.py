"""Who teaches a class, kept on the class as ``teacher_ids`` so a teacher's class list is one
indexed query (``array_contains_any``) instead of a read of every class of the district.

A key is ``sis:{sis user id}`` or ``account:{account id}``, the two ways a staff member is matched
to a class (shared/export/classes.py ``is_teacher_of``): the owner's and every active
co-teacher's. Every writer of ``owner`` or ``co_teachers`` recomputes the array from the class as
it is after its write, in the same transaction. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

TEACHER_IDS = "teacher_ids"


def person_keys(entry: Mapping[str, Any]) -> list[str]:
    """The keys of one owner or member entry, or of a staff document."""
    keys = []
    if isinstance(entry.get("sis_user_id"), str) and entry["sis_user_id"]:
        keys.append(f"sis:{entry['sis_user_id']}")
    if isinstance(entry.get("account_id"), str) and entry["account_id"]:
        keys.append(f"account:{entry['account_id']}")
    return keys


def teacher_ids(doc: Mapping[str, Any]) -> list[str]:
    """The sorted keys of the class's owner and active co-teachers."""
    people = [doc.get("owner") or {}] + [
        m
        for m in (doc.get("co_teachers") or {}).values()
        if isinstance(m, Mapping) and m.get("status") == "active"
    ]
    return sorted({key for person in people for key in person_keys(person)})


def with_teacher_ids(doc: Mapping[str, Any]) -> dict[str, Any]:
    return {**doc, TEACHER_IDS: teacher_ids(doc)}
