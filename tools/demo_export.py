"""The demo's mark export: two teachers' classes accepted, coursework and marks recorded,
exported through the teacher API, one mark edited and exported again."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import requests
from google.cloud import firestore

from shared.ids import safe_id
from tools.local_issuer import stack_id_token
from tools.localstack import LocalStack
from tools.stack_console import DEMO_DISTRICT

DEMO_TEACHER = "teacher@rusd.example.org"
ClassSnapshot = firestore.DocumentSnapshot[firestore.DocumentReference]  # a class document read
COURSEWORK = (  # (assignment id, title, category, max points); the n-th (from 0) is due n days ago
    ("a-quiz", "Fractions quiz", "Quizzes", 10),
    ("a-essay", "Persuasive essay", "Homework", 20),
    ("a-test", "Unit 3 test", "Tests", 100),
)


def teacher_call(functions: str, method: str, class_id: str, action: str) -> requests.Response:
    return requests.request(
        method,
        f"{functions}/export_teacher/districts/{DEMO_DISTRICT}/classes/{class_id}/{action}",
        headers={"Authorization": f"Bearer {stack_id_token(DEMO_TEACHER, LocalStack().env())}"},
        timeout=120,
    )


def run_export(functions: str, db: firestore.Client, class_id: str) -> dict[str, Any]:
    ref = (
        db.collection("districts").document(DEMO_DISTRICT).collection("classes").document(class_id)
    )
    started = teacher_call(functions, "POST", class_id, "export")
    if started.status_code != 202:
        raise SystemExit(f"demo: export refused: {started.text}")
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if ((ref.get().to_dict() or {}).get("export") or {}).get("state") != "queued":
            break
        time.sleep(0.5)
    status: dict[str, Any] = teacher_call(functions, "GET", class_id, "export").json()
    return status


def active_students(cls: ClassSnapshot) -> list[str]:
    """The SIS ids of a class's active students, sorted."""
    return sorted(
        m["sis_user_id"]
        for m in (cls.to_dict() or {}).get("students", {}).values()
        if m["status"] == "active"
    )


def active_count(cls: ClassSnapshot) -> int:
    """How many active students a class has."""
    return sum(
        1 for m in (cls.to_dict() or {}).get("students", {}).values() if m["status"] == "active"
    )


def teacher_classes(
    district: firestore.DocumentReference,
) -> tuple[str, list[ClassSnapshot]]:
    """The SIS id of the teacher who owns the first class (by id) with at least 10 active
    students, and that teacher's first two such classes."""
    classes = sorted(
        (c for c in district.collection("classes").stream() if active_count(c) >= 10),
        key=lambda c: c.id,
    )
    owner = (classes[0].to_dict() or {})["owner"]["sis_user_id"]
    mine = [c for c in classes if (c.to_dict() or {})["owner"]["sis_user_id"] == owner][:2]
    return owner, mine


def record_marks(cls: ClassSnapshot, now: dt.datetime) -> int:
    """Accepts the class and records COURSEWORK with a mark per active student: the first
    student exempt, the second missing, the others graded. Returns the marks recorded."""
    cls.reference.update({"offer_state": "accepted"})
    students = active_students(cls)
    for index, (assignment_id, title, category, points) in enumerate(COURSEWORK):
        work = cls.reference.collection("coursework").document(assignment_id)
        work.set(
            {
                "title": title,
                "category": category,
                "max_points": points,
                "assigned_at": now - dt.timedelta(days=7),
                "due_at": now - dt.timedelta(days=index),
                "state": "published",
            }
        )
        for n, student in enumerate(students):
            mark_status = "exempt" if n == 0 else ("missing" if n == 1 else "graded")
            work.collection("marks").document(safe_id(student)).set(
                {
                    "sis_user_id": student,
                    "status": mark_status,
                    "score": None if mark_status != "graded" else float(points - n % 4),
                    "updated_at": now,
                }
            )
    print(f"    {cls.id}: {len(COURSEWORK)} assignments, {len(students)} students")
    return len(COURSEWORK) * len(students)


def gradebook(sis: str) -> dict[str, Any]:
    """What the SIS's gradebook holds: its lineItems and results."""
    held: dict[str, Any] = requests.get(f"{sis}/_control/gradebook", timeout=60).json()
    return held


def export_classes(
    functions: str, db: firestore.Client, sis: str, mine: list[ClassSnapshot]
) -> dict[str, Any]:
    """Exports each class and prints its outcome; returns the SIS's gradebook afterwards."""
    for cls in mine:
        status = run_export(functions, db, cls.id)
        counts = status["export"].get("counts", {})
        print(
            f"    {cls.id}: {status['export'].get('state')} in "
            f"{status['export'].get('seconds', 0):.1f} s, {counts}"
        )
    return gradebook(sis)


def regrade(cls: ClassSnapshot) -> str:
    """Edits the fourth active student's quiz mark (score 4, a comment); returns that student."""
    student = active_students(cls)[3]
    cls.reference.collection("coursework").document("a-quiz").collection("marks").document(
        safe_id(student)
    ).update(
        {"score": 4.0, "comment": "Regraded after review", "updated_at": dt.datetime.now(dt.UTC)}
    )
    return student


def export_regraded(
    functions: str,
    db: firestore.Client,
    sis: str,
    first: ClassSnapshot,
    held: dict[str, Any],
) -> bool:
    """Edits one mark of ``first``, exports it again and prints which SIS results changed: true
    when exactly one did and no result was added."""
    student = regrade(first)
    before = {r["sourcedId"]: r for r in held["results"]}
    print(f"\n8. The teacher edits {student}'s quiz mark and exports again:")
    status = run_export(functions, db, first.id)
    print(f"    {first.id}: {status['export'].get('counts')}")
    after = {r["sourcedId"]: r for r in gradebook(sis)["results"]}
    changed = [k for k in after if before.get(k) != after[k]]
    print(
        f"    results changed in the SIS: {len(changed)} "
        f"(score now {after[changed[0]]['score'] if changed else '-'}); "
        f"results in total: {len(after)}"
    )
    return len(changed) == 1 and len(after) == len(before)


def export_demo(env: dict[str, str], db: firestore.Client, sis: str) -> bool:
    """Two teachers' classes accepted, coursework and marks recorded, exported, one mark edited,
    exported again: the SIS ends with one lineItem per assignment and one result per mark."""
    functions = env["ROSTERSYNC_FUNCTIONS_URL"]
    district = db.collection("districts").document(DEMO_DISTRICT)
    owner, mine = teacher_classes(district)
    district.collection("staff").document(safe_id(DEMO_TEACHER)).set(
        {"role": "teacher", "sis_user_id": owner}
    )
    print(f"\n6. Teacher {owner} accepts {len(mine)} synced classes and records marks:")
    now = dt.datetime.now(dt.UTC)
    marks_total = sum(record_marks(cls, now) for cls in mine)
    print("\n7. Export (teacher API -> mark-export queue -> PUT lineItems and results):")
    held = export_classes(functions, db, sis, mine)
    print(
        f"    the SIS now holds {len(held['lineItems'])} lineItems and {len(held['results'])} "
        f"results ({len(mine) * len(COURSEWORK)} assignments, {marks_total} marks recorded)"
    )
    return export_regraded(functions, db, sis, mine[0], held)
