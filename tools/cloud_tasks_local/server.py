"""The gRPC face of the local Cloud Tasks service (the calls the google-cloud-tasks client makes)
and its HTTP delivery. Run it with ``python -m tools.cloud_tasks_local.server --port N --project P
--location L --queue roster-sync:max_concurrent=5,...``; tools/localstack.py does."""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import signal
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import grpc
import requests
from google.cloud.tasks_v2.types import cloudtasks
from google.cloud.tasks_v2.types import queue as queue_types
from google.cloud.tasks_v2.types import target as target_types
from google.cloud.tasks_v2.types import task as task_types
from google.protobuf import empty_pb2

from tools.cloud_tasks_local.policy import QueueConfig
from tools.cloud_tasks_local.queues import Queues, QueueState

SERVICE = "google.cloud.tasks.v2.CloudTasks"
LOOPBACK = "127.0.0.1"
log = logging.getLogger("cloud-tasks-local")


class OidcTokens:
    """OIDC tokens for a task's service account and audience, from the local issuer (as Cloud
    Tasks mints them from Google's), reused until shortly before they expire."""

    LIFETIME = 3000.0  # the issuer's tokens live an hour

    def __init__(self, issuer_url: str, session: requests.Session) -> None:
        self._url = issuer_url.rstrip("/")
        self._session = session
        self._cache: dict[tuple[str, str], tuple[float, str]] = {}
        self._lock = threading.Lock()

    def __call__(self, email: str, audience: str) -> str:
        with self._lock:
            cached = self._cache.get((email, audience))
        if cached and cached[0] > time.monotonic():
            return cached[1]
        params = {"email": email, "audience": audience}
        response = self._session.get(f"{self._url}/token", params=params, timeout=10)
        response.raise_for_status()
        token = str(response.json()["id_token"])
        with self._lock:
            self._cache[(email, audience)] = (time.monotonic() + self.LIFETIME, token)
        return token


class HttpDelivery:
    """Sends one task as Cloud Tasks does: its method, URL, headers and body, the X-CloudTasks-*
    headers (short queue and task names, as production sends them) and, when the task asks for
    one, an OIDC token of its service account for its audience."""

    def __init__(self, timeout: float, issuer_url: str | None = None) -> None:
        self._session = requests.Session()
        adapter = requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=64)
        self._session.mount("http://", adapter)
        self._timeout = timeout
        self._tokens = OidcTokens(issuer_url, self._session) if issuer_url else None

    def __call__(self, queue: str, task: task_types.Task, retry: int) -> bool:
        http = task.http_request
        headers = dict(http.headers)
        headers.update(
            {
                "X-CloudTasks-QueueName": queue,
                "X-CloudTasks-TaskName": task.name.rsplit("/", 1)[-1],
                "X-CloudTasks-TaskRetryCount": str(retry),
                "X-CloudTasks-TaskExecutionCount": str(retry),
                "X-CloudTasks-TaskETA": f"{task.schedule_time.timestamp():.6f}"
                if task.schedule_time
                else "",
            }
        )
        oidc = http.oidc_token
        if oidc.service_account_email and self._tokens is not None:
            token = self._tokens(oidc.service_account_email, oidc.audience or http.url)
            headers["Authorization"] = f"Bearer {token}"
        method = target_types.HttpMethod(http.http_method or target_types.HttpMethod.POST).name
        try:
            response = self._session.request(
                method, http.url, data=http.body, headers=headers, timeout=self._timeout
            )
        except requests.RequestException as exc:
            log.warning("task %s: %s", task.name.rsplit("/", 1)[-1], type(exc).__name__)
            return False
        return 200 <= response.status_code < 300


def _config_from(queue: queue_types.Queue) -> QueueConfig:
    short = queue.name.rsplit("/", 1)[-1]
    rate, retry = queue.rate_limits, queue.retry_config
    return QueueConfig(
        short,
        max_concurrent=rate.max_concurrent_dispatches or 1000,
        max_per_second=rate.max_dispatches_per_second or 500.0,
        max_attempts=retry.max_attempts or 100,
        min_backoff=retry.min_backoff.total_seconds() if retry.min_backoff else 0.1,
        max_backoff=retry.max_backoff.total_seconds() if retry.max_backoff else 3600.0,
        max_doublings=retry.max_doublings or 16,
    )


def _as_queue(state: QueueState) -> queue_types.Queue:
    c = state.config
    return queue_types.Queue(
        name=state.path,
        state=queue_types.Queue.State.PAUSED if state.paused else queue_types.Queue.State.RUNNING,
        rate_limits=queue_types.RateLimits(
            max_dispatches_per_second=c.max_per_second, max_concurrent_dispatches=c.max_concurrent
        ),
        retry_config=queue_types.RetryConfig(
            max_attempts=c.max_attempts,
            min_backoff=dt.timedelta(seconds=c.min_backoff),
            max_backoff=dt.timedelta(seconds=c.max_backoff),
            max_doublings=c.max_doublings,
        ),
    )


class CloudTasksApi:
    def __init__(self, queues: Queues) -> None:
        self.queues = queues

    def _queue(self, path: str, context: grpc.ServicerContext) -> QueueState:
        state = self.queues.get(path)
        if state is None:
            context.abort(grpc.StatusCode.NOT_FOUND, f"queue {path} does not exist")
        assert state is not None
        return state

    def create_queue(
        self, request: cloudtasks.CreateQueueRequest, context: grpc.ServicerContext
    ) -> queue_types.Queue:
        if self.queues.get(request.queue.name):
            context.abort(grpc.StatusCode.ALREADY_EXISTS, f"queue {request.queue.name} exists")
        return _as_queue(self.queues.create_queue(request.queue.name, _config_from(request.queue)))

    def get_queue(
        self, request: cloudtasks.GetQueueRequest, context: grpc.ServicerContext
    ) -> queue_types.Queue:
        return _as_queue(self._queue(request.name, context))

    def list_queues(
        self, request: cloudtasks.ListQueuesRequest, context: grpc.ServicerContext
    ) -> cloudtasks.ListQueuesResponse:
        prefix = request.parent + "/"
        states = [self.queues.get(p) for p in self.queues.paths() if p.startswith(prefix)]
        found = [_as_queue(state) for state in states if state is not None]
        return cloudtasks.ListQueuesResponse(queues=found)

    def create_task(
        self, request: cloudtasks.CreateTaskRequest, context: grpc.ServicerContext
    ) -> task_types.Task:
        self._queue(request.parent, context)
        task = task_types.Task(request.task)
        if not task.name:
            task.name = f"{request.parent}/tasks/{uuid.uuid4().hex}"
        if not task.name.startswith(request.parent + "/tasks/"):
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "the task name must be in its queue")
        task.create_time = dt.datetime.now(dt.UTC)
        if not self.queues.add_task(request.parent, task):
            context.abort(grpc.StatusCode.ALREADY_EXISTS, f"task {task.name} existed")
        return task

    def list_tasks(
        self, request: cloudtasks.ListTasksRequest, context: grpc.ServicerContext
    ) -> cloudtasks.ListTasksResponse:
        self._queue(request.parent, context)
        return cloudtasks.ListTasksResponse(tasks=self.queues.list_tasks(request.parent))

    def delete_task(
        self, request: cloudtasks.DeleteTaskRequest, context: grpc.ServicerContext
    ) -> empty_pb2.Empty:
        path = request.name.split("/tasks/")[0]
        if not self.queues.remove_task(path, request.name):
            context.abort(grpc.StatusCode.NOT_FOUND, f"task {request.name} does not exist")
        return empty_pb2.Empty()

    def pause_queue(
        self, request: cloudtasks.PauseQueueRequest, context: grpc.ServicerContext
    ) -> queue_types.Queue:
        self.queues.set_paused(self._queue(request.name, context).path, True)
        return self.get_queue(cloudtasks.GetQueueRequest(name=request.name), context)

    def resume_queue(
        self, request: cloudtasks.ResumeQueueRequest, context: grpc.ServicerContext
    ) -> queue_types.Queue:
        self.queues.set_paused(self._queue(request.name, context).path, False)
        return self.get_queue(cloudtasks.GetQueueRequest(name=request.name), context)

    def purge_queue(
        self, request: cloudtasks.PurgeQueueRequest, context: grpc.ServicerContext
    ) -> queue_types.Queue:
        self.queues.purge(self._queue(request.name, context).path)
        return self.get_queue(cloudtasks.GetQueueRequest(name=request.name), context)


def _handler(
    method: Callable[..., Any], request_type: Any, response_type: Any
) -> grpc.RpcMethodHandler:
    serialize = (
        (lambda m: m.SerializeToString())
        if response_type is empty_pb2.Empty
        else response_type.serialize
    )
    return grpc.unary_unary_rpc_method_handler(
        method, request_deserializer=request_type.deserialize, response_serializer=serialize
    )


def serve(port: int, queues: Queues) -> grpc.Server:
    api = CloudTasksApi(queues)
    Q, T = queue_types.Queue, task_types.Task
    methods = {
        "CreateQueue": _handler(api.create_queue, cloudtasks.CreateQueueRequest, Q),
        "GetQueue": _handler(api.get_queue, cloudtasks.GetQueueRequest, Q),
        "ListQueues": _handler(
            api.list_queues, cloudtasks.ListQueuesRequest, cloudtasks.ListQueuesResponse
        ),
        "CreateTask": _handler(api.create_task, cloudtasks.CreateTaskRequest, T),
        "ListTasks": _handler(
            api.list_tasks, cloudtasks.ListTasksRequest, cloudtasks.ListTasksResponse
        ),
        "DeleteTask": _handler(api.delete_task, cloudtasks.DeleteTaskRequest, empty_pb2.Empty),
        "PauseQueue": _handler(api.pause_queue, cloudtasks.PauseQueueRequest, Q),
        "ResumeQueue": _handler(api.resume_queue, cloudtasks.ResumeQueueRequest, Q),
        "PurgeQueue": _handler(api.purge_queue, cloudtasks.PurgeQueueRequest, Q),
    }
    server = grpc.server(ThreadPoolExecutor(max_workers=16))
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(SERVICE, methods),))
    server.add_insecure_port(f"{LOOPBACK}:{port}")
    server.start()
    return server


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--project", required=True)
    parser.add_argument("--location", required=True)
    parser.add_argument(
        "--queue", action="append", default=[], help="name[:key=value,...] (see policy.QueueConfig)"
    )
    parser.add_argument(
        "--time-scale", type=float, default=1.0, help="multiplies every backoff (tests: e.g. 0.02)"
    )
    parser.add_argument(
        "--duplicate-rate", type=float, default=0.0, help="share of tasks delivered twice at once"
    )
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds a delivery may take")
    parser.add_argument("--oidc-issuer-url", help="the local issuer that mints tasks' OIDC tokens")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s cloud-tasks-local %(message)s")
    queues = Queues(
        HttpDelivery(args.timeout, args.oidc_issuer_url),
        time_scale=args.time_scale,
        duplicate_rate=args.duplicate_rate,
    )
    for spec in args.queue:
        config = QueueConfig.parse(spec)
        queues.create_queue(
            f"projects/{args.project}/locations/{args.location}/queues/{config.name}", config
        )
    server = serve(args.port, queues)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    signal.signal(signal.SIGINT, lambda *_: stopped.set())
    stopped.wait()
    queues.stop()
    server.stop(grace=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
