"""What the admin API reads beyond a run's progress: the runs list, data warnings (of a run and of
the district) and their grouped counts, one school of a run with its plan sample and held
changes, the SIS's schools, and the settings as stored (never the secret). Lists are cursor-paged
(shared/store/cursors.py); every query on several fields is in layout.COMPOSITE_QUERIES."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from shared.errors import NotFound
from shared.ids import safe_id
from shared.store import layout
from shared.store.cursors import read_page
from shared.store.ports import DOC_ID, DocumentStore, Filter, Order
from shared.sync.current_warnings import current_entries, current_page
from shared.sync.runs import load_run
from shared.sync.status import school_summary, summarize_run
from shared.sync.warning_history import seen_fields
from shared.sync.warning_log import SEEN_FIELDS, current_epochs
from shared.sync.warning_sets import legacy_page, run_warnings, sets_page

NEWEST_FIRST = (Order("created_at", descending=True), Order(DOC_ID, descending=True))
BY_ID = (Order(DOC_ID),)
SETTINGS_SHOWN = (
    "connection",
    "connected",
    "connected_at",
    "disconnected_at",
    "selected_schools",
    "guards",
    "accounts",
    "schedule",
    "export_enabled",
    "export",
    "filters",
)


def _iso(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {k: _iso(v) for k, v in value.items()}
    return value


def list_runs(
    store: DocumentStore,
    district_id: str,
    filters: Mapping[str, str | None],
    limit: int,
    cursor: str | None,
) -> dict[str, Any]:
    """Runs newest first, filtered by ``state`` and ``kind`` when given."""
    wanted = [Filter(name, "==", filters[name]) for name in ("kind", "state") if filters.get(name)]
    page = read_page(
        store, layout.runs(district_id), *wanted, order=NEWEST_FIRST, limit=limit, cursor=cursor
    )
    runs = []
    for doc in page.docs:
        row = {**summarize_run(doc.data), "run_id": doc.id}
        if "warnings" in doc.data:
            row["warnings_total"] = doc.data["warnings"]
        runs.append(row)
    return {"runs": runs, "next_cursor": page.next_cursor}


WARNING_FIELDS = (
    "code",
    "severity",
    "record_kind",
    "sourced_id",
    "school_id",
    "field",
    "value",
    "location",
    "reason",
    "fix",
    *SEEN_FIELDS,
)


def _shown_warning(data: Mapping[str, Any], seen: Mapping[str, Any] | None) -> dict[str, Any]:
    merged = {**data, **(seen or {})}
    return {k: _iso(merged[k]) for k in WARNING_FIELDS if k in merged}


def warnings_page(
    store: DocumentStore,
    district_id: str,
    run_id: str | None,
    filters: Mapping[str, str | None],
    limit: int,
    cursor: str | None,
) -> dict[str, Any]:
    """A run's warnings (``run_id``), else the district's current ones (warning_log.py), in a
    stable order, filtered by ``code`` and ``school_id`` when given; each with first and last
    seen and how many runs saw it."""
    wanted = [Filter(n, "==", filters[n]) for n in ("code", "school_id") if filters.get(n)]
    if run_id is None:
        run_id, epochs = current_epochs(store, district_id)
        found, next_cursor = current_page(store, district_id, epochs, filters, limit, cursor)
    else:
        from_sets = sets_page(store, district_id, run_id, filters, limit, cursor)
        found, next_cursor = from_sets or legacy_page(
            store, district_id, run_id, wanted, limit, cursor
        )
    seen = seen_fields(store, district_id, found)
    return {
        "run_id": run_id,
        "warnings": [_shown_warning(entry, seen.get(entry["key"])) for entry in found],
        "next_cursor": next_cursor,
    }


def group_warnings(warnings: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Counts per kind (``code``) with the kind's fix text and how many schools it touches;
    most frequent first. Pure."""
    groups: dict[str, dict[str, Any]] = {}
    schools: dict[str, set[str]] = {}
    for w in warnings:
        code = str(w.get("code"))
        group = groups.setdefault(
            code,
            {"code": code, "record_kind": w.get("record_kind"), "count": 0, "fix": w.get("fix")},
        )
        group["count"] += 1
        if w.get("school_id"):
            schools.setdefault(code, set()).add(str(w["school_id"]))
    for code, group in groups.items():
        group["schools"] = len(schools.get(code, ()))
    return sorted(groups.values(), key=lambda g: (-g["count"], g["code"]))


def warnings_summary(store: DocumentStore, district_id: str, run_id: str | None) -> dict[str, Any]:
    """A run's warnings (``run_id``), else the district's current ones, counted per kind. Reads
    every warning once (an admin's question, not the progress poll)."""
    if run_id is None:
        run_id, epochs = current_epochs(store, district_id)
        kinds = group_warnings(current_entries(store, district_id, epochs))
    else:
        kinds = group_warnings(run_warnings(store, district_id, run_id))
    return {"run_id": run_id, "kinds": kinds, "total": sum(k["count"] for k in kinds)}


def school_detail(
    store: DocumentStore,
    district_id: str,
    run_id: str,
    school_id: str,
    limit: int,
    cursor: str | None,
) -> dict[str, Any]:
    """One school of a run: state and counts, the stored plan sample, and the held changes
    themselves (a page of hold documents, each up to 200 changes)."""
    load_run(store, district_id, run_id)
    folder = layout.run_part(district_id, run_id, "schools")
    doc = store.get(f"{folder}/{safe_id(school_id)}") or store.get(f"{folder}/{school_id}")
    if doc is None:
        raise NotFound(f"run {run_id} has no school {school_id!r}; see the run's schools")
    school = doc.get("school_id", school_id)
    holds = read_page(
        store,
        layout.run_part(district_id, run_id, "holds"),
        Filter("school_id", "==", school),
        order=BY_ID,
        limit=limit,
        cursor=cursor,
    )
    return {
        **school_summary(doc),
        "school_id": school,
        "sample": doc.get("sample", []),
        "holds": [_iso(h.data) for h in holds.docs],
        "next_cursor": holds.next_cursor,
    }


def sis_schools(store: DocumentStore, district_id: str) -> dict[str, Any]:
    """The schools the SIS sent at the last start step, each with whether it syncs."""
    district = store.get(layout.district(district_id)) or {}
    selected = district.get("selected_schools")
    schools = [
        {
            "id": doc.data.get("sourcedId", doc.id),
            "name": doc.data.get("name"),
            "status": doc.data.get("status"),
            "selected": selected is None or doc.data.get("sourcedId") in selected,
        }
        for doc in store.query(layout.sis_schools(district_id))
    ]
    schools.sort(key=lambda s: (str(s["name"] or ""), str(s["id"])))
    return {"schools": schools, "all_selected": selected is None}


def settings_view(doc: Mapping[str, Any]) -> dict[str, Any]:
    """The connection and settings as stored, by allow-list: never the secret or its name. Pure."""
    return {k: _iso(doc[k]) for k in SETTINGS_SHOWN if k in doc}
