"""Mark export, the imperative shell: who may export, linking hand-made classes, and the task that
writes one class's assignments and marks to the SIS with PUT and deterministic sourcedIds.

Exactly once: a lineItem's id derives from district, SIS section and assignment, a result's from
those and the student, so a retry, a repeated export or a reconnect replaces rather than adds.
Only changed content is sent: each assignment and mark keeps the hash of what the SIS last
accepted.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Mapping
from functools import partial
from typing import TYPE_CHECKING, Any

from shared.adapters.firestore_db import Write, commit_writes, field_filter
from shared.export.mapping import (
    Assignment,
    Category,
    ExportContext,
    Held,
    Mark,
    Period,
    bodies,
    content_hash,
    plan_line_item,
    plan_result,
)
from shared.identity import AuthError, Caller, staff_role
from shared.ids import digest, safe_id
from shared.oneroster.errors import OneRosterError, TransientError
from shared.oneroster.vendors import preset
from shared.sync.district import DistrictConfig
from shared.sync.service import district_ref, load_district, mirror_collection

if TYPE_CHECKING:
    from shared.runtime import Runtime

log = logging.getLogger(__name__)
MAX_TASK_RETRIES = 12


class ExportRefused(Exception):
    """Export cannot start; the message tells the teacher why and what to do."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


def _class_doc(rt: Runtime, district_id: str, class_id: str) -> dict[str, Any]:
    snapshot = district_ref(rt.db, district_id).collection("classes").document(class_id).get()
    if not snapshot.exists:
        raise ExportRefused(404, f"class {class_id!r} does not exist")
    return snapshot.to_dict() or {}


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


def check_teacher(rt: Runtime, district_id: str, caller: Caller, cls: Mapping[str, Any]) -> None:
    staff = staff_role(rt.db, district_id, caller)
    if not is_teacher_of(staff, cls):
        raise AuthError(403, "only a teacher of this class can do this")


def _check_enabled(rt: Runtime, district_id: str) -> DistrictConfig:
    district = load_district(rt, district_id)
    if not district.export_enabled:
        raise ExportRefused(
            403,
            'Mark export is turned off for this district ("Enable classwork and mark '
            'exporting"); ask the district admin to turn it on.',
        )
    return district


def _already_sent(doc: Mapping[str, Any], content: str) -> bool:
    """The SIS already holds exactly this content (sent or confirmed unchanged before)."""
    previous = doc.get("export") or {}
    return previous.get("hash") == content and previous.get("state") in ("sent", "unchanged")


def request_export(rt: Runtime, district_id: str, class_id: str, caller: Caller) -> dict[str, Any]:
    cls = _class_doc(rt, district_id, class_id)
    check_teacher(rt, district_id, caller, cls)
    _check_enabled(rt, district_id)
    if section_of(cls) is None:
        raise ExportRefused(
            409, "This class is not linked to an SIS section; link it first, then export."
        )
    requested = rt.clock()
    rt.queue.enqueue(
        rt.settings.export_queue,
        {"step": "export", "district_id": district_id, "class_id": class_id},
        # one export per class and second: a double click does not export twice
        name=f"export-{digest(district_id, class_id, f'{requested:%Y%m%d%H%M%S}')}",
        url=rt.export_task_url,
    )
    district_ref(rt.db, district_id).collection("classes").document(class_id).set(
        {"export": {"requested_at": requested, "requested_by": caller.email, "state": "queued"}},
        merge=True,
    )
    return {"queued": True, "class_id": class_id}


def link_class(
    rt: Runtime, district_id: str, class_id: str, section_id: str, caller: Caller
) -> dict[str, Any]:
    """A teacher links a class they made by hand to an SIS section they teach."""
    cls = _class_doc(rt, district_id, class_id)
    check_teacher(rt, district_id, caller, cls)
    _check_enabled(rt, district_id)
    if cls.get("origin") == "sis":
        raise ExportRefused(409, "Synced classes are linked to their section already.")
    staff = staff_role(rt.db, district_id, caller)
    teacher_id = staff.get("sis_user_id")
    if not teacher_id:
        raise ExportRefused(
            409, "Your account is not linked to an SIS teacher yet; run a roster sync first."
        )
    db = rt.db
    for school in district_ref(db, district_id).collection("sis_schools").stream():
        school_id = (school.to_dict() or {}).get("sourcedId", "")
        section = (
            mirror_collection(db, district_id, school_id, "classes")
            .document(safe_id(section_id))
            .get()
        )
        if not section.exists or (section.to_dict() or {}).get("status") != "active":
            continue
        enrollments = mirror_collection(db, district_id, school_id, "enrollments")
        for enrollment in enrollments.where(
            filter=field_filter("data.class_id", "==", section_id)
        ).stream():
            data = enrollment.to_dict() or {}
            info = data.get("data") or {}
            if (
                info.get("user_id") == teacher_id
                and info.get("role") == "teacher"
                and data.get("status") == "active"
            ):
                db.collection("districts").document(district_id).collection("classes").document(
                    class_id
                ).set(
                    {
                        "link": {
                            "section_id": section_id,
                            "school_id": school_id,
                            "linked_by": caller.email,
                            "linked_at": rt.clock(),
                        }
                    },
                    merge=True,
                )
                return {"linked": True, "section_id": section_id}
        raise ExportRefused(403, f"You do not teach SIS section {section_id!r}.")
    raise ExportRefused(404, f"The SIS has no active section {section_id!r}.")


# ---- the export task ----------------------------------------------------------------------


def _to_datetime(value: Any) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    if isinstance(value, str) and value:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
    return None


def _assignment(doc_id: str, data: Mapping[str, Any]) -> Assignment:
    assigned = _to_datetime(data.get("assigned_at")) or _to_datetime(data.get("created_at"))
    return Assignment(
        assignment_id=doc_id,
        title=str(data.get("title") or ""),
        description=data.get("description") or None,
        assigned_at=assigned or dt.datetime(1970, 1, 1, tzinfo=dt.UTC),
        due_at=_to_datetime(data.get("due_at")),
        max_points=float(data.get("max_points") or 0),
        category=data.get("category") or None,
    )


def _mark(data: Mapping[str, Any], today: dt.date) -> Mark:
    marked = _to_datetime(data.get("updated_at"))
    score = data.get("score")
    return Mark(
        student_id=str(data.get("sis_user_id") or ""),
        status=str(data.get("status") or "graded"),
        score=float(score) if isinstance(score, int | float) else None,
        comment=data.get("comment") or None,
        marked_on=marked.date() if marked else today,
    )


def _context(
    rt: Runtime, district: DistrictConfig, cls: Mapping[str, Any]
) -> tuple[ExportContext, Any]:
    district_id = district.district_id
    section = section_of(cls)
    if section is None:
        raise ExportRefused(409, "This class is not linked to an SIS section.")
    section_id, school_id = section
    vendor = preset(district.connection.vendor)
    client = rt.client_for(district)
    per_class = vendor.category_scope == "class" and district.connection.version == "1.2"
    categories = client.categories(section_id if per_class else None)
    db = rt.db
    term_ids: list[str] = list((cls.get("sis") or {}).get("term_ids") or [])
    if not term_ids:
        mirror_doc = (
            mirror_collection(db, district_id, school_id, "classes")
            .document(safe_id(section_id))
            .get()
        )
        term_ids = list(((mirror_doc.to_dict() or {}).get("data") or {}).get("term_ids") or [])
    terms: dict[str, tuple[dt.date | None, dt.date | None]] = {}
    periods: list[Period] = []
    for term_id in term_ids:
        term_doc = (
            district_ref(db, district_id).collection("sis_terms").document(safe_id(term_id)).get()
        )
        data = term_doc.to_dict() or {}
        terms[term_id] = (
            dt.date.fromisoformat(data["start_date"]) if data.get("start_date") else None,
            dt.date.fromisoformat(data["end_date"]) if data.get("end_date") else None,
        )
        for period in client.grading_periods(term_id).records:
            if period.status == "active":
                periods.append(
                    Period(
                        period.sourced_id, period.title, term_id, period.start_date, period.end_date
                    )
                )
    export_settings = (district_ref(db, district_id).get().to_dict() or {}).get("export") or {}
    ctx = ExportContext(
        district_id=district_id,
        section_id=section_id,
        school_id=school_id,
        version=district.connection.version,
        preset=vendor,
        categories=tuple(
            Category(c.sourced_id, c.title) for c in categories.records if c.status == "active"
        ),
        default_category=export_settings.get("default_category"),
        periods=tuple(periods),
        terms=terms,
    )
    return ctx, client


def _record(writes: list[Write], ref: Any, state: str, now: dt.datetime, **extra: Any) -> None:
    writes.append(("merge", ref, {"export": {"state": state, "last_attempt_at": now, **extra}}))


def _send(
    rt: Runtime, put: Callable[[], object], retry_count: int, writes: list[Write]
) -> str | None:
    """Sends one write; None when the SIS accepted it, else the reason to record. A transient
    failure while Cloud Tasks still retries keeps what was accepted and raises."""
    try:
        put()
    except TransientError:
        if retry_count < MAX_TASK_RETRIES:
            commit_writes(rt.db, writes)  # the retry finds these unchanged and skips them
            raise
        return "the SIS kept failing; try again later"
    except OneRosterError as exc:
        return exc.message
    return None


def handle_export(
    rt: Runtime, district_id: str, class_id: str, retry_count: int = 0
) -> dict[str, Any]:
    """Exports one class. Transient SIS failures raise (Cloud Tasks retries the task; marks
    already accepted are then unchanged and not sent again); permanent ones are recorded per
    assignment or mark and the task completes."""
    started = time.monotonic()
    db = rt.db
    class_ref = district_ref(db, district_id).collection("classes").document(class_id)
    cls = _class_doc(rt, district_id, class_id)
    now = rt.clock()
    try:
        district = _check_enabled(rt, district_id)
        ctx, client = _context(rt, district, cls)
    except ExportRefused as exc:
        class_ref.set(
            {"export": {"state": "refused", "message": exc.message, "finished_at": now}}, merge=True
        )
        return {"state": "refused", "message": exc.message}
    except TransientError:
        if retry_count < MAX_TASK_RETRIES:
            raise
        class_ref.set(
            {"export": {"state": "failed", "message": "the SIS kept failing", "finished_at": now}},
            merge=True,
        )
        return {"state": "failed"}
    except OneRosterError as exc:
        class_ref.set(
            {"export": {"state": "failed", "message": exc.message, "finished_at": now}}, merge=True
        )
        return {"state": "failed", "message": exc.message}
    line_item_body, result_body = bodies(ctx, client.href_for, now)
    counts = {"sent": 0, "unchanged": 0, "failed": 0, "held": 0}
    for snapshot in class_ref.collection("coursework").stream():
        data = snapshot.to_dict() or {}
        if data.get("state", "published") != "published":
            continue
        assignment = _assignment(snapshot.id, data)
        writes: list[Write] = []
        planned = plan_line_item(ctx, assignment)
        if isinstance(planned, Held):
            _record(writes, snapshot.reference, "held", now, message=planned.reason)
            counts["held"] += 1
            commit_writes(db, writes)
            continue
        line_item, period = planned
        digest_li = content_hash(line_item_body(line_item))
        if _already_sent(data, digest_li):
            li_state = "unchanged"
        else:
            failure = _send(
                rt, partial(client.put_line_item, line_item, now=now), retry_count, writes
            )
            if failure:
                _record(writes, snapshot.reference, "failed", now, message=failure)
                counts["failed"] += 1
                commit_writes(db, writes)
                continue
            li_state = "sent"
        _record(
            writes,
            snapshot.reference,
            li_state,
            now,
            hash=digest_li,
            sis_line_item_id=line_item.sourced_id,
            grading_period=period.title,
            message=None,
        )
        counts[li_state] += 1
        for mark_snapshot in snapshot.reference.collection("marks").stream():
            mark_data = mark_snapshot.to_dict() or {}
            result = plan_result(ctx, assignment, line_item, _mark(mark_data, now.date()))
            if isinstance(result, Held):
                _record(writes, mark_snapshot.reference, "held", now, message=result.reason)
                counts["held"] += 1
                continue
            digest_r = content_hash(result_body(result))
            if _already_sent(mark_data, digest_r):
                _record(writes, mark_snapshot.reference, "unchanged", now, hash=digest_r)
                counts["unchanged"] += 1
                continue
            failure = _send(rt, partial(client.put_result, result, now=now), retry_count, writes)
            if failure:
                _record(writes, mark_snapshot.reference, "failed", now, message=failure)
                counts["failed"] += 1
            else:
                _record(
                    writes,
                    mark_snapshot.reference,
                    "sent",
                    now,
                    hash=digest_r,
                    sis_result_id=result.sourced_id,
                    message=None,
                )
                counts["sent"] += 1
        commit_writes(db, writes)
    class_ref.set(
        {
            "export": {
                "state": "done",
                "counts": counts,
                "finished_at": rt.clock(),
                "seconds": round(time.monotonic() - started, 2),
            }
        },
        merge=True,
    )
    log.info(
        "export.done",
        extra={"labels": {"district": district_id, "class": class_id}, "fields": counts},
    )
    return {"state": "done", "counts": counts}
