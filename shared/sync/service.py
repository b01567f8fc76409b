"""Roster sync, the imperative shell: start a run, fetch one page per task into the mirror, and
when a school's fetch is complete plan → guard → apply into the classroom collections.

Every handler is idempotent under at-least-once delivery: page documents are keyed by run, item
and page index; mirror writes are content-addressed (unchanged records are not written); classroom
writes set values computed from state, never increments; tasks have deterministic names.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict
from typing import TYPE_CHECKING, Any, Literal

from shared.adapters.firestore_db import chunks, commit_writes, field_filter, field_path
from shared.ids import digest, safe_id
from shared.oneroster.errors import OneRosterError, TransientError
from shared.oneroster.gradebook import timestamp
from shared.oneroster.paging import PageRequest
from shared.sync import mirror
from shared.sync.accounts import SisPerson, generate_username, match_accounts
from shared.sync.district import DistrictConfig
from shared.sync.guards import GuardedPlan, guard_plan
from shared.sync.model import (
    ClassChange,
    ClassroomClass,
    DataWarning,
    Member,
    SchoolPlan,
    Term,
)
from shared.sync.planner import plan_school_sync

if TYPE_CHECKING:
    from google.cloud.firestore import Client, CollectionReference, DocumentReference

    from shared.runtime import Runtime

log = logging.getLogger(__name__)

RunKind = Literal["full", "delta"]
TERMINAL_RUN_STATES = frozenset({"succeeded", "succeeded_with_warnings", "held", "failed"})
TERMINAL_SCHOOL_STATES = frozenset({"applied", "planned", "held", "failed"})
DELTA_OVERLAP = dt.timedelta(minutes=10)
MAX_TASK_RETRIES = 12  # after this many failed deliveries a transient failure is final
SIS_OWNED_CLASS_FIELDS = ("sis", "origin", "archived", "archived_reason", "owner")


class SyncError(Exception):
    """A failure that ends a run (or one school of it) with a message for the admin."""

    def __init__(self, message: str, where: str) -> None:
        super().__init__(message)
        self.message, self.where = message, where


# ---- Firestore paths ----


def district_ref(db: Client, district_id: str) -> DocumentReference:
    ref: DocumentReference = db.collection("districts").document(district_id)
    return ref


def run_ref(db: Client, district_id: str, run_id: str) -> DocumentReference:
    ref: DocumentReference = district_ref(db, district_id).collection("runs").document(run_id)
    return ref


def mirror_collection(
    db: Client, district_id: str, school_id: str, resource: str
) -> CollectionReference:
    collection: CollectionReference = (
        district_ref(db, district_id)
        .collection("schools")
        .document(safe_id(school_id))
        .collection(f"sis_{resource}")
    )
    return collection


def class_id_for(section_id: str) -> str:
    return f"sis-{safe_id(section_id)}"


def item_key(school_id: str, resource: str) -> str:
    return f"{safe_id(school_id)}~~{resource}"


# ---- starting a run ----


def load_district(rt: Runtime, district_id: str) -> DistrictConfig:
    snapshot = district_ref(rt.db, district_id).get()
    if not snapshot.exists:
        raise SyncError(f"district {district_id!r} is not registered", "district")
    return DistrictConfig.from_doc(district_id, snapshot.to_dict() or {})


def create_run(
    rt: Runtime,
    district_id: str,
    *,
    kind: RunKind,
    dry_run: bool,
    requested_by: str,
    run_id: str | None = None,
) -> str:
    """Records a run and enqueues its start task. Returns quickly; the work happens in tasks."""
    from google.api_core.exceptions import AlreadyExists

    load_district(rt, district_id)  # refuse early when the district cannot sync
    now = rt.clock()
    run_id = run_id or f"{now:%Y%m%dT%H%M%S}-{kind}-{uuid.uuid4().hex[:8]}"
    with contextlib.suppress(AlreadyExists):  # the same scheduled run requested twice
        run_ref(rt.db, district_id, run_id).create(
            {
                "district_id": district_id,
                "kind": kind,
                "dry_run": dry_run,
                "requested_by": requested_by,
                "state": "queued",
                "created_at": now,
            }
        )
    if not dry_run:
        state: dict[str, Any] = {"last_at": now, "last_run": run_id}
        if kind == "full":
            state["last_full_at"] = now
        district_ref(rt.db, district_id).set({"sync_state": state}, merge=True)
    rt.queue.enqueue(
        rt.settings.sync_queue,
        {"step": "start", "district_id": district_id, "run_id": run_id},
        name=f"start-{digest(district_id, run_id)}",
    )
    log.info("sync.run_created", extra={"labels": {"district": district_id, "run": run_id}})
    return run_id


def handle_task(rt: Runtime, payload: Mapping[str, Any], retry_count: int = 0) -> dict[str, Any]:
    """Entry point of the sync task handler. Raises TransientError for Cloud Tasks to retry."""
    step = payload.get("step")
    district_id, run_id = str(payload.get("district_id", "")), str(payload.get("run_id", ""))
    if not district_id or not run_id:
        raise ValueError("district_id and run_id are required")
    labels = {"district": district_id, "run": run_id, "step": str(step)}
    started = time.monotonic()
    try:
        if step == "start":
            result = _start(rt, district_id, run_id, retry_count)
        elif step == "page":
            result = _page(rt, district_id, run_id, payload, retry_count)
        elif step == "school":
            result = _school(rt, district_id, run_id, str(payload["school_id"]))
        else:
            raise ValueError(f"unknown step {step!r}")
        log.info(
            "sync.step_done",
            extra={
                "labels": labels,
                "fields": {"ms": round((time.monotonic() - started) * 1000), "retry": retry_count},
            },
        )
        return result
    except SyncError as exc:
        log.error("sync.failed", extra={"labels": labels, "fields": {"where": exc.where}})
        _fail_run(rt, district_id, run_id, exc.message, exc.where)
        return {"state": "failed", "reason": exc.message}


def _fail_run(rt: Runtime, district_id: str, run_id: str, reason: str, where: str) -> None:
    run_ref(rt.db, district_id, run_id).set(
        {
            "state": "failed",
            "failure": {"reason": reason, "where": where},
            "finished_at": rt.clock(),
        },
        merge=True,
    )


def _run_doc(rt: Runtime, district_id: str, run_id: str) -> dict[str, Any]:
    snapshot = run_ref(rt.db, district_id, run_id).get()
    if not snapshot.exists:
        raise SyncError(f"run {run_id!r} does not exist", "run")
    return snapshot.to_dict() or {}


def _start(rt: Runtime, district_id: str, run_id: str, retry_count: int) -> dict[str, Any]:
    run = _run_doc(rt, district_id, run_id)
    if run.get("state") in TERMINAL_RUN_STATES:
        return {"state": run["state"]}
    try:
        district = load_district(rt, district_id)
    except OneRosterError as exc:
        raise SyncError(exc.message, "district settings") from None
    if not run.get("lanes"):
        client = rt.client_for(district)
        try:
            schools = client.fetch_all("schools")
            terms = client.fetch_all("terms")
        except TransientError as exc:
            if retry_count < MAX_TASK_RETRIES:
                raise
            raise SyncError(exc.message, "fetching schools and terms") from None
        except OneRosterError as exc:
            raise SyncError(exc.message, "fetching schools and terms") from None
        db = rt.db
        base = district_ref(db, district_id)
        now = rt.clock()
        commit_writes(
            db,
            [
                (
                    "set",
                    base.collection("sis_schools").document(safe_id(s.sourced_id)),
                    {"sourcedId": s.sourced_id, "name": s.name, "status": s.status, "seen_at": now},
                )
                for s in schools.records
            ]
            + [
                (
                    "set",
                    base.collection("sis_terms").document(safe_id(t.sourced_id)),
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
            ],
        )
        active = [s.sourced_id for s in schools.records if s.status == "active"]
        if district.selected_schools is not None:
            wanted = set(district.selected_schools)
            missing = sorted(wanted - set(active))
            active = [s for s in active if s in wanted]
            _warn_all(
                rt,
                district_id,
                run_id,
                [
                    DataWarning(
                        "selected_school_missing",
                        "org",
                        school,
                        "a school selected for sync is not among the schools the SIS sends",
                        "check the school in the SIS or update the selection",
                    )
                    for school in missing
                ],
            )
        if not active:
            raise SyncError(
                "the SIS sent no active school to sync; check the selected schools and the "
                "OneRoster connection",
                "fetching schools",
            )
        items = [item_key(s, r) for s in active for r in mirror.SCHOOL_RESOURCES]
        lane_count = max(1, min(district.connection.max_concurrency, len(items)))
        lanes = {str(i): items[i::lane_count] for i in range(lane_count)}
        commit_writes(
            db,
            [
                (
                    "set",
                    run_ref(db, district_id, run_id)
                    .collection("schools")
                    .document(safe_id(school)),
                    {"school_id": school, "state": "fetching"},
                )
                for school in active
            ],
        )
        run_ref(db, district_id, run_id).set(
            {
                "state": "running",
                "started_at": now,
                "schools": active,
                "lanes": lanes,
                "school_count": len(active),
                "term_rejections": len(terms.rejections),
            },
            merge=True,
        )
        run = _run_doc(rt, district_id, run_id)
    for lane in run["lanes"]:
        _enqueue_item(rt, district, run_id, run, lane, 0)
    return {"state": "running", "lanes": len(run["lanes"])}


def _split_item(item: str) -> tuple[str, str]:
    from shared.ids import from_safe_id

    school, resource = item.split("~~", 1)
    return from_safe_id(school), resource


def _first_request(
    rt: Runtime, district: DistrictConfig, run: Mapping[str, Any], item: str
) -> PageRequest:
    school, resource = _split_item(item)
    client = rt.client_for(district)
    query: dict[str, Any] = {}
    if run.get("kind") == "delta":
        watermark = (
            district_ref(rt.db, district.district_id).collection("watermarks").document(item).get()
        )
        value = (watermark.to_dict() or {}).get("value") if watermark.exists else None
        if isinstance(value, str) and value:
            since = _stamp_key(value) - DELTA_OVERLAP
            query["filter"] = f"dateLastModified>'{timestamp(since)}'"
    return client.school_request(school, resource, **query)


def _enqueue_item(
    rt: Runtime,
    district: DistrictConfig,
    run_id: str,
    run: Mapping[str, Any],
    lane: str,
    item_index: int,
) -> None:
    items = run["lanes"][lane]
    if item_index >= len(items):
        return
    request = _first_request(rt, district, run, items[item_index])
    _enqueue_page(rt, district.district_id, run_id, lane, item_index, 0, request)


def _enqueue_page(
    rt: Runtime,
    district_id: str,
    run_id: str,
    lane: str,
    item_index: int,
    page_index: int,
    request: PageRequest,
) -> None:
    rt.queue.enqueue(
        rt.settings.sync_queue,
        {
            "step": "page",
            "district_id": district_id,
            "run_id": run_id,
            "lane": lane,
            "item_index": item_index,
            "page_index": page_index,
            "request": request.to_dict(),
        },
        name=f"page-{digest(district_id, run_id, lane, str(item_index), str(page_index))}",
    )


# ---- one page ----


def _page(
    rt: Runtime, district_id: str, run_id: str, payload: Mapping[str, Any], retry_count: int
) -> dict[str, Any]:
    run = _run_doc(rt, district_id, run_id)
    if run.get("state") in TERMINAL_RUN_STATES:
        return {"state": run["state"], "skipped": True}
    lane, item_index = str(payload["lane"]), int(payload["item_index"])
    page_index = int(payload["page_index"])
    item = run["lanes"][lane][item_index]
    school_id, resource = _split_item(item)
    db = rt.db
    runs = run_ref(db, district_id, run_id)
    page_ref = runs.collection("pages").document(f"{item}~~{page_index:05d}")
    fetch_ref = runs.collection("fetches").document(item)
    labels = {"district": district_id, "run": run_id, "school": school_id, "task": page_ref.id}
    district = load_district(rt, district_id)

    existing = page_ref.get()
    if existing.exists:
        page_doc = existing.to_dict() or {}
        next_request = (
            PageRequest.from_dict(json.loads(page_doc["next"])) if page_doc.get("next") else None
        )
    else:
        client = rt.client_for(district)
        request = PageRequest.from_dict(payload["request"])
        try:
            page = client.fetch_page(request)
        except TransientError as exc:
            if retry_count < MAX_TASK_RETRIES:
                log.warning("sync.page_retry", extra={"labels": labels})
                raise
            _fail_fetch(rt, district, run_id, run, lane, item_index, exc.message)
            return {"state": "failed", "reason": exc.message}
        except OneRosterError as exc:
            _fail_fetch(rt, district, run_id, run, lane, item_index, exc.message)
            return {"state": "failed", "reason": exc.message}
        parsed = client.parse_page(page)
        written = _write_mirror(rt, district_id, school_id, resource, run_id, parsed.records)
        _warn_all(
            rt,
            district_id,
            run_id,
            [
                DataWarning(
                    "invalid_record",
                    resource,
                    rejection.sourced_id or f"(row {request.offset + rejection.index + 1})",
                    rejection.reason,
                    "correct the record in the SIS",
                    school_id,
                )
                for rejection in parsed.rejections
            ],
        )
        stamps = [r.date_last_modified for r in parsed.records if r.date_last_modified]
        next_request = page.next
        page_ref.set(
            {
                "item": item,
                "school_id": school_id,
                "resource": resource,
                "index": page_index,
                "ids": [safe_id(r.sourced_id) for r in parsed.records],
                "records": len(parsed.records),
                "written": written,
                "rejected": len(parsed.rejections),
                "total": page.total,
                "max_modified": max(stamps, key=_stamp_key) if stamps else None,
                # JSON text: Firestore cannot hold the nested arrays of the query parameters
                "next": json.dumps(next_request.to_dict()) if next_request else None,
                "done_at": rt.clock(),
            }
        )
        if page_index == 0 and page.total is not None:
            per_page = max(page.received, 1)
            fetch_ref.set({"pages_known": -(-page.total // per_page) or 1}, merge=True)
        log.info(
            "sync.page",
            extra={
                "labels": labels,
                "fields": {"records": len(parsed.records), "written": written},
            },
        )

    if next_request is not None:
        _enqueue_page(rt, district_id, run_id, lane, item_index, page_index + 1, next_request)
        return {"state": "page_done", "next": True}
    fetch_ref.set(
        {
            "item": item,
            "school_id": school_id,
            "resource": resource,
            "state": "complete",
            "pages": page_index + 1,
            "pages_known": page_index + 1,
        },
        merge=True,
    )
    _enqueue_item(rt, district, run_id, run, lane, item_index + 1)
    _maybe_school_done(rt, district_id, run_id, school_id)
    return {"state": "item_done"}


def _stamp_key(value: str) -> dt.datetime:
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return dt.datetime.min.replace(tzinfo=dt.UTC)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _fail_fetch(
    rt: Runtime,
    district: DistrictConfig,
    run_id: str,
    run: Mapping[str, Any],
    lane: str,
    item_index: int,
    reason: str,
) -> None:
    district_id = district.district_id
    item = run["lanes"][lane][item_index]
    school_id, resource = _split_item(item)
    run_ref(rt.db, district_id, run_id).collection("fetches").document(item).set(
        {
            "item": item,
            "school_id": school_id,
            "resource": resource,
            "state": "failed",
            "reason": reason,
        },
        merge=True,
    )
    log.error(
        "sync.fetch_failed",
        extra={
            "labels": {"district": district_id, "run": run_id, "school": school_id},
            "fields": {"resource": resource},
        },
    )
    _enqueue_item(rt, district, run_id, run, lane, item_index + 1)
    _maybe_school_done(rt, district_id, run_id, school_id)


def _write_mirror(
    rt: Runtime,
    district_id: str,
    school_id: str,
    resource: str,
    run_id: str,
    records: Sequence[Any],
) -> int:
    """Writes only records whose content changed (content hash), in batches."""
    if not records:
        return 0
    db = rt.db
    collection = mirror_collection(db, district_id, school_id, resource)
    refs = [collection.document(safe_id(r.sourced_id)) for r in records]
    known: dict[str, str | None] = {}
    for chunk in chunks(refs, 300):
        for snapshot in db.get_all(list(chunk), field_paths=["hash"]):
            if snapshot.exists:
                known[snapshot.id] = (snapshot.to_dict() or {}).get("hash")
    now = rt.clock()
    writes = []
    for ref, record in zip(refs, records, strict=True):
        data = mirror.mirror_data(record)
        content = mirror.content_hash(record.status, data)
        if known.get(ref.id) == content:
            continue
        writes.append(
            (
                "set",
                ref,
                {
                    "sourcedId": record.sourced_id,
                    "status": record.status,
                    "dateLastModified": record.date_last_modified,
                    "hash": content,
                    "data": data,
                    "changed_run": run_id,
                    "changed_at": now,
                },
            )
        )
    return commit_writes(db, writes)


def _warn_all(rt: Runtime, district_id: str, run_id: str, warnings: Iterable[DataWarning]) -> None:
    warnings_ref = run_ref(rt.db, district_id, run_id).collection("warnings")
    now = rt.clock()
    commit_writes(
        rt.db,
        [
            (
                "set",
                warnings_ref.document(digest(w.school_id or "", w.code, w.sourced_id)),
                {**asdict(w), "at": now},
            )
            for w in warnings
        ],
    )


def _maybe_school_done(rt: Runtime, district_id: str, run_id: str, school_id: str) -> None:
    """Enqueues the school's plan task once every resource fetch ended. Reads only this school's
    fetch documents (no shared counter, so no contended document)."""
    fetches = run_ref(rt.db, district_id, run_id).collection("fetches")
    states = {}
    for resource in mirror.SCHOOL_RESOURCES:
        snapshot = fetches.document(item_key(school_id, resource)).get()
        states[resource] = (snapshot.to_dict() or {}).get("state") if snapshot.exists else None
    if all(state in ("complete", "failed") for state in states.values()):
        rt.queue.enqueue(
            rt.settings.sync_queue,
            {
                "step": "school",
                "district_id": district_id,
                "run_id": run_id,
                "school_id": school_id,
            },
            name=f"school-{digest(district_id, run_id, school_id)}",
        )


# ---- plan → guard → apply, per school ----


def _stream(collection: Any) -> Iterator[dict[str, Any]]:
    for snapshot in collection.stream():
        data = snapshot.to_dict() or {}
        data["_id"] = snapshot.id
        yield data


def _member_map(raw: Any) -> dict[str, Member]:
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
        co_teachers=_member_map(doc.get("co_teachers")),
        students=_member_map(doc.get("students")),
    )


def _read_mirror(rt: Runtime, district_id: str, school_id: str) -> dict[str, list[dict[str, Any]]]:
    """The school's four mirror collections, read concurrently (reads dominate a school step)."""
    from concurrent.futures import ThreadPoolExecutor

    def read(resource: str) -> list[dict[str, Any]]:
        return list(_stream(mirror_collection(rt.db, district_id, school_id, resource)))

    with ThreadPoolExecutor(max_workers=len(mirror.SCHOOL_RESOURCES)) as pool:
        results = pool.map(read, mirror.SCHOOL_RESOURCES)
        return dict(zip(mirror.SCHOOL_RESOURCES, results, strict=True))


def _infer_removals(
    rt: Runtime,
    district_id: str,
    run_id: str,
    school_id: str,
    docs: dict[str, list[dict[str, Any]]],
) -> list[str]:
    """Full sync: records missing from a complete fetch are marked tobedeleted, in Firestore and
    in ``docs``. Returns the resources whose response looked suspect (nothing received while the
    mirror has active records); nothing is removed for those."""
    db = rt.db
    runs = run_ref(db, district_id, run_id)
    suspect = []
    now = rt.clock()
    writes: list[tuple[str, Any, dict[str, Any]]] = []
    for resource in mirror.SCHOOL_RESOURCES:
        item = item_key(school_id, resource)
        seen: set[str] = set()
        for page in (
            runs.collection("pages").where(filter=field_filter("item", "==", item)).stream()
        ):
            seen.update((page.to_dict() or {}).get("ids") or ())
        active = [d for d in docs[resource] if d.get("status") == "active"]
        if not seen and active:
            suspect.append(resource)
            continue
        collection = mirror_collection(db, district_id, school_id, resource)
        removal = {
            "status": "tobedeleted",
            "changed_run": run_id,
            "changed_at": now,
            "hash": "removed",
            "removed_by": "full-sync",
        }
        for doc in active:
            if doc["_id"] not in seen:
                doc.update(removal)
                writes.append(("update", collection.document(doc["_id"]), dict(removal)))
    if not suspect:
        commit_writes(db, writes)
    return suspect


def _school(rt: Runtime, district_id: str, run_id: str, school_id: str) -> dict[str, Any]:
    db = rt.db
    runs = run_ref(db, district_id, run_id)
    school_ref = runs.collection("schools").document(safe_id(school_id))
    school_doc = school_ref.get().to_dict() or {}
    if school_doc.get("state") in TERMINAL_SCHOOL_STATES:
        _maybe_finish_run(rt, district_id, run_id)
        return {"state": school_doc["state"]}
    run = _run_doc(rt, district_id, run_id)
    district = load_district(rt, district_id)
    failures = []
    for resource in mirror.SCHOOL_RESOURCES:
        snapshot = runs.collection("fetches").document(item_key(school_id, resource)).get()
        fetch = snapshot.to_dict() or {}
        if fetch.get("state") != "complete":
            failures.append(f"{resource}: {fetch.get('reason', 'fetch did not complete')}")
    if failures:
        school_ref.set(
            {
                "state": "failed",
                "reason": "; ".join(failures),
                "where": f"fetching school {school_id}",
                "finished_at": rt.clock(),
            },
            merge=True,
        )
        _maybe_finish_run(rt, district_id, run_id)
        return {"state": "failed"}
    docs = _read_mirror(rt, district_id, school_id)
    if run.get("kind") == "full":
        suspect = _infer_removals(rt, district_id, run_id, school_id, docs)
        if suspect:
            school_ref.set(
                {
                    "state": "failed",
                    "reason": f"the SIS sent no {', '.join(suspect)} for this school although "
                    "Rostersync has them; treated as suspect, nothing was removed",
                    "where": f"fetching school {school_id}",
                    "finished_at": rt.clock(),
                },
                merge=True,
            )
            _maybe_finish_run(rt, district_id, run_id)
            return {"state": "failed"}

    today = rt.clock().date()
    sections = [mirror.section_from(d) for d in docs["classes"]]
    enrollments = [mirror.enrollment_from(d) for d in docs["enrollments"]]
    people: dict[str, SisPerson] = {}
    for resource, role in (("teachers", "teacher"), ("students", "student")):
        for doc in docs[resource]:
            if doc.get("status") == "active":
                people.setdefault(doc["sourcedId"], mirror.person_from(doc, role))
    terms = {}
    for doc in _stream(district_ref(db, district_id).collection("sis_terms")):
        terms[doc["sourcedId"]] = Term(
            doc["sourcedId"],
            dt.date.fromisoformat(doc["start_date"]) if doc.get("start_date") else None,
            dt.date.fromisoformat(doc["end_date"]) if doc.get("end_date") else None,
        )
    classes_ref = district_ref(db, district_id).collection("classes")
    current = [
        classroom_class_from(d)
        for d in _stream(
            classes_ref.where(filter=field_filter("origin", "==", "sis")).where(
                filter=field_filter("sis.school_id", "==", school_id)
            )
        )
    ]
    plan = plan_school_sync(
        school_id=school_id,
        sections=sections,
        enrollments=enrollments,
        classes=current,
        terms=terms,
        known_users=people.__contains__,
        today=today,
        class_id_for=class_id_for,
    )
    links, account_warnings = _link_accounts(rt, district, run, school_id, list(people.values()))
    plan = SchoolPlan(plan.school_id, plan.changes, plan.warnings + tuple(account_warnings))
    guarded = guard_plan(
        plan,
        existing_classes=sum(1 for c in current if not c.archived),
        existing_students=sum(
            1 for c in current for m in c.students.values() if m.status == "active"
        ),
        existing_co_teachers=sum(
            1 for c in current for m in c.co_teachers.values() if m.status == "active"
        ),
        thresholds=district.thresholds,
    )
    _warn_all(rt, district_id, run_id, plan.warnings)
    dry_run = bool(run.get("dry_run"))
    counts = plan.counts()
    summary: dict[str, Any] = {
        "counts": counts,
        "held_counts": SchoolPlan(school_id, guarded.held, ()).counts() if guarded.held else {},
        "hold_reasons": list(guarded.reasons),
        "sample": [_describe(c) for c in plan.changes[:50]],
    }
    if guarded.held:
        _store_held(rt, district_id, run_id, school_id, guarded)
    if not dry_run:
        _apply(rt, district_id, run_id, guarded.proceed, people, links)
        _commit_watermarks(rt, district_id, run_id, school_id)
    state = "planned" if dry_run else ("held" if guarded.held else "applied")
    school_ref.set(
        {"state": state, **summary, "finished_at": rt.clock(), "dry_run": dry_run}, merge=True
    )
    log.info(
        "sync.school_done",
        extra={
            "labels": {"district": district_id, "run": run_id, "school": school_id},
            "fields": {"state": state, **counts},
        },
    )
    _maybe_finish_run(rt, district_id, run_id)
    return {"state": state, "counts": counts}


def _describe(change: ClassChange) -> dict[str, Any]:
    out: dict[str, Any] = {"class_id": change.class_id, "section_id": change.section_id}
    for key, value in asdict(change).items():
        if key in ("class_id", "section_id", "school_id"):
            continue
        if value not in (None, False, ()):
            out[key] = list(value) if isinstance(value, tuple) else value
    return out


def _store_held(
    rt: Runtime, district_id: str, run_id: str, school_id: str, guarded: GuardedPlan
) -> None:
    holds = run_ref(rt.db, district_id, run_id).collection("holds")
    writes = []
    for index, chunk in enumerate(chunks(list(guarded.held), 200)):
        writes.append(
            (
                "set",
                holds.document(f"{safe_id(school_id)}~~{index:04d}"),
                {
                    "school_id": school_id,
                    "state": "held",
                    "reasons": list(guarded.reasons),
                    "changes": [asdict(c) for c in chunk],
                },
            )
        )
    commit_writes(rt.db, writes)


def _member_entry(user_id: str, links: Mapping[str, str], source: str = "sis") -> dict[str, Any]:
    return {
        "sis_user_id": user_id,
        "account_id": links.get(user_id),
        "status": "active",
        "source": source,
        "removed_by": None,
    }


def _apply(
    rt: Runtime,
    district_id: str,
    run_id: str,
    changes: Iterable[ClassChange],
    people: Mapping[str, SisPerson],
    links: Mapping[str, str],
) -> int:
    """Writes the changes. Only SIS-owned fields and the members the sync manages are touched,
    by field path, so the teacher's own fields (name, offer state, manual members) survive."""
    db = rt.db
    classes = district_ref(db, district_id).collection("classes")
    now = rt.clock()
    writes: list[tuple[str, Any, dict[str, Any]]] = []
    for change in changes:
        ref = classes.document(change.class_id)
        if change.create:
            writes.append(
                (
                    "set",
                    ref,
                    {
                        "origin": "sis",
                        "sis": {
                            "section_id": change.section_id,
                            "school_id": change.school_id,
                            "title": change.sis_title,
                            "term_ids": list(change.term_ids or ()),
                        },
                        "sis_owned_fields": list(SIS_OWNED_CLASS_FIELDS),
                        "name": change.sis_title,
                        "name_source": "sis",
                        "offer_state": "pending",
                        "archived": False,
                        "archived_reason": None,
                        "owner": {
                            "sis_user_id": change.owner_id,
                            "account_id": links.get(change.owner_id or ""),
                        },
                        "co_teachers": {
                            safe_id(t): _member_entry(t, links) for t in change.add_co_teachers
                        },
                        "students": {
                            safe_id(s): _member_entry(s, links) for s in change.add_students
                        },
                        "created_at": now,
                        "updated_at": now,
                        "updated_by_run": run_id,
                    },
                )
            )
            continue
        update: dict[str, Any] = {"updated_at": now, "updated_by_run": run_id}
        if change.sis_title is not None:
            update[field_path("sis", "title")] = change.sis_title
        if change.term_ids is not None:
            update[field_path("sis", "term_ids")] = list(change.term_ids)
        if change.owner_id:
            from google.cloud.firestore import DELETE_FIELD

            update["owner"] = {
                "sis_user_id": change.owner_id,
                "account_id": links.get(change.owner_id),
            }
            update[field_path("co_teachers", safe_id(change.owner_id))] = DELETE_FIELD
        if change.archive_reason:
            update.update(
                {"archived": True, "archived_reason": change.archive_reason, "archived_at": now}
            )
        if change.unarchive:
            update.update({"archived": False, "archived_reason": None})
        for group, added, restored, removed in (
            ("students", change.add_students, change.restore_students, change.remove_students),
            (
                "co_teachers",
                change.add_co_teachers,
                change.restore_co_teachers,
                change.remove_co_teachers,
            ),
        ):
            for user_id in (*added, *restored):
                update[field_path(group, safe_id(user_id))] = _member_entry(user_id, links)
            for user_id in removed:
                update[field_path(group, safe_id(user_id), "status")] = "removed"
                update[field_path(group, safe_id(user_id), "removed_by")] = "sis"
                update[field_path(group, safe_id(user_id), "removed_at")] = now
        writes.append(("update", ref, update))
    written = commit_writes(db, writes)
    # The class name follows the SIS title only while the teacher has not renamed it: a
    # conditional write per renamed class, so a rename racing with the sync is never lost.
    for change in changes:
        if change.sis_title is not None and not change.create:
            _follow_sis_title(rt, classes.document(change.class_id), change.sis_title)
    return written


def _follow_sis_title(rt: Runtime, ref: DocumentReference, title: str) -> None:
    from google.cloud import firestore

    transaction = rt.db.transaction()

    @firestore.transactional
    def rename(tx: Any) -> None:
        snapshot = ref.get(transaction=tx)
        if (snapshot.to_dict() or {}).get("name_source", "sis") == "sis":
            tx.update(ref, {"name": title})

    rename(transaction)


def _commit_watermarks(rt: Runtime, district_id: str, run_id: str, school_id: str) -> None:
    """The watermark is the largest dateLastModified seen, committed only after the whole
    resource was fetched and applied."""
    db = rt.db
    runs = run_ref(db, district_id, run_id)
    marks = district_ref(db, district_id).collection("watermarks")
    for resource in mirror.SCHOOL_RESOURCES:
        item = item_key(school_id, resource)
        raw_stamps = [
            (p.to_dict() or {}).get("max_modified")
            for p in runs.collection("pages")
            .where(filter=field_filter("item", "==", item))
            .stream()
        ]
        stamps = [str(s) for s in raw_stamps if s]
        if not stamps:
            continue
        newest = max(stamps, key=_stamp_key)
        current = marks.document(item).get()
        old = (current.to_dict() or {}).get("value") if current.exists else None
        if not isinstance(old, str) or _stamp_key(newest) > _stamp_key(old):
            marks.document(item).set({"value": newest, "run_id": run_id, "at": rt.clock()})


def _maybe_finish_run(rt: Runtime, district_id: str, run_id: str) -> None:
    """Ends the run once every school ended: counts and the final state, computed from the
    per-school documents (each written by its own task)."""
    runs = run_ref(rt.db, district_id, run_id)
    run = _run_doc(rt, district_id, run_id)
    if run.get("state") in TERMINAL_RUN_STATES:
        return
    # A count first, so each school's completion costs one aggregation, not a read of every
    # school document; the documents are read once, by the task that ends the run.
    ended_query = runs.collection("schools").where(
        filter=field_filter("state", "in", sorted(TERMINAL_SCHOOL_STATES))
    )
    if ended_query.count().get()[0][0].value < int(run.get("school_count", 0)):
        return
    schools = [s.to_dict() or {} for s in runs.collection("schools").stream()]
    if any(s.get("state") not in TERMINAL_SCHOOL_STATES for s in schools):
        return
    totals: dict[str, int] = {}
    held_totals: dict[str, int] = {}
    for school in schools:
        for key, value in (school.get("counts") or {}).items():
            totals[key] = totals.get(key, 0) + int(value)
        for key, value in (school.get("held_counts") or {}).items():
            held_totals[key] = held_totals.get(key, 0) + int(value)
    warnings = runs.collection("warnings").count().get()[0][0].value
    failed = [s for s in schools if s.get("state") == "failed"]
    held = [s for s in schools if s.get("state") == "held"]
    if failed:
        state = "failed"
    elif held:
        state = "held"
    elif warnings:
        state = "succeeded_with_warnings"
    else:
        state = "succeeded"
    update: dict[str, Any] = {
        "state": state,
        "counts": totals,
        "held_counts": held_totals,
        "warnings": warnings,
        "finished_at": rt.clock(),
    }
    if failed:
        update["failure"] = {
            "reason": failed[0].get("reason", "a school failed"),
            "where": ", ".join(str(s.get("where", s.get("school_id"))) for s in failed),
        }
    runs.set(update, merge=True)
    log.info(
        "sync.run_done",
        extra={"labels": {"district": district_id, "run": run_id}, "fields": {"state": state}},
    )


# ---- accounts ----


def _link_accounts(
    rt: Runtime,
    district: DistrictConfig,
    run: Mapping[str, Any],
    school_id: str,
    people: list[SisPerson],
) -> tuple[dict[str, str], list[DataWarning]]:
    """Links SIS users to accounts (existing links are kept); optionally creates accounts."""
    db = rt.db
    base = district_ref(db, district.district_id)
    link_refs = {
        p.sourced_id: base.collection("account_links").document(safe_id(p.sourced_id))
        for p in people
    }
    links: dict[str, str] = {}
    for chunk in chunks(list(link_refs.values()), 300):
        for snapshot in db.get_all(list(chunk)):
            if snapshot.exists:
                data = snapshot.to_dict() or {}
                links[str(data["sis_user_id"])] = str(data["account_id"])
    unlinked = [p for p in people if p.sourced_id not in links]
    if not unlinked:
        return links, []
    key = district.match_key
    values = sorted({v for p in unlinked if (v := p.key(key))})
    accounts_by_key: dict[str, list[str]] = {}
    accounts = base.collection("accounts")
    for chunk in chunks(values, 30):
        for snapshot in accounts.where(
            filter=field_filter(field_path("match_keys", key), "in", list(chunk))
        ).stream():
            value = ((snapshot.to_dict() or {}).get("match_keys") or {}).get(key)
            if isinstance(value, str):
                accounts_by_key.setdefault(value, []).append(snapshot.id)
    matches, unmatched, warnings = match_accounts(people, accounts_by_key, key, school_id=school_id)
    dry_run = bool(run.get("dry_run"))
    now = rt.clock()
    writes = []
    for match in matches:
        if match.sis_user_id in links:
            continue
        links[match.sis_user_id] = match.account_id
        writes.append(
            (
                "set",
                link_refs[match.sis_user_id],
                {
                    "sis_user_id": match.sis_user_id,
                    "account_id": match.account_id,
                    "matched_by": match.matched_by,
                    "value": match.value,
                    "linked_at": now,
                },
            )
        )
    unmatched = [p for p in unmatched if p.sourced_id not in links]
    if district.create_accounts and not dry_run:
        for person in unmatched:
            links[person.sourced_id] = _create_account(rt, district, person)
            writes.append(
                (
                    "set",
                    link_refs[person.sourced_id],
                    {
                        "sis_user_id": person.sourced_id,
                        "account_id": links[person.sourced_id],
                        "matched_by": "created",
                        "value": None,
                        "linked_at": now,
                    },
                )
            )
    else:
        warnings.extend(
            DataWarning(
                "no_matching_account",
                "user",
                p.sourced_id,
                f"no account has this {key}",
                f"create the account in the app, correct the {key} in the SIS, or turn on "
                "account creation",
                school_id,
            )
            for p in unmatched
            if p.key(key)  # users without the key already have their own warning
        )
    if not dry_run:
        commit_writes(db, writes)
    return links, warnings


def _create_account(rt: Runtime, district: DistrictConfig, person: SisPerson) -> str:
    """Creates an account with a generated unique username. Idempotent: the account id derives
    from the SIS user, and a username reserved for it earlier is reused."""
    from google.api_core.exceptions import AlreadyExists

    db = rt.db
    base = district_ref(db, district.district_id)
    account_id = f"sis-{safe_id(person.sourced_id)}"
    account_ref = base.collection("accounts").document(account_id)
    existing = account_ref.get()
    if existing.exists:
        return account_id
    usernames = base.collection("usernames")

    def taken(name: str) -> bool:
        snapshot = usernames.document(name).get()
        return snapshot.exists and (snapshot.to_dict() or {}).get("account_id") != account_id

    while True:
        username = generate_username(person, taken)
        try:
            usernames.document(username).create({"account_id": account_id})
            break
        except AlreadyExists:
            if not taken(username):
                break
    account_ref.set(
        {
            "username": username,
            "display_name": f"{person.given_name} {person.family_name}".strip(),
            "role": person.role,
            "email": person.email,
            "match_keys": {
                k: v for k in ("email", "username", "identifier") if (v := person.key(k))
            },
            "created_by": "rostersync",
            "sis_user_id": person.sourced_id,
            "created_at": rt.clock(),
        }
    )
    return account_id


# ---- held runs ----


def change_from_dict(data: Mapping[str, Any]) -> ClassChange:
    """A held change as stored (lists) back into a ClassChange (tuples)."""
    from dataclasses import fields

    values: dict[str, Any] = {}
    for spec in fields(ClassChange):
        if spec.name in data:
            value = data[spec.name]
            values[spec.name] = tuple(value) if isinstance(value, list) else value
    return ClassChange(**values)


def decide_held(
    rt: Runtime, district_id: str, run_id: str, decision: str, by: str
) -> dict[str, Any]:
    """An admin approves (apply the held removals) or discards them."""
    if decision not in ("approve", "discard"):
        raise ValueError("decision must be approve or discard")
    db = rt.db
    runs = run_ref(db, district_id, run_id)
    run = _run_doc(rt, district_id, run_id)
    if run.get("state") != "held":
        raise SyncError(f"run {run_id} is {run.get('state')}, not held", "decision")
    applied = 0
    for hold in runs.collection("holds").where(filter=field_filter("state", "==", "held")).stream():
        data = hold.to_dict() or {}
        if decision == "approve":
            changes = [change_from_dict(c) for c in data.get("changes", [])]
            applied += _apply(rt, district_id, run_id, changes, {}, {})
        hold.reference.update(
            {
                "state": "approved" if decision == "approve" else "discarded",
                "decided_by": by,
                "decided_at": rt.clock(),
            }
        )
    for school in (
        runs.collection("schools").where(filter=field_filter("state", "==", "held")).stream()
    ):
        school.reference.update({"state": "applied", "hold_decision": decision})
    runs.set(
        {
            "state": "succeeded_with_warnings" if run.get("warnings") else "succeeded",
            "hold_decision": {"decision": decision, "by": by, "at": rt.clock()},
        },
        merge=True,
    )
    return {"decision": decision, "classes_written": applied}


# ---- status ----


def run_status(rt: Runtime, district_id: str, run_id: str) -> dict[str, Any]:
    runs = run_ref(rt.db, district_id, run_id)
    run = _run_doc(rt, district_id, run_id)
    pages_done = runs.collection("pages").count().get()[0][0].value
    pages_known = 0
    for fetch in runs.collection("fetches").stream():
        pages_known += int((fetch.to_dict() or {}).get("pages_known") or 0)
    schools = {}
    for school in runs.collection("schools").stream():
        data = school.to_dict() or {}
        schools[data.get("school_id", school.id)] = {
            k: data[k]
            for k in ("state", "counts", "held_counts", "hold_reasons", "reason", "where")
            if k in data
        }
    warnings = [
        {k: v for k, v in (w.to_dict() or {}).items() if k != "at"}
        for w in runs.collection("warnings").limit(200).stream()
    ]
    out = {
        k: v
        for k, v in run.items()
        if k
        in (
            "kind",
            "dry_run",
            "state",
            "counts",
            "held_counts",
            "failure",
            "school_count",
            "hold_decision",
            "requested_by",
        )
    }
    for key in ("created_at", "started_at", "finished_at"):
        if run.get(key):
            out[key] = run[key].isoformat()
    if run.get("started_at") and run.get("finished_at"):
        out["seconds"] = round((run["finished_at"] - run["started_at"]).total_seconds(), 2)
    out.update(
        {
            "run_id": run_id,
            "progress": {"pages_done": pages_done, "pages_known": max(pages_known, pages_done)},
            "schools": schools,
            "warnings": warnings,
        }
    )
    return out
