"""The local stand-in for Eventarc (tools/storage_events.py): a new zip in the bucket arrives at
the target as Eventarc's binary-mode CloudEvent with a verifiable OIDC token, is retried until
acknowledged, and is delivered twice with the same id when asked."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests

from shared.adapters.google_tokens import GoogleTokenVerifier
from shared.adapters.package_storage import make_storage_client
from tools.localstack import LocalStack
from tools.stack_processes import create_buckets
from tools.stack_services import TASKS_SERVICE_ACCOUNT
from tools.storage_events import StorageEvents, issuer_tokens


@dataclass
class Receiver:
    """A 127.0.0.1 HTTP server that records each POST and answers with the next status."""

    statuses: list[int]
    requests: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""

    def handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver.lock:
                    receiver.requests.append(
                        ({k.lower(): v for k, v in self.headers.items()}, body)
                    )
                    status = receiver.statuses.pop(0) if receiver.statuses else 204
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return

        return Handler


@pytest.fixture
def receiver() -> Iterator[Callable[[list[int]], Receiver]]:
    servers: list[ThreadingHTTPServer] = []

    def start(statuses: list[int]) -> Receiver:
        made = Receiver(list(statuses))
        server = ThreadingHTTPServer(("127.0.0.1", 0), made.handler())
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}).start()
        servers.append(server)
        made.url = f"http://127.0.0.1:{server.server_address[1]}/receiver/csv_landed"
        return made

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def wait_for(check: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def watch(stack: LocalStack, target: str, twice: bool = False) -> tuple[StorageEvents, Any]:
    """A fresh bucket in the stack's emulator, watched by an in-process StorageEvents."""
    env = stack.env()
    bucket = f"events-{uuid.uuid4().hex[:10]}"
    create_buckets(env["STORAGE_EMULATOR_HOST"], [bucket])
    tokens = issuer_tokens(env["ROSTERSYNC_ID_TOKEN_ISSUERS"], requests.Session())
    events = StorageEvents(
        env["STORAGE_EMULATOR_HOST"],
        bucket,
        target,
        TASKS_SERVICE_ACCOUNT,
        tokens,
        twice=twice,
        interval=0.1,
        min_backoff=0.05,
    )
    client = make_storage_client(env["GOOGLE_CLOUD_PROJECT"], env["STORAGE_EMULATOR_HOST"])
    return events, client.bucket(bucket)


def test_a_new_zip_arrives_as_eventarcs_cloudevent(
    local_stack: LocalStack, receiver: Callable[[list[int]], Receiver]
) -> None:
    got = receiver([503, 500])  # refused twice, then acknowledged
    events, bucket = watch(local_stack, got.url)
    bucket.blob("districts/d1/inbox/ignored.csv").upload_from_string(b"a,b\n")
    bucket.blob("elsewhere/a.zip").upload_from_string(b"PK")
    blob = bucket.blob("districts/d1/inbox/roster.zip")
    blob.upload_from_string(b"PK\x05\x06" + bytes(18), content_type="application/zip")
    blob.reload()
    events.start()
    try:
        wait_for(lambda: events.snapshot()["delivered"] == 1)
        time.sleep(0.3)  # later polls deliver nothing more
    finally:
        events.stop()
    assert events.snapshot() == {"seen": 1, "delivered": 1, "failed": 0, "attempts": 3}
    assert len(got.requests) == 3
    (headers, body), *retries = got.requests
    assert all(r == (headers | {"authorization": r[0]["authorization"]}, body) for r in retries)
    assert headers["ce-specversion"] == "1.0"
    assert headers["ce-type"] == "google.cloud.storage.object.v1.finalized"
    assert headers["ce-source"] == f"//storage.googleapis.com/projects/_/buckets/{bucket.name}"
    assert headers["ce-subject"] == "objects/districts/d1/inbox/roster.zip"
    assert headers["ce-id"].isdigit() and headers["ce-time"].endswith("Z")
    assert headers["content-type"] == "application/json"
    data = json.loads(body)
    assert data["bucket"] == bucket.name and data["name"] == "districts/d1/inbox/roster.zip"
    assert data["generation"] == str(blob.generation) and data["size"] == "22"
    assert data["contentType"] == "application/zip"
    assert data["md5Hash"] == blob.md5_hash and isinstance(data["metageneration"], str)
    assert {"timeCreated", "updated"} <= data.keys()

    env = local_stack.env()
    verifier = GoogleTokenVerifier(
        env["ROSTERSYNC_ID_TOKEN_CERTS_URL"], [env["ROSTERSYNC_ID_TOKEN_ISSUERS"]]
    )
    scheme, token = headers["authorization"].split(" ", 1)
    claims = verifier.verify(token, got.url)
    assert scheme == "Bearer" and claims["email"] == TASKS_SERVICE_ACCOUNT


def test_twice_delivers_each_generation_twice_with_one_id(
    local_stack: LocalStack, receiver: Callable[[list[int]], Receiver]
) -> None:
    got = receiver([])
    events, bucket = watch(local_stack, got.url, twice=True)
    events.start()
    try:
        blob = bucket.blob("districts/d2/uploads/p.zip")
        blob.upload_from_string(b"one", content_type="application/zip")
        wait_for(lambda: events.snapshot()["delivered"] == 2)
        blob.upload_from_string(b"two!", content_type="application/zip")  # a new generation
        wait_for(lambda: events.snapshot()["delivered"] == 4)
    finally:
        events.stop()
    ids = [headers["ce-id"] for headers, _ in got.requests]
    assert len(ids) == 4 and len(set(ids)) == 2
    sizes = sorted(json.loads(body)["size"] for _, body in got.requests)
    assert sizes == ["3", "3", "4", "4"]


def test_the_stacks_events_service_watches_the_packages_bucket(local_stack: LocalStack) -> None:
    env = local_stack.env()
    health = f"http://127.0.0.1:{local_stack.services['events'].port}/_control/health"
    before = requests.get(health, timeout=5).json()["seen"]
    client = make_storage_client(env["GOOGLE_CLOUD_PROJECT"], env["STORAGE_EMULATOR_HOST"])
    name = f"districts/stack-check-{uuid.uuid4().hex[:6]}/inbox/probe.txt"
    client.bucket(env["ROSTERSYNC_PACKAGES_BUCKET"]).blob(name).upload_from_string(b"x")
    time.sleep(0.7)  # more than one poll: not a zip, so not an event
    assert requests.get(health, timeout=5).json()["seen"] == before
    log = Path(local_stack.services["events"].log).read_text()
    bucket, target = env["ROSTERSYNC_PACKAGES_BUCKET"], env["ROSTERSYNC_FUNCTIONS_URL"]
    assert f"watching gs://{bucket}/districts/*.zip for {target}/csv_landed" in log
