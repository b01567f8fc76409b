"""Roster sync end to end: the functions served on the local stack, Cloud Tasks emulator,
Firestore emulator, Secret Manager fake, and a local SIS per test."""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from google.cloud import firestore

from shared.ids import safe_id
from tests.conftest import CLIENT_ID, CLIENT_SECRET
from tools.localstack import LocalStack
from tools.oneroster_sis.harness import RunningSis

ADMIN = "admin@district.example.org"
_numbers = itertools.count(1)


@dataclass
class SyncHarness:
    stack: LocalStack
    db: firestore.Client

    @property
    def functions(self) -> str:
        return self.stack.env()["ROSTERSYNC_FUNCTIONS_URL"]

    def headers(self, email: str = ADMIN) -> dict[str, str]:
        return {"Authorization": f"Bearer local-dev:{email}"}

    def district(self, district_id: str) -> firestore.DocumentReference:
        return self.db.collection("districts").document(district_id)

    def register(
        self,
        running: RunningSis,
        version: str = "1.2",
        page_size: int = 40,
        vendor: str = "generic",
        **settings: Any,
    ) -> str:
        district_id = f"d{next(_numbers)}-{int(time.time() * 1000) % 10**8}"
        self.district(district_id).collection("staff").document(safe_id(ADMIN)).set(
            {"role": "admin"}
        )
        body = {
            "vendor": vendor,
            "version": version,
            "rostering_base_url": running.base_url(version),
            "gradebook_base_url": running.base_url(version, "gradebook")
            if version == "1.2"
            else None,
            "token_url": running.token_url,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "local_dev": True,
            "page_size": page_size,
            "max_concurrency": 3,
        }
        response = self.admin("PUT", district_id, "/connection", body)
        assert response.status_code == 200, response.text
        # Scheduled syncs stay off unless a test asks for them: a scheduler tick sees every
        # district in the emulator.
        settings.setdefault("schedule", {"enabled": False})
        if settings:
            response = self.admin("PATCH", district_id, "/settings", settings)
            assert response.status_code == 200, response.text
        return district_id

    def admin(
        self, method: str, district_id: str, path: str, body: Any = None, email: str = ADMIN
    ) -> requests.Response:
        return requests.request(
            method,
            f"{self.functions}/sync_admin/districts/{district_id}{path}",
            json=body,
            headers=self.headers(email),
            timeout=60,
        )

    def sync(
        self, district_id: str, kind: str = "full", dry_run: bool = False, timeout: float = 120
    ) -> dict[str, Any]:
        started = self.admin("POST", district_id, "/runs", {"kind": kind, "dry_run": dry_run})
        assert started.status_code == 202, started.text
        return self.wait(district_id, started.json()["run_id"], timeout)

    def wait(self, district_id: str, run_id: str, timeout: float = 120) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status = self.admin("GET", district_id, f"/runs/{run_id}").json()
            if status.get("state") not in ("queued", "running"):
                return status
            time.sleep(0.3)
        raise AssertionError(f"run {run_id} did not finish: {status}")

    def classes(self, district_id: str) -> dict[str, dict[str, Any]]:
        return {
            s.id: s.to_dict() or {}
            for s in self.district(district_id).collection("classes").stream()
        }

    def pages_written(self, district_id: str, run_id: str) -> int:
        pages = self.district(district_id).collection("runs").document(run_id).collection("pages")
        return sum(int((p.to_dict() or {}).get("written", 0)) for p in pages.stream())


@pytest.fixture
def sync_harness(local_stack: LocalStack) -> SyncHarness:
    env = local_stack.env()
    return SyncHarness(local_stack, firestore.Client(project=env["GOOGLE_CLOUD_PROJECT"]))


def active(members: dict[str, Any]) -> set[str]:
    return {m["sis_user_id"] for m in members.values() if m["status"] == "active"}
