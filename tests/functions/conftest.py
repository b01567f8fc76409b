"""A seeded district for the tests that send malformed calls to the admin and teacher functions
(issue 16, row 10): functions-framework's create_app against the Firestore emulator, with a task
queue that keeps tasks instead of sending them, so nothing started here reaches an SIS."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from functions_framework import create_app
from google.cloud import firestore

from shared.runtime import runtime
from shared.store import layout
from tests.conftest import RecordingQueue, SyncHarness, id_token
from tools.localstack import LocalStack

SOURCE = str(Path(__file__).resolve().parents[2] / "functions" / "main.py")
ADMIN = "fuzz-admin@district.example.org"
TEACHER = "fuzz-teacher@district.example.org"
STRANGER = "stranger@elsewhere.example.org"
DISTRICT = "bad-input-district"
CLASS_ID = "sis-cls-1"
CONNECTION = {
    "vendor": "generic",
    "version": "1.2",
    "rostering_base_url": "https://sis.example.org/ims/oneroster/rostering/v1p2",
    "gradebook_base_url": "https://sis.example.org/ims/oneroster/gradebook/v1p2",
    "token_url": "https://sis.example.org/oauth/token",
    "client_id": "client",
}


@cache
def client(target: str) -> Any:
    return create_app(target, SOURCE, "http").test_client()


def seed_district(db: firestore.Client, district_id: str = DISTRICT) -> None:
    """A connected district with an admin, a teacher and one synced class of that teacher."""
    db.document(layout.district(district_id)).set(
        {
            "connection": CONNECTION,
            "secret_name": "projects/p/secrets/s/versions/latest",
            "connected": True,
            "schedule": {"enabled": False},
        }
    )
    db.document(layout.staff(district_id, ADMIN)).set({"role": "admin"})
    db.document(layout.staff(district_id, TEACHER)).set({"role": "teacher", "sis_user_id": "t-1"})
    db.document(layout.class_doc(district_id, CLASS_ID)).set(
        {
            "origin": "sis",
            "sis": {"section_id": "cls-1", "school_id": "sch-1"},
            "owner": {"sis_user_id": "t-1", "account_id": None},
        }
    )


@dataclass
class BadInputWorld:
    """The seeded district and a way to call the functions as one of its people."""

    db: firestore.Client
    stack: LocalStack
    tokens: dict[str, str] = field(default_factory=dict)

    def headers(self, email: str | None) -> dict[str, str]:
        """JSON headers; signed in as ``email`` (a token of the local issuer), or not at all."""
        headers = {"Content-Type": "application/json"}
        if email == "garbage":
            headers["Authorization"] = "Bearer not-a-token"
        elif email:
            if email not in self.tokens:
                self.tokens[email] = id_token(self.stack, email)
            headers["Authorization"] = f"Bearer {self.tokens[email]}"
        return headers

    def send(
        self,
        target: str,
        method: str,
        path: str,
        body: Any = None,
        *,
        raw: bytes | None = None,
        email: str | None = ADMIN,
    ) -> Any:
        data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        return client(target).open(path, method=method, data=data, headers=self.headers(email))


@pytest.fixture
def seeded(sync_harness: SyncHarness) -> Iterator[BadInputWorld]:
    """The district, and a task queue that keeps tasks instead of sending them (a run started
    here must not reach an SIS)."""
    seed_district(sync_harness.db)
    state = runtime().__dict__
    saved = state.get("queue")
    state["queue"] = RecordingQueue()
    yield BadInputWorld(sync_harness.db, sync_harness.stack)
    if saved is None:
        state.pop("queue", None)
    else:
        state["queue"] = saved


def message(response: Any) -> str:
    return str((response.get_json(silent=True) or {}).get("error", {}).get("message", ""))
