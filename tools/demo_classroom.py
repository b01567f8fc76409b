"""`make demo`, the teacher's part: a teacher accepts an offered class, renames it and adds a
student by hand through the teacher API; a sync runs; the class is shown as the teacher sees it
(the name kept beside the SIS title, the hand-added student kept)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import requests
from google.cloud import firestore

from shared.ids import safe_id

CLASS_TEACHER = "classes.teacher@rusd.example.org"


def _active(doc: dict[str, Any]) -> set[str]:
    return {m["sis_user_id"] for m in doc.get("students", {}).values() if m["status"] == "active"}


def _pick(db: firestore.Client, district_id: str) -> tuple[str, dict[str, Any], str]:
    """An offered class with students, and a student of its school who is not in it."""
    classes = {
        c.id: c.to_dict() or {}
        for c in db.collection("districts").document(district_id).collection("classes").stream()
    }
    class_id, doc = next(
        (k, v)
        for k, v in sorted(classes.items())
        if v.get("offer_state") == "pending" and _active(v)
    )
    school = doc["sis"]["school_id"]
    others = sorted(
        s
        for v in classes.values()
        if v["sis"]["school_id"] == school
        for s in _active(v) - _active(doc)
    )
    return class_id, doc, others[0]


def classroom_demo(
    functions: str,
    db: firestore.Client,
    district_id: str,
    token: Callable[[str], str],
    sync: Callable[[str], dict[str, Any]],
    step: int,
) -> bool:
    """Prints steps ``step`` and ``step + 1``; True when the class came out as expected."""
    class_id, doc, newcomer = _pick(db, district_id)
    owner = doc["owner"]["sis_user_id"]
    staff = db.collection("districts").document(district_id).collection("staff")
    staff.document(safe_id(CLASS_TEACHER)).set({"role": "teacher", "sis_user_id": owner})
    base = f"{functions}/export_teacher/districts/{district_id}/classes"

    def call(method: str, path: str = "", body: Any = None) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token(CLASS_TEACHER)}"}
        answer = requests.request(method, f"{base}{path}", json=body, headers=headers, timeout=60)
        if answer.status_code != 200:
            raise SystemExit(f"demo: {method} {path} answered {answer.status_code}: {answer.text}")
        return dict(answer.json())

    offered = call("GET", "?state=offered")["classes"]
    print(f"\n{step}. Teacher {owner} ({len(offered)} classes offered) uses the teacher API:")
    call("POST", f"/{class_id}/accept")
    print(f"    POST …/{class_id}/accept -> active")
    call("PATCH", f"/{class_id}", {"name": "Room 12 (my name)"})
    print(f"    PATCH …/{class_id} {{name: 'Room 12 (my name)'}} -> renamed")
    call("POST", f"/{class_id}/students", {"sis_user_id": newcomer})
    print(f"    POST …/{class_id}/students {{sis_user_id: {newcomer!r}}} -> added by hand")
    print(f"\n{step + 1}. Delta sync, then the class as the teacher sees it:")
    run = sync("delta")
    print(f"    sync: {run['state']}")
    seen = call("GET", f"/{class_id}")["class"]
    hand = next(m for m in seen["students"] if m["sis_user_id"] == newcomer)
    print(f"    {seen['class_id']}: name {seen['name']!r} ({seen['name_source']})")
    print(f"    SIS title beside it: {seen['sis_title']!r}")
    print(f"    state {seen['state']}, {seen['active_students']} active students")
    print(f"    {newcomer}: {hand['status']}, source {hand['source']}, by {hand['changed_by']}")
    return bool(
        seen["state"] == "active"
        and seen["name"] == "Room 12 (my name)"
        and hand["status"] == "active"
        and hand["source"] == "manual"
    )
