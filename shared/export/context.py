"""What an export of one class needs to know before it sends anything: the section, the SIS
categories and grading periods, the terms, and the district's vendor rules."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from shared.errors import Conflict
from shared.export.classes import section_of
from shared.export.mapping import Category, ExportContext, Period
from shared.ids import safe_id
from shared.oneroster.vendors import preset
from shared.store import layout
from shared.store.ports import DocumentStore
from shared.sync import mirror
from shared.sync.district import DistrictConfig


def _day(value: Any) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def class_term_ids(
    store: DocumentStore, district_id: str, cls: Mapping[str, Any], section: tuple[str, str]
) -> list[str]:
    term_ids = list((cls.get("sis") or {}).get("term_ids") or [])
    if term_ids:
        return term_ids
    section_id, school_id = section
    mirrored = (
        store.get(f"{layout.mirror(district_id, school_id, 'classes')}/{safe_id(section_id)}") or {}
    )
    return list(mirror.data_of(mirrored).get("term_ids") or [])


def open_periods(client: Any, term_id: str) -> list[Period]:
    return [
        Period(p.sourced_id, p.title, term_id, p.start_date, p.end_date)
        for p in client.grading_periods(term_id).records
        if p.status == "active"
    ]


def export_context(
    store: DocumentStore, district: DistrictConfig, client: Any, cls: Mapping[str, Any]
) -> ExportContext:
    district_id = district.district_id
    section = section_of(cls)
    if section is None:
        raise Conflict("This class is not linked to an SIS section.")
    section_id, school_id = section
    vendor = preset(district.connection.vendor)
    per_class = vendor.category_scope == "class" and district.connection.version == "1.2"
    categories = client.categories(section_id if per_class else None)
    terms: dict[str, tuple[dt.date | None, dt.date | None]] = {}
    periods: list[Period] = []
    for term_id in class_term_ids(store, district_id, cls, section):
        term = store.get(f"{layout.sis_terms(district_id)}/{safe_id(term_id)}") or {}
        terms[term_id] = (_day(term.get("start_date")), _day(term.get("end_date")))
        periods.extend(open_periods(client, term_id))
    settings = (store.get(layout.district(district_id)) or {}).get("export") or {}
    return ExportContext(
        district_id=district_id,
        section_id=section_id,
        school_id=school_id,
        version=district.connection.version,
        preset=vendor,
        categories=tuple(
            Category(c.sourced_id, c.title) for c in categories.records if c.status == "active"
        ),
        default_category=settings.get("default_category"),
        periods=tuple(periods),
        terms=terms,
    )
