"""The mark export stages `make bench` measures: seeding accepted classes, assignments and graded
marks into Firestore, a first export of every class through the teacher API, and the same
exports again with nothing changed. Each returns plain numbers for bench/report.py."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from typing import Any

import requests

from bench.measure import DISTRICT, POLL_SECONDS, TEACHER, BatchWriter, Bench
from shared.ids import safe_id


@dataclass(frozen=True)
class ExportShape:
    classes: int
    assignments: int
    per_class: int

    @property
    def marks(self) -> int:
        return self.classes * self.assignments * self.per_class


def seed_marks(bench: Bench, shape: ExportShape) -> tuple[list[str], int]:
    """Accepted classes of the synced district, each with published assignments and a graded
    mark per student enrolled in its section (at most ``per_class``; the strict SIS refuses a
    result for anyone else), written straight to Firestore as the classroom app would. Returns
    the classes and the number of marks."""
    store = bench.running.sis.store
    enrolled = _enrolled_students(store.all("enrollments"))
    sections = list(store.all("classes"))[: shape.classes]
    bench.district.collection("staff").document(safe_id(TEACHER)).set(
        {"role": "teacher", "sis_user_id": "bench-teacher"}
    )
    now = dt.datetime.now(dt.UTC)
    writer = BatchWriter(bench.db)
    class_ids, marks = [], 0
    for index, section in enumerate(sections):
        ref = bench.district.collection("classes").document(f"bench-{index:03d}")
        class_ids.append(ref.id)
        writer.set(ref, _class_doc(section))
        roster = enrolled.get(section["sourcedId"], [])[: shape.per_class]
        marks += len(roster) * shape.assignments
        for a in range(shape.assignments):
            work = ref.collection("coursework").document(f"a{a:02d}")
            writer.set(work, _assignment_doc(a, now))
            for n, student in enumerate(roster):
                mark = {"sis_user_id": student, "status": "graded", "updated_at": now}
                writer.set(
                    work.collection("marks").document(safe_id(student)),
                    {**mark, "score": float(10 + (n + a) % 10)},
                )
    writer.flush()
    return class_ids, marks


def _enrolled_students(enrollments: Any) -> dict[str, list[str]]:
    """Each section's active students."""
    out: dict[str, list[str]] = {}
    for e in enrollments:
        if e.get("role") == "student" and e.get("status", "active") == "active":
            out.setdefault(e["class"]["sourcedId"], []).append(e["user"]["sourcedId"])
    return out


def _class_doc(section: dict[str, Any]) -> dict[str, Any]:
    return {
        "origin": "sis",
        "offer_state": "accepted",
        "sis": {
            "section_id": section["sourcedId"],
            "school_id": section["school"]["sourcedId"],
            "term_ids": [t["sourcedId"] for t in section["terms"]],
        },
        "owner": {"sis_user_id": "bench-teacher"},
    }


def _assignment_doc(index: int, now: dt.datetime) -> dict[str, Any]:
    return {
        "title": f"Assignment {index + 1}",
        "category": "Homework",
        "max_points": 20,
        "assigned_at": now - dt.timedelta(days=3),
        "due_at": now,
        "state": "published",
    }


def export_stage(bench: Bench, class_ids: list[str], stage: str) -> dict[str, Any]:
    bench.progress.say(f"{stage}: started ({len(class_ids)} classes)")
    before_requests = bench.sis_requests()
    started_at = dt.datetime.now(dt.UTC)
    started = time.monotonic()
    for class_id in class_ids:
        requests.post(
            f"{bench.functions}/export_teacher/districts/{DISTRICT}/classes/{class_id}/export",
            headers=bench.headers(TEACHER),
            # Locally one functions server serves the requests and the tasks: the export
            # queue's 10 concurrent dispatches can hold most of its threads for minutes.
            timeout=600,
        ).raise_for_status()
    finished = wait_exports(bench, class_ids, stage)
    wall = time.monotonic() - started
    # The classes' own finish times (export.finished_at), so the 2 s poll does not blur it.
    seconds = (max(finished) - started_at).total_seconds() if finished else wall
    written = mark_documents_written_since(bench, started_at)
    bench.progress.say(f"{stage}: {seconds:.1f} s, {written:,} mark documents written")
    return {
        "seconds": round(seconds, 2),
        "wall_seconds": round(wall, 2),
        "sis_requests": bench.sis_requests() - before_requests,
        "mark_documents_written": written,
    }


def wait_exports(bench: Bench, class_ids: list[str], stage: str) -> list[dt.datetime]:
    """Waits until no class is queued; returns their finish times (empty if one has none)."""
    refs = [bench.district.collection("classes").document(c) for c in class_ids]
    last_line = time.monotonic()
    while True:
        exports = [(s.to_dict() or {}).get("export") or {} for s in bench.db.get_all(refs)]
        waiting = sum(1 for e in exports if e.get("state") in ("queued", None))
        if not waiting:
            finished = [e.get("finished_at") for e in exports]
            return [f for f in finished if isinstance(f, dt.datetime)] if all(finished) else []
        if time.monotonic() - last_line >= 10:
            bench.progress.say(f"{stage}: {len(refs) - waiting} of {len(refs)} classes done")
            last_line = time.monotonic()
        time.sleep(POLL_SECONDS)


def mark_documents_written_since(bench: Bench, since: dt.datetime) -> int:
    """Mark documents whose Firestore update time is after ``since`` (any write counts, whatever
    the export keeps on them); read as names only."""
    marks = bench.db.collection_group("marks").select([]).stream()
    return sum(1 for m in marks if _as_datetime(m.update_time) >= since)


def _as_datetime(value: Any) -> dt.datetime:
    """A snapshot's update time: a datetime, or a protobuf Timestamp from a projection query."""
    if isinstance(value, dt.datetime):
        return value
    if value is None:
        return dt.datetime.min.replace(tzinfo=dt.UTC)
    return dt.datetime.fromtimestamp(value.seconds + value.nanos / 1e9, dt.UTC)


def export_stages(bench: Bench, shape: ExportShape) -> dict[str, Any]:
    class_ids, marks = seed_marks(bench, shape)
    out: dict[str, Any] = {**shape.__dict__, "marks": marks}
    out["first_export"] = export_stage(bench, class_ids, "first export")
    out["unchanged_reexport"] = export_stage(bench, class_ids, "unchanged re-export")
    out["lineItems_in_sis"] = len(bench.running.sis.store.all("lineItems"))
    out["results_in_sis"] = len(bench.running.sis.store.all("results"))
    return out
