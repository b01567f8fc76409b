"""The local stack: real emulators and servers on loopback, and nothing left behind."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
import requests
from google.cloud import firestore, tasks_v2

from shared.adapters.cloud_tasks import make_tasks_client
from tools.localstack import LocalStack, StackError, port_open, queue_path
from tools.stack_processes import firestore_command


def wait_for(predicate, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_functions_answer_on_loopback(local_stack: LocalStack) -> None:
    url = local_stack.env()["ROSTERSYNC_FUNCTIONS_URL"]
    assert url.startswith("http://127.0.0.1:")
    response = requests.get(f"{url}/healthz", timeout=5)
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_firestore_emulator_round_trip(local_stack: LocalStack) -> None:
    client = firestore.Client(project=local_stack.env()["GOOGLE_CLOUD_PROJECT"])
    ref = client.collection("stack_checks").document("round-trip")
    ref.set({"value": 42})
    assert ref.get().to_dict() == {"value": 42}


def test_cloud_tasks_emulator_dispatches_to_the_functions(local_stack: LocalStack) -> None:
    env = local_stack.env()
    client = make_tasks_client(env["CLOUD_TASKS_EMULATOR_HOST"])
    queue = queue_path("roster-sync")
    task = tasks_v2.Task(
        http_request=tasks_v2.HttpRequest(
            http_method=tasks_v2.HttpMethod.POST,
            url=f"{env['ROSTERSYNC_FUNCTIONS_URL']}/healthz",
            headers={"Content-Type": "application/json"},
            body=b'{"probe": "stack-test"}',
        )
    )
    client.create_task(parent=queue, task=task)
    assert wait_for(lambda: not list(client.list_tasks(parent=queue)))
    log = Path(local_stack.services["functions"].log)
    assert wait_for(
        lambda: (
            '"POST / HTTP/1.1" 200' in log.read_text()
            or '"POST /healthz HTTP/1.1" 200' in log.read_text()
        )
    )


def test_down_stops_every_process_and_port(tmp_path: Path) -> None:
    stack = LocalStack(tmp_path)
    stack.up(["firestore", "tasks", "sis", "functions"], ["--students=30"])
    services = list(stack.services.values())
    # the issuer comes with the tasks and functions: they sign and verify tokens with it
    assert {s.name for s in services} == {"issuer", "firestore", "tasks", "sis", "functions"}
    assert all(port_open(s.port) for s in services)
    assert stack.down() == []
    for svc in services:
        assert not port_open(svc.port), svc.name
        with pytest.raises(ProcessLookupError):
            os.killpg(svc.pid, 0)
    assert not (tmp_path / "state.json").exists()


def test_missing_java_is_explained(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(StackError, match="apt-get install -y openjdk-17-jre-headless"):
        firestore_command(8085)
