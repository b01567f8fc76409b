"""Fixtures shared by every test: the local stack on real emulators, the local SIS, the harness
that drives the functions on the stack as an admin would, and the step runner that drives the
sync services on in-memory ports (MemoryStore, a recording queue, in-memory secrets)."""

from __future__ import annotations

import datetime as dt
import itertools
import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
from google.cloud import firestore
from pydantic import SecretStr

from shared.adapters.sis_clients import OneRosterClients
from shared.ids import safe_id
from shared.oneroster.errors import TransientError
from shared.oneroster.settings import parse_settings
from shared.store import layout
from shared.store.memory import MemoryStore
from shared.sync.ports import SyncPorts
from shared.sync.service import handle_task
from shared.tasks import parse_sync_task
from tools.local_issuer import load_keys
from tools.localstack import ID_TOKEN_AUDIENCE, LocalStack
from tools.oneroster_sis.app import OneRosterSis, SisConfig
from tools.oneroster_sis.generator import DistrictSpec, generate_district
from tools.oneroster_sis.harness import RunningSis, serve
from tools.oneroster_sis.profiles import profile
from tools.oneroster_sis.store import Store
from tools.stack_services import TASKS_SERVICE_ACCOUNT

CLIENT_ID = "test-client"
CLIENT_SECRET = "test-secret-value-0123456789"
ROOT = Path(__file__).resolve().parent.parent


SAMPLES = ROOT / "tests" / "fixtures" / "oneroster-samples"


def samples_dir() -> Path:
    """Public OneRoster CSV packages (provenance and licences in their README.md)."""
    return SAMPLES


@pytest.fixture(scope="session")
def local_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    """Firestore emulator, Cloud Tasks emulator, Cloud Storage emulator (with its events) and the
    functions, once per test session."""
    # The tests' data is small: the emulator keeps the 1 GB heap it always had here, while the
    # stack's default ceiling is sized for a 100,000-student district (docs/bench.md).
    stack = LocalStack(
        tmp_path_factory.mktemp("stack"), tasks_time_scale=0.005, firestore_heap="1g"
    )
    saved = dict(os.environ)
    try:
        stack.up(["issuer", "firestore", "tasks", "secrets", "storage", "functions", "events"])
        os.environ.update(stack.env())
        yield stack
    finally:
        lingering = stack.down()
        os.environ.clear()
        os.environ.update(saved)
        assert not lingering, f"services still listening after stop: {lingering}"


@pytest.fixture
def make_sis() -> Iterator[Callable[..., RunningSis]]:
    """Starts local SISes on real loopback sockets; all are stopped after the test."""
    contexts: list[Any] = []

    def start(
        students: int = 60,
        seed: int = 3,
        profile_name: str = "spec",
        prefix: str = "",
        strict: bool = True,
        **spec: Any,
    ) -> RunningSis:
        store = Store()
        store.replace_all(generate_district(DistrictSpec(seed=seed, students=students, **spec)))
        config = SisConfig(
            prefix=prefix, strict=strict, profile=profile_name, quirks=profile(profile_name)
        )
        ctx = serve(OneRosterSis(store, {CLIENT_ID: CLIENT_SECRET}, config))
        contexts.append(ctx)
        return ctx.__enter__()

    yield start
    for ctx in reversed(contexts):
        ctx.__exit__(None, None, None)


def connection_body(running: RunningSis, version: str = "1.2", **extra: Any) -> dict[str, Any]:
    """What an admin sends to PUT /connection for a local SIS, with the secret."""
    return {
        "version": version,
        "rostering_base_url": running.base_url(version),
        "gradebook_base_url": running.base_url(version, "gradebook") if version == "1.2" else None,
        "token_url": running.token_url,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "local_dev": True,
        **extra,
    }


def id_token(
    stack: LocalStack, email: str, audience: str = ID_TOKEN_AUDIENCE, **claims: Any
) -> str:
    """An ID token from the stack's local issuer, as Google sign-in would give the app."""
    return load_keys(stack.state_dir).mint(email, audience, **claims)


def task_headers(stack: LocalStack, handler: str = "sync_task", retry: int = 0) -> dict[str, str]:
    """Headers of a Cloud Tasks delivery to ``handler``, with the task service account's token."""
    audience = f"{stack.env()['ROSTERSYNC_FUNCTIONS_URL']}/{handler}"
    return {
        "Authorization": f"Bearer {id_token(stack, TASKS_SERVICE_ACCOUNT, audience)}",
        "X-CloudTasks-QueueName": "mark-export" if handler == "export_task" else "roster-sync",
        "X-CloudTasks-TaskRetryCount": str(retry),
    }


def bearer_session(running: RunningSis) -> requests.Session:
    """A session holding a fresh OAuth 2.0 token from the local SIS (client credentials)."""
    session = requests.Session()
    response = session.post(
        running.token_url,
        data={"grant_type": "client_credentials"},
        auth=(CLIENT_ID, CLIENT_SECRET),
        timeout=10,
    )
    response.raise_for_status()
    session.headers["Authorization"] = f"Bearer {response.json()['access_token']}"
    return session


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
        return {"Authorization": f"Bearer {id_token(self.stack, email)}"}

    def task_headers(self, handler: str = "sync_task", retry: int = 0) -> dict[str, str]:
        """What Cloud Tasks sends a handler: its OIDC token and the X-CloudTasks-* headers."""
        return task_headers(self.stack, handler, retry)

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
        body = connection_body(
            running, version, vendor=vendor, page_size=page_size, max_concurrency=3
        )
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


# ---- step tests: the services on in-memory ports and a real local SIS ----


class MemorySecrets:
    def __init__(self) -> None:
        self._values: dict[str, SecretStr] = {}

    def store(self, secret_id: str, value: SecretStr) -> str:
        self._values[secret_id] = value
        return secret_id

    def read(self, secret_name: str) -> SecretStr:
        return self._values[secret_name]


@dataclass
class RecordingQueue:
    """Keeps enqueued tasks by name; a name enqueued twice is kept once, as Cloud Tasks does."""

    tasks: dict[str, dict[str, Any]] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def enqueue(
        self,
        queue: str,
        payload: dict[str, object],
        name: str | None = None,
        url: str | None = None,
    ) -> bool:
        with self.lock:
            key = name or f"unnamed-{len(self.order)}"
            if key in self.tasks:
                return False
            self.tasks[key] = dict(payload)
            self.order.append(key)
            return True

    def take(self) -> list[dict[str, Any]]:
        with self.lock:
            taken = [self.tasks[name] for name in self.order]
            self.order = []
            return taken


class Killed(Exception):
    """The process died here (a crash a test injects with ``StepWorld.kill_once``)."""


@dataclass
class StepWorld:
    store: MemoryStore
    queue: RecordingQueue
    ports: SyncPorts
    secrets: MemorySecrets

    def register(self, running: RunningSis, district_id: str = "d1", **doc: Any) -> str:
        settings = parse_settings(
            {
                "district_id": district_id,
                "vendor": "generic",
                "version": "1.2",
                "rostering_base_url": running.base_url("1.2"),
                "gradebook_base_url": running.base_url("1.2", "gradebook"),
                "token_url": running.token_url,
                "client_id": CLIENT_ID,
                "local_dev": True,
                "page_size": 40,
                "max_concurrency": 3,
            }
        )
        name = self.secrets.store(f"{district_id}-sis", SecretStr(CLIENT_SECRET))
        self.store.set(
            layout.district(district_id),
            {
                "connection": settings.model_dump(exclude={"district_id"}),
                "secret_name": name,
                "connected": True,
                "schedule": {"enabled": False},
                **doc,
            },
        )
        return district_id

    def deliver(self, task: dict[str, Any], retry_count: int = 0) -> dict[str, Any]:
        return handle_task(self.ports, parse_sync_task(task), retry_count)

    def drain(self, copies: int = 1, parallel: bool = False, limit: int = 10_000) -> int:
        """Delivers queued tasks until none is left; each ``copies`` times, in parallel threads
        when asked (a delivery that raises a transient error is put back, as Cloud Tasks would)."""
        delivered = 0
        while batch := self.queue.take():
            jobs = [t for t in batch for _ in range(copies)]
            delivered += len(jobs)
            assert delivered < limit, "the run does not converge"
            if parallel:
                with ThreadPoolExecutor(max_workers=8) as pool:
                    list(pool.map(self._deliver_retrying, jobs))
            else:
                for job in jobs:
                    self._deliver_retrying(job)
        return delivered

    def kill_once(self, when: Callable[[str, Mapping[str, Any]], bool]) -> list[str]:
        """The first ``store.set`` or ``store.create`` for which ``when(path, data)`` holds
        raises Killed, as a process killed there would stop. Returns the path it stopped at,
        once it did."""
        set_original, create_original, killed = self.store.set, self.store.create, []

        def stop(path: str, data: Any) -> None:
            if not killed and when(path, data):
                killed.append(path)
                raise Killed(path)

        def set_(path: str, data: Any, *, merge: bool = False) -> None:
            stop(path, data)
            set_original(path, data, merge=merge)

        def create(path: str, data: Any) -> bool:
            stop(path, data)
            return create_original(path, data)

        self.store.set = set_  # type: ignore[method-assign]
        self.store.create = create  # type: ignore[method-assign]
        return killed

    def drain_through_kills(self) -> None:
        """Delivers queued tasks one at a time; a delivery Killed is delivered again, as Cloud
        Tasks delivers a task whose process died."""
        while batch := self.queue.take():
            for task in batch:
                try:
                    self.deliver(task)
                except Killed:
                    self.deliver(task, retry_count=1)

    def _deliver_retrying(self, task: dict[str, Any]) -> None:
        for attempt in range(20):
            try:
                self.deliver(task, attempt)
                return
            except TransientError:
                continue
        raise AssertionError("a task kept failing")


@pytest.fixture
def step_world() -> StepWorld:
    store, queue, secrets = MemoryStore(), RecordingQueue(), MemorySecrets()
    clients = OneRosterClients(secrets, local_dev=True)
    now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)  # noqa: E731
    return StepWorld(store, queue, SyncPorts(store, queue, clients, now), secrets)


# ---- The OpenAPI contract (shared/web/openapi.yaml) ---------------------------------------------
# Every answer of the functions that a test receives, through requests (the local stack) or a
# functions-framework test client, is checked against the document (tests/contract/checker.py).
@pytest.fixture(autouse=True, scope="session")
def answers_follow_the_contract() -> Iterator[None]:
    from tests.contract.checker import install_contract_checks

    with install_contract_checks():
        yield
