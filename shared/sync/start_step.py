"""The start step: read the district's schools and terms, choose the schools to sync, deal the
fetching to lanes, and enqueue each lane's first page. A repeated delivery finds the lanes
recorded and only enqueues again (task names make that harmless)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from shared.districts import load_district
from shared.errors import RunFailure
from shared.ids import safe_id
from shared.oneroster.errors import OneRosterError
from shared.oneroster.records import Parsed
from shared.store import layout
from shared.store.ports import Write
from shared.sync.district import DistrictConfig
from shared.sync.lanes import deal_lanes, enqueue_item, items_for
from shared.sync.model import DataWarning, Term
from shared.sync.ports import SyncPorts
from shared.sync.roster_checks import term_warnings
from shared.sync.runs import TERMINAL_RUN_STATES, load_run, record_warnings
from shared.sync.warning_codes import fix_text
from shared.tasks import StartTask, final_on_last_delivery


def choose_schools(
    active: Sequence[str], selected: Sequence[str] | None
) -> tuple[list[str], list[DataWarning]]:
    """The schools a run syncs, and a warning per selected school the SIS did not send. Pure."""
    if selected is None:
        return list(active), []
    wanted = set(selected)
    missing = sorted(wanted - set(active))
    warnings = [
        DataWarning(
            "selected_school_missing",
            "org",
            school,
            "a school selected for sync is not among the schools the SIS sends",
            fix_text("selected_school_missing"),
        )
        for school in missing
    ]
    return [s for s in active if s in wanted], warnings


def org_type_warnings(schools: Parsed[Any]) -> list[DataWarning]:
    """Orgs the SIS lists as schools although their type is not ``school``. They are synced
    (some SISes type every school as a department); the admin is told. Pure."""
    return [
        DataWarning(
            "org_not_school",
            "org",
            org.sourced_id,
            f"the SIS lists org {org.name!r} among its schools, but its type is {org.type!r}",
            fix_text("org_not_school"),
            severity="info",
            field="type",
            value=org.type,
        )
        for org in schools.records
        if org.type and org.type != "school"
    ]


def start_warnings(schools: Parsed[Any], terms: Parsed[Any]) -> list[DataWarning]:
    """What the district-wide listings show wrong: non-school orgs listed as schools, terms
    whose dates are out of order. Pure."""
    sessions = [Term(t.sourced_id, t.start_date, t.end_date, t.title) for t in terms.records]
    return org_type_warnings(schools) + term_warnings(sessions)


def no_school_reason(orgs: Parsed[Any] | None) -> str:
    """Why a run has no school to sync, with the org types the SIS does send. Pure."""
    base = "the SIS sent no active school to sync"
    if orgs is None or not orgs.records:
        return f"{base}; check the selected schools and the OneRoster connection"
    types = sorted({o.type or "(no type)" for o in orgs.records})
    return (
        f"{base}: its orgs are of type {', '.join(types)}, and only orgs of type school are "
        "schools; set the schools' type to school in the SIS, or check the selected schools"
    )


def _reference_writes(
    district_id: str, schools: Parsed[Any], terms: Parsed[Any], now: Any
) -> list[Write]:
    writes = [
        Write(
            "set",
            f"{layout.sis_schools(district_id)}/{safe_id(s.sourced_id)}",
            {"sourcedId": s.sourced_id, "name": s.name, "status": s.status, "seen_at": now},
        )
        for s in schools.records
    ]
    return writes + [
        Write(
            "set",
            f"{layout.sis_terms(district_id)}/{safe_id(t.sourced_id)}",
            {
                "sourcedId": t.sourced_id,
                "title": t.title,
                "start_date": t.start_date.isoformat() if t.start_date else None,
                "end_date": t.end_date.isoformat() if t.end_date else None,
                "status": t.status,
                "seen_at": now,
            },
        )
        for t in terms.records
    ]


def _fetch_reference(
    ports: SyncPorts, district: DistrictConfig, run: Mapping[str, Any], retry_count: int
) -> tuple[Parsed[Any], Parsed[Any]]:
    reader = ports.reader(district, run)
    try:
        with final_on_last_delivery(retry_count):
            return reader.fetch_all("schools"), reader.fetch_all("terms")
    except OneRosterError as exc:
        if exc.transient:
            raise
        raise RunFailure(exc.message, "fetching schools and terms") from None


def _orgs_seen(
    ports: SyncPorts, district: DistrictConfig, run: Mapping[str, Any]
) -> Parsed[Any] | None:
    """The district's orgs, to say why no school came; None when the SIS will not list them."""
    try:
        return ports.reader(district, run).fetch_all("orgs")
    except OneRosterError:
        return None


def _not_ended(run: Mapping[str, Any] | None) -> bool:
    return run is not None and run.get("state") not in TERMINAL_RUN_STATES


def _plan_run(
    ports: SyncPorts,
    district: DistrictConfig,
    run: Mapping[str, Any],
    run_id: str,
    retry_count: int,
) -> None:
    district_id, store, now = district.district_id, ports.store, ports.clock()
    schools, terms = _fetch_reference(ports, district, run, retry_count)
    store.commit(_reference_writes(district_id, schools, terms, now))
    active = [s.sourced_id for s in schools.records if s.status == "active"]
    chosen, warnings = choose_schools(active, district.selected_schools)
    found = warnings + start_warnings(schools, terms)
    record_warnings(ports, district_id, run_id, found, writer="start")
    if not chosen:
        orgs = None if schools.records else _orgs_seen(ports, district, run)
        raise RunFailure(no_school_reason(orgs), "fetching schools")
    school_folder = layout.run_part(district_id, run_id, "schools")
    store.commit(
        Write("set", f"{school_folder}/{safe_id(s)}", {"school_id": s, "state": "fetching"})
        for s in chosen
    )
    # A run cancelled meanwhile stays cancelled: the state moves to running only from queued.
    store.update_if(
        layout.run(district_id, run_id),
        _not_ended,
        {
            "state": "running",
            "started_at": now,
            "schools": chosen,
            "lanes": deal_lanes(items_for(chosen), district.max_concurrency),
            "school_count": len(chosen),
            "term_rejections": len(terms.rejections),
        },
    )


def run_start_step(ports: SyncPorts, task: StartTask, retry_count: int) -> dict[str, Any]:
    district_id, run_id = task.district_id, task.run_id
    run = load_run(ports.store, district_id, run_id)
    if run.get("state") in TERMINAL_RUN_STATES:
        return {"state": run["state"]}
    try:
        district = load_district(ports.store, district_id)
    except OneRosterError as exc:
        raise RunFailure(exc.message, "district settings") from None
    if not run.get("lanes"):
        _plan_run(ports, district, run, run_id, retry_count)
        run = load_run(ports.store, district_id, run_id)
        if run.get("state") in TERMINAL_RUN_STATES:  # cancelled while it planned
            return {"state": run["state"]}
    for lane in run["lanes"]:
        enqueue_item(ports, district, run_id, run, lane, 0)
    return {"state": "running", "lanes": len(run["lanes"])}
