"""A synced district on the local stack with one teacher signed in, and the teacher's API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
import requests

from shared.ids import safe_id
from tests.conftest import SyncHarness
from tools.oneroster_sis.harness import RunningSis

TEACHER = "teacher@district.example.org"


@dataclass
class Classroom:
    harness: SyncHarness
    running: RunningSis
    district: str
    class_id: str
    section_id: str
    owner: str  # the SIS teacher the signed-in TEACHER is
    students: list[str]  # the class's active students after the first sync

    def api(
        self, method: str, path: str, body: Any = None, email: str = TEACHER
    ) -> requests.Response:
        return requests.request(
            method,
            f"{self.harness.functions}/export_teacher/districts/{self.district}{path}",
            json=body,
            headers=self.harness.headers(email),
            timeout=60,
        )

    def on_class(self, method: str, action: str = "", body: Any = None) -> dict[str, Any]:
        response = self.api(method, f"/classes/{self.class_id}{action}", body)
        assert response.status_code == 200, response.text
        return dict(response.json()["class"])

    def stored(self) -> dict[str, Any]:
        return self.harness.classes(self.district)[self.class_id]

    def sync(self, kind: str) -> None:
        status = self.harness.sync(self.district, kind=kind)
        assert status["state"].startswith("succeeded"), status

    def add_staff(self, email: str, sis_user_id: str) -> None:
        staff = self.harness.district(self.district).collection("staff")
        staff.document(safe_id(email)).set({"role": "teacher", "sis_user_id": sis_user_id})

    def enrollments(self, role: str) -> list[dict[str, Any]]:
        return [
            e
            for e in self.running.sis.store.all("enrollments")
            if e["class"]["sourcedId"] == self.section_id
            and e["role"] == role
            and e["status"] == "active"
        ]

    def school_users(self, role: str) -> list[str]:
        """SIS users of the class's school with the role, outside this class."""
        school = self.stored()["sis"]["school_id"]
        inside = {e["user"]["sourcedId"] for e in self.enrollments(role)}
        return sorted(
            u["sourcedId"]
            for u in self.running.sis.store.all("users")
            if u["roles"][0]["role"] == role
            and u["primaryOrg"]["sourcedId"] == school
            and u["sourcedId"] not in inside
        )


@pytest.fixture
def classroom(make_sis, sync_harness) -> Classroom:
    running = make_sis(students=40)
    district = sync_harness.register(running)
    status = sync_harness.sync(district)
    assert status["state"].startswith("succeeded"), status
    classes = sync_harness.classes(district)
    class_id, doc = next(
        (k, v)
        for k, v in sorted(classes.items())
        if sum(m["status"] == "active" for m in v["students"].values()) >= 3
    )
    owner = doc["owner"]["sis_user_id"]
    students = sorted(m["sis_user_id"] for m in doc["students"].values() if m["status"] == "active")
    room = Classroom(
        sync_harness, running, district, class_id, doc["sis"]["section_id"], owner, students
    )
    room.add_staff(TEACHER, owner)
    return room
