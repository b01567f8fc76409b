"""Mark export end to end: a synced district, teachers' coursework in Firestore, the export
task on the Cloud Tasks emulator, and a strict local SIS that keeps what it was sent."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests

from shared.ids import safe_id
from tests.conftest import SyncHarness
from tools.oneroster_sis.harness import RunningSis

TEACHER = "teacher@district.example.org"


@dataclass
class ExportSetup:
    harness: SyncHarness
    running: RunningSis
    district: str
    classes: list[str]
    students: dict[str, list[str]] = field(default_factory=dict)

    def class_ref(self, class_id: str) -> Any:
        return self.harness.district(self.district).collection("classes").document(class_id)

    def add_assignment(
        self,
        class_id: str,
        assignment_id: str,
        *,
        title: str = "Fractions quiz",
        category: str | None = "homework",
        due: dt.datetime | None = None,
        max_points: float = 10,
        score: float = 8,
    ) -> None:
        now = dt.datetime.now(dt.UTC)
        ref = self.class_ref(class_id).collection("coursework").document(assignment_id)
        ref.set(
            {
                "title": title,
                "description": "From the classroom app",
                "assigned_at": now - dt.timedelta(days=2),
                "due_at": due or now,
                "max_points": max_points,
                "category": category,
                "state": "published",
            }
        )
        for index, student in enumerate(self.students[class_id]):
            ref.collection("marks").document(safe_id(student)).set(
                {
                    "sis_user_id": student,
                    "status": "exempt" if index == 0 else "graded",
                    "score": None if index == 0 else score,
                    "comment": "Well done" if index == 1 else None,
                    "updated_at": now,
                }
            )

    def export(self, class_id: str, email: str = TEACHER, timeout: float = 120) -> dict[str, Any]:
        url = (
            f"{self.harness.functions}/export_teacher/districts/{self.district}"
            f"/classes/{class_id}/export"
        )
        started = requests.post(url, headers=self.harness.headers(email), timeout=30)
        assert started.status_code == 202, started.text
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = (self.class_ref(class_id).get().to_dict() or {}).get("export", {})
            if state.get("state") not in ("queued", None):
                status = requests.get(url, headers=self.harness.headers(email), timeout=30)
                assert status.status_code == 200, status.text
                return status.json()
            time.sleep(0.3)
        raise AssertionError(f"export of {class_id} did not finish")

    def sis_count(self, kind: str) -> int:
        return len(self.running.sis.store.all(kind))

    def result_writes(self) -> int:
        return sum(1 for w in self.running.sis.writes if w["kind"] == "results")


@pytest.fixture
def export_setup(make_sis, sync_harness):
    def build(
        version: str = "1.2", profile: str = "spec", vendor: str = "generic", **settings: Any
    ) -> ExportSetup:
        running = make_sis(students=50, strict=True, profile_name=profile)
        harness: SyncHarness = sync_harness
        district = harness.register(running, version=version, vendor=vendor, **settings)
        status = harness.sync(district)
        assert status["state"].startswith("succeeded"), status
        classes = {
            k: v
            for k, v in harness.classes(district).items()
            if any(m["status"] == "active" for m in v["students"].values())
        }
        chosen = sorted(classes)[:2]
        owner = classes[chosen[0]]["owner"]["sis_user_id"]
        chosen = [c for c in chosen if classes[c]["owner"]["sis_user_id"] == owner] or chosen[:1]
        harness.district(district).collection("staff").document(safe_id(TEACHER)).set(
            {"role": "teacher", "sis_user_id": owner}
        )
        setup = ExportSetup(harness, running, district, chosen)
        for class_id in chosen:
            setup.class_ref(class_id).update({"offer_state": "accepted"})
            setup.students[class_id] = sorted(
                m["sis_user_id"]
                for m in classes[class_id]["students"].values()
                if m["status"] == "active"
            )
        return setup

    return build
