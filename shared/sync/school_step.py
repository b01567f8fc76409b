"""The school step, once every fetch of a school ended: infer removals (full sync), plan from the
mirror (a delta: removing only on records it fetched), link accounts, guard, then apply what may
proceed, hold the rest, and commit the watermarks. Each stage is a function of its own; this
module tells the order."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import Any

from shared.districts import load_district
from shared.ids import safe_id
from shared.store import layout
from shared.store.ports import Write
from shared.sync import mirror
from shared.sync.accounts import SisPerson
from shared.sync.apply import apply_changes
from shared.sync.district import DistrictConfig
from shared.sync.filters import offered_sections
from shared.sync.guards import GuardedPlan, guard_plan
from shared.sync.holds import hold_writes
from shared.sync.linking import confirm_links, link_accounts
from shared.sync.mirror_snapshot import (
    MirrorDocs,
    SchoolMirror,
    save_snapshot,
    writer_entry,
    writer_writes,
)
from shared.sync.mirror_store import read_school_mirror
from shared.sync.model import ClassChange, ClassroomClass, SchoolPlan, Term
from shared.sync.planner import plan_school_sync
from shared.sync.ports import SyncPorts
from shared.sync.quiet import Planned, remember, skip_if_quiet, unlinked_users
from shared.sync.removals import (
    infer_removals,
    keep_evidenced_removals,
    removal_fields,
    removes_something,
    without_unseen_removals,
)
from shared.sync.roster_checks import (
    mirror_user_warnings,
    split_duplicates,
    tobedeleted_in_full,
)
from shared.sync.runs import (
    CANCELLED,
    TERMINAL_SCHOOL_STATES,
    load_run,
    maybe_finish_run,
    record_warnings,
)
from shared.sync.school_inputs import (
    ClassSnapshot,
    FetchedPages,
    fetch_failures,
    read_fetches,
    read_pages,
    read_school_classes,
    run_terms,
)
from shared.sync.warning_sets import school_set
from shared.sync.watermarks import commit_school_watermarks
from shared.tasks import SchoolTask

log = logging.getLogger(__name__)


def mark_removed(
    ports: SyncPorts,
    district_id: str,
    run_id: str,
    school_id: str,
    school: SchoolMirror,
    pages: FetchedPages,
) -> list[str]:
    """Full sync: records missing from a complete fetch become tobedeleted, in the store and in
    the mirror as read. Returns the suspect resources; nothing is removed when there is one."""
    docs = school.docs
    removals = infer_removals(pages.ids, docs)
    if removals.suspect:
        return removals.suspect
    fields = removal_fields(run_id, ports.clock())
    writes, written = [], []
    for resource, gone in removals.removed.items():
        folder = layout.mirror(district_id, school_id, resource)
        gone_ids = set(gone)
        for doc in docs[resource]:
            if doc["_id"] in gone_ids:
                doc.update(fields)
                school.removed(resource, doc["_id"], fields)
                writes.append(Write("update", f"{folder}/{doc['_id']}", dict(fields)))
                written.append(f"{resource}/{doc['_id']}")
    if writes:  # the school's plan must be made again (quiet.py)
        reset = Write("set", layout.school_state(district_id, school_id), {"quiet": None})
        entry = writer_entry(run_id)  # the snapshot saved next holds these writes
        school.entries += (entry,)
        writers = writer_writes(district_id, school_id, run_id, written, entry)
        ports.store.commit([reset, *writers, *writes])
    return []


def active_people(docs: MirrorDocs) -> dict[str, SisPerson]:
    people: dict[str, SisPerson] = {}
    for resource, role in (("teachers", "teacher"), ("students", "student")):
        for doc in docs[resource]:
            if doc.get("status") == "active":
                people.setdefault(doc["sourcedId"], mirror.person_from(doc, role))
    return people


def guard(
    plan: SchoolPlan, current: Sequence[ClassroomClass], district: DistrictConfig
) -> GuardedPlan:
    live = [c for c in current if not c.archived]
    return guard_plan(
        plan,
        existing_classes=len(live),
        existing_students=sum(
            1 for c in current for m in c.students.values() if m.status == "active"
        ),
        existing_co_teachers=sum(
            1 for c in current for m in c.co_teachers.values() if m.status == "active"
        ),
        thresholds=district.thresholds,
    )


def describe(change: ClassChange) -> dict[str, Any]:
    out: dict[str, Any] = {"class_id": change.class_id, "section_id": change.section_id}
    for key, value in asdict(change).items():
        if key not in ("class_id", "section_id", "school_id") and value not in (None, False, ()):
            out[key] = list(value) if isinstance(value, tuple) else value
    return out


def school_summary(plan: SchoolPlan, guarded: GuardedPlan) -> dict[str, Any]:
    return {
        "counts": plan.counts(),
        "held_counts": SchoolPlan(plan.school_id, guarded.held, ()).counts()
        if guarded.held
        else {},
        "hold_reasons": list(guarded.reasons),
        "sample": [describe(c) for c in plan.changes[:50]],
    }


def school_path(task: SchoolTask) -> str:
    return f"{layout.run_part(task.district_id, task.run_id, 'schools')}/{safe_id(task.school_id)}"


def _end_school(ports: SyncPorts, task: SchoolTask, fields: Mapping[str, Any]) -> None:
    ended = {**fields, "pending": None, "finished_at": ports.clock()}
    ports.store.set(school_path(task), ended, merge=True)
    maybe_finish_run(ports, task.district_id, task.run_id)


def _fail_school(ports: SyncPorts, task: SchoolTask, reason: str) -> dict[str, Any]:
    _end_school(
        ports,
        task,
        {"state": "failed", "reason": reason, "where": f"fetching school {task.school_id}"},
    )
    return {"state": "failed"}


def plan_from_mirror(
    school_id: str,
    docs: MirrorDocs,
    current: Sequence[ClassroomClass],
    terms: Mapping[str, Term],
    today: dt.date,
) -> SchoolPlan:
    people = active_people(docs)
    plan = plan_school_sync(
        school_id=school_id,
        sections=[mirror.section_from(d) for d in docs["classes"]],
        enrollments=[mirror.enrollment_from(d) for d in docs["enrollments"]],
        classes=current,
        terms=terms,
        known_users=people.__contains__,
        today=today,
        class_id_for=layout.class_id_for,
        user_roles={user_id: person.role for user_id, person in people.items()},
    )
    checks = tuple(mirror_user_warnings(docs, school_id))
    return SchoolPlan(plan.school_id, plan.changes, plan.warnings + checks)


def plan_school(
    school_id: str,
    docs: MirrorDocs,
    current: Sequence[ClassroomClass],
    terms: Mapping[str, Term],
    today: dt.date,
    delta_seen: Mapping[str, set[str]] | None = None,
) -> SchoolPlan:
    """The school's plan from its mirror. A delta (``delta_seen``: the ids its pages fetched)
    keeps only the removals its own records show (see removals.py)."""
    plan = plan_from_mirror(school_id, docs, current, terms, today)
    if delta_seen is None or not any(removes_something(c) for c in plan.changes):
        return plan
    view = without_unseen_removals(delta_seen, docs)
    if view is None:
        return plan
    return keep_evidenced_removals(plan, plan_from_mirror(school_id, view, current, terms, today))


def _plan(
    ports: SyncPorts,
    district: DistrictConfig,
    run: Mapping[str, Any],
    task: SchoolTask,
    docs: MirrorDocs,
    pages: FetchedPages,
) -> tuple[SchoolPlan, list[ClassroomClass], ClassSnapshot, dict[str, str]]:
    """The plan, the school's classes it was made on (and the documents they were read from),
    and the account links."""
    store, district_id, school_id = ports.store, task.district_id, task.school_id
    current, read = read_school_classes(store, district_id, school_id)
    sections, enrollments = offered_sections(
        docs["classes"], docs["enrollments"], district.filters, {c.section_id for c in current}
    )
    docs = {**docs, "classes": sections, "enrollments": enrollments}
    delta_seen = pages.ids if run.get("kind") == "delta" else None
    terms, today = run_terms(store, district_id, task.run_id), ports.clock().date()
    plan = plan_school(school_id, docs, current, terms, today, delta_seen)
    links, account_warnings = link_accounts(
        store,
        district,
        list(active_people(docs).values()),
        school_id=school_id,
        dry_run=bool(run.get("dry_run")),
        now=ports.clock(),
        run_id=task.run_id,
    )
    plan = SchoolPlan(plan.school_id, plan.changes, plan.warnings + tuple(account_warnings))
    return plan, current, read, links


SUSPECT = (
    "the SIS sent no {} for this school although Rostersync has them; treated as suspect, "
    "nothing was removed"
)


def _apply(
    ports: SyncPorts,
    task: SchoolTask,
    guarded: GuardedPlan,
    links: dict[str, str],
    pages: FetchedPages,
) -> None:
    store, district_id, run_id = ports.store, task.district_id, task.run_id
    apply_changes(store, district_id, run_id, guarded.proceed, links, ports.clock())
    confirm_links(store, district_id, task.school_id, links)
    commit_school_watermarks(store, ports.clock, district_id, run_id, task.school_id, pages.stamps)


def _plan_and_apply(
    ports: SyncPorts,
    district: DistrictConfig,
    task: SchoolTask,
    run: Mapping[str, Any],
    docs: MirrorDocs,
    pages: FetchedPages,
    pending: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """Plans, guards and applies the school. The fields the school ends with are recorded first
    (``pending``): a delivery again after a crash past the apply ends with them, since its own
    plan, made on classes already changed, would count nothing."""
    store, district_id, run_id = ports.store, task.district_id, task.run_id
    dry_run = bool(run.get("dry_run"))
    plan, current, read, links = _plan(ports, district, run, task, docs, pages)
    guarded = guard(plan, current, district)
    split = split_duplicates(pages.by_page, task.school_id)
    if run.get("kind") == "full":
        split += tobedeleted_in_full(docs, pages.ids, task.school_id)
    warnings = plan.warnings + tuple(split)
    writer = school_set(task.school_id)
    record_warnings(ports, district_id, run_id, warnings + pages.rejections, writer=writer)
    state = "planned" if dry_run else ("held" if guarded.held else "applied")
    ending = dict(pending or {"state": state, **school_summary(plan, guarded), "dry_run": dry_run})
    if pending is None:
        store.set(school_path(task), {"pending": ending}, merge=True)
    if guarded.held:
        store.commit(hold_writes(district_id, run_id, task.school_id, guarded, links))
    if not dry_run:
        _apply(ports, task, guarded, links, pages)
    people, key = active_people(docs), district.match_key
    unlinked = unlinked_users(plan.warnings, people, key, task.school_id)
    changed = [c.class_id for c in plan.changes]
    counted = len(plan.warnings)
    planned = Planned(state, warnings, counted, docs["enrollments"], unlinked, read, changed)
    remember(ports, district, run, task, pages, planned)
    labels = {"district": district_id, "run": run_id, "school": task.school_id}
    log.info(
        "sync.school_done",
        extra={"labels": labels, "fields": {"state": ending["state"], **ending["counts"]}},
    )
    _end_school(ports, task, ending)
    return {"state": ending["state"], "counts": ending["counts"]}


def run_school_step(ports: SyncPorts, task: SchoolTask) -> dict[str, Any]:
    store, district_id, run_id, school_id = (
        ports.store,
        task.district_id,
        task.run_id,
        task.school_id,
    )
    school = store.get(school_path(task)) or {}
    if school.get("state") in TERMINAL_SCHOOL_STATES:
        maybe_finish_run(ports, district_id, run_id)
        return {"state": school["state"]}
    run = load_run(store, district_id, run_id)
    if run.get("state") == CANCELLED:  # nothing is applied once a run was cancelled
        return {"state": CANCELLED}
    fetches = read_fetches(store, district_id, run_id, school_id)
    failures = fetch_failures(fetches)
    if failures:
        return _fail_school(ports, task, "; ".join(failures))
    pages = read_pages(store, district_id, run_id, school_id, fetches)
    district = load_district(store, district_id)
    pending = school.get("pending")  # fields an earlier delivery planned and may have applied
    quiet = skip_if_quiet(ports, district, run, task, pages)
    if quiet is not None:
        ending = pending or quiet
        _end_school(ports, task, ending)
        return {"state": ending["state"], "counts": ending["counts"], "quiet": not pending}
    school_mirror = read_school_mirror(store, district_id, school_id, (run_id, pages.copies))
    if run.get("kind") == "full":
        suspect = mark_removed(ports, district_id, run_id, school_id, school_mirror, pages)
        if suspect:
            return _fail_school(ports, task, SUSPECT.format(", ".join(suspect)))
    if school_mirror.worth_saving():
        save_snapshot(store, district_id, school_id, school_mirror, (run_id, ports.clock()))
    docs = school_mirror.docs
    return _plan_and_apply(ports, district, task, run, docs, pages, pending)
