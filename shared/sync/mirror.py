"""How parsed OneRoster records are kept in the Firestore mirror, and read back as planner
inputs. Pure."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from typing import Any

from shared.oneroster.records import ClassRecord, Enrollment, User
from shared.sync.accounts import SisPerson
from shared.sync.model import SisEnrollment, SisSection

# The per-school resources a sync fetches, in the order a lane works through them.
SCHOOL_RESOURCES = ("classes", "teachers", "students", "enrollments")


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def _date(value: Any) -> dt.date | None:
    return dt.date.fromisoformat(value) if isinstance(value, str) and value else None


def mirror_data(record: Any) -> dict[str, Any]:
    """The fields the mirror keeps for one record (JSON types only)."""
    if isinstance(record, ClassRecord):
        return {
            "title": record.title,
            "class_code": record.class_code,
            "course_id": record.course_id,
            "school_id": record.school_id,
            "term_ids": list(record.term_ids),
            "periods": list(record.periods),
        }
    if isinstance(record, Enrollment):
        return {
            "user_id": record.user_id,
            "class_id": record.class_id,
            "school_id": record.school_id,
            "role": record.role,
            "primary": record.primary,
            "begin_date": _iso(record.begin_date),
            "end_date": _iso(record.end_date),
        }
    if isinstance(record, User):
        return {
            "given_name": record.given_name,
            "family_name": record.family_name,
            "preferred_first_name": record.preferred_first_name,
            "email": record.email,
            "username": record.username,
            "identifier": record.identifier,
            "role": record.role,
            "org_ids": list(record.org_ids),
            "grades": list(record.grades),
            "enabled": record.enabled,
        }
    raise TypeError(f"the mirror does not keep {type(record).__name__}")


def data_text(data: Mapping[str, Any]) -> str:
    """A record's fields as the mirror stores them: one JSON text, keys sorted, compact."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"))


def stored_fields(record: Any, data: Mapping[str, Any], text: str | None = None) -> dict[str, Any]:
    """How a record's fields are stored: ``data`` as one JSON text (a nested map costs far more
    to encode and decode, in the client and in Firestore, and is never queried), and an
    enrollment's ``class_id`` beside it, which mark export queries. ``text``: ``data_text(data)``
    when the caller has it."""
    fields: dict[str, Any] = {"data": data_text(data) if text is None else text}
    if isinstance(record, Enrollment):
        fields["class_id"] = record.class_id
    return fields


def data_of(doc: Mapping[str, Any]) -> dict[str, Any]:
    """A mirror document's record fields, stored as JSON text or (written before) as a map."""
    value = doc.get("data")
    if isinstance(value, str):
        decoded = json.loads(value)
        return decoded if isinstance(decoded, dict) else {}
    return dict(value) if isinstance(value, Mapping) else {}


def content_hash(status: str, data: Mapping[str, Any], text: str | None = None) -> str:
    """The hash of a record's status and fields: of the JSON text of ``{"status", "data"}``
    (keys sorted, compact), built around ``text`` (``data_text(data)``) when the caller has it,
    which gives the same text with one encoding less."""
    body = data_text(data) if text is None else text
    whole = '{"data":' + body + ',"status":' + json.dumps(status) + "}"
    return hashlib.sha256(whole.encode("utf-8")).hexdigest()[:32]


def section_from(doc: Mapping[str, Any]) -> SisSection:
    data = doc.get("data") or {}
    return SisSection(
        sourced_id=doc["sourcedId"],
        title=data.get("title") or "",
        school_id=data.get("school_id") or "",
        term_ids=tuple(data.get("term_ids") or ()),
        course_id=data.get("course_id"),
        class_code=data.get("class_code"),
        status=doc.get("status", "active"),
        periods=tuple(data.get("periods") or ()),
    )


def enrollment_from(doc: Mapping[str, Any]) -> SisEnrollment:
    data = doc.get("data") or {}
    return SisEnrollment(
        sourced_id=doc["sourcedId"],
        user_id=data.get("user_id") or "",
        class_id=data.get("class_id") or "",
        role=data.get("role") or "",
        primary=bool(data.get("primary")),
        begin_date=_date(data.get("begin_date")),
        end_date=_date(data.get("end_date")),
        status=doc.get("status", "active"),
    )


def person_from(doc: Mapping[str, Any], role: str) -> SisPerson:
    data = doc.get("data") or {}
    return SisPerson(
        sourced_id=doc["sourcedId"],
        role=role,
        given_name=data.get("preferred_first_name") or data.get("given_name") or "",
        family_name=data.get("family_name") or "",
        email=data.get("email"),
        username=data.get("username"),
        identifier=data.get("identifier"),
        grades=tuple(data.get("grades") or ()),
    )
