"""The local Cloud Tasks service, driven by the real google-cloud-tasks client: deliveries run in
parallel up to the queue's limit, failures are retried with backoff up to max_attempts, a task
name is accepted once, and the duplicate mode delivers twice."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from google.api_core.exceptions import AlreadyExists
from google.cloud import tasks_v2

from shared.adapters.cloud_tasks import CloudTasksQueue, make_tasks_client
from tools.cloud_tasks_local.infra_queues import infra_queues
from tools.cloud_tasks_local.policy import QueueConfig, backoff
from tools.cloud_tasks_local.queues import Queues
from tools.cloud_tasks_local.server import HttpDelivery, serve
from tools.stack_processes import free_port

PARENT = "projects/p/locations/l"


@dataclass
class Handler:
    """A task handler on 127.0.0.1 that records deliveries and answers from a script."""

    answers: dict[str, list[int]] = field(default_factory=dict)
    seen: list[dict[str, Any]] = field(default_factory=list)
    in_flight: int = 0
    peak: int = 0
    delay: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def handle(self, body: dict[str, Any], headers: dict[str, str]) -> int:
        with self.lock:
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
            self.seen.append(
                {
                    **body,
                    "retry": int(headers["X-CloudTasks-TaskRetryCount"]),
                    "at": time.monotonic(),
                }
            )
            script = self.answers.get(body["id"], [])
            status = script.pop(0) if script else 200
        time.sleep(self.delay)
        with self.lock:
            self.in_flight -= 1
        return status


@pytest.fixture
def handler() -> Iterator[tuple[Handler, str]]:
    state = Handler()

    class Endpoint(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            status = state.handle(body, dict(self.headers))
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Endpoint)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state, f"http://127.0.0.1:{server.server_port}/task"
    server.shutdown()
    server.server_close()


def _service(*configs: QueueConfig, duplicate_rate: float = 0.0) -> tuple[Any, Queues, Any]:
    queues = Queues(HttpDelivery(10), time_scale=1.0, duplicate_rate=duplicate_rate, seed=1)
    for config in configs:
        queues.create_queue(f"{PARENT}/queues/{config.name}", config)
    port = free_port()
    server = serve(port, queues)
    return server, queues, make_tasks_client(f"127.0.0.1:{port}")


def _enqueue(client: Any, queue: str, url: str, task_id: str, name: str | None = None) -> None:
    tasks = CloudTasksQueue(client, project_id="p", location="l", target_url=url)
    tasks.enqueue(queue, {"id": task_id}, name=name)


def _wait(condition: Any, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_deliveries_run_in_parallel_up_to_the_queue_limit(handler) -> None:
    state, url = handler
    state.delay = 0.3
    server, queues, client = _service(QueueConfig("q", max_concurrent=3, max_per_second=1000))
    try:
        for index in range(9):
            _enqueue(client, "q", url, f"t{index}")
        _wait(lambda: len(state.seen) == 9)
        assert state.peak == 3
    finally:
        queues.stop()
        server.stop(0)


def test_a_failing_task_is_retried_with_backoff_until_it_succeeds(handler) -> None:
    state, url = handler
    state.answers["t"] = [503, 500]
    config = QueueConfig("q", min_backoff=0.2, max_backoff=1, max_doublings=3)
    server, queues, client = _service(config)
    try:
        _enqueue(client, "q", url, "t")
        _wait(lambda: len(state.seen) == 3)
        times = [s["at"] for s in state.seen]
        assert [s["retry"] for s in state.seen] == [0, 1, 2]
        assert times[1] - times[0] >= 0.2 and times[2] - times[1] >= 0.4
        _wait(lambda: not list(client.list_tasks(parent=f"{PARENT}/queues/q")))
    finally:
        queues.stop()
        server.stop(0)


def test_a_task_is_given_up_after_max_attempts(handler) -> None:
    state, url = handler
    state.answers["t"] = [503] * 10
    server, queues, client = _service(QueueConfig("q", min_backoff=0.01, max_attempts=3))
    try:
        _enqueue(client, "q", url, "t")
        _wait(lambda: not list(client.list_tasks(parent=f"{PARENT}/queues/q")))
        time.sleep(0.2)
        assert len(state.seen) == 3
    finally:
        queues.stop()
        server.stop(0)


def test_a_task_name_is_accepted_once(handler) -> None:
    state, url = handler
    server, queues, client = _service(QueueConfig("q"))
    try:
        task = tasks_v2.Task(
            name=f"{PARENT}/queues/q/tasks/same",
            http_request=tasks_v2.HttpRequest(url=url, body=b'{"id": "t"}'),
        )
        client.create_task(parent=f"{PARENT}/queues/q", task=task)
        with pytest.raises(AlreadyExists):
            client.create_task(parent=f"{PARENT}/queues/q", task=task)
        _wait(lambda: len(state.seen) == 1)
    finally:
        queues.stop()
        server.stop(0)


def test_the_duplicate_mode_delivers_tasks_twice(handler) -> None:
    state, url = handler
    server, queues, client = _service(QueueConfig("q"), duplicate_rate=1.0)
    try:
        _enqueue(client, "q", url, "t", name="once")
        _wait(lambda: len(state.seen) == 2)
    finally:
        queues.stop()
        server.stop(0)


def test_backoff_follows_the_documented_sequence() -> None:
    config = QueueConfig("q", min_backoff=10, max_backoff=300, max_doublings=3)
    assert [backoff(config, r) for r in range(1, 9)] == [10, 20, 40, 80, 160, 240, 300, 300]


def test_the_stack_dispatches_with_the_settings_infra_declares() -> None:
    names = {q.name: q for q in infra_queues()}
    assert set(names) == {"roster-sync", "mark-export"}
    assert names["roster-sync"].max_attempts == 20 and names["roster-sync"].min_backoff == 2
