"""How each service of the local stack starts: its command line, where its port comes from, and
the check that says it is ready. Also the names the services share: the Cloud Tasks location,
the service account that signs tasks and events, and the packages and staging buckets.

Each starter takes the stack being started (LocalStack in tools/localstack.py, seen here through
StartingStack), spawns the service there, records its PID before waiting, and returns it."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from tools.stack_console import DEFAULT_SIS_CLIENT_ID, DEFAULT_SIS_CLIENT_SECRET
from tools.stack_processes import (
    LOOPBACK,
    PROJECT_ID,
    Service,
    StackError,
    create_buckets,
    firestore_command,
    free_port,
    http_ok,
    port_open,
    storage_command,
    wait_until,
)

TASKS_LOCATION = "us-central1"
TASKS_SERVICE_ACCOUNT = f"tasks@{PROJECT_ID}.iam.gserviceaccount.com"
PACKAGES_BUCKET = f"{PROJECT_ID}-rostersync-packages"  # as Settings names them for a project
STAGING_BUCKET = f"{PROJECT_ID}-rostersync-staging"


class StartingStack(Protocol):
    """What the starters use of the stack: its state directory, the services recorded so far,
    its options, a way to spawn a process and a way to record it before waiting for it."""

    state_dir: Path
    services: dict[str, Service]
    firestore_heap: str | None
    tasks_time_scale: float
    tasks_duplicate_rate: float
    events_twice: bool

    def spawn(
        self, name: str, argv: Sequence[str], env: dict[str, str] | None = None
    ) -> tuple[subprocess.Popen[bytes], Path]: ...

    def guard(self, proc: subprocess.Popen[bytes], name: str, port: int, log: Path) -> None: ...

    def env(self) -> dict[str, str]: ...


def start_firestore(stack: StartingStack) -> Service:
    port = free_port()
    proc, log = stack.spawn("firestore", firestore_command(port, stack.firestore_heap))
    stack.guard(proc, "firestore", port, log)
    wait_until(lambda: http_ok(f"http://{LOOPBACK}:{port}/"), proc, "Firestore emulator", log)
    return Service("firestore", proc.pid, port, str(log))


def start_tasks(stack: StartingStack) -> Service:
    """The local Cloud Tasks service, with the queues and settings of infra/queues.tf."""
    # Imported here: it needs python-hcl2 from .venv, and .ci/run imports tools/localstack.py
    # (and so this module) with the bare interpreter before any virtual environment exists.
    from tools.cloud_tasks_local.infra_queues import as_spec, infra_queues

    port = free_port()
    argv = [sys.executable, "-m", "tools.cloud_tasks_local.server", "--port", str(port)]
    argv += ["--project", PROJECT_ID, "--location", TASKS_LOCATION]
    argv += ["--time-scale", str(stack.tasks_time_scale)]
    argv += ["--duplicate-rate", str(stack.tasks_duplicate_rate)]
    if "issuer" in stack.services:
        argv += ["--oidc-issuer-url", f"http://{LOOPBACK}:{stack.services['issuer'].port}"]
    for config in infra_queues():
        argv += ["--queue", as_spec(config)]
    proc, log = stack.spawn("tasks", argv)
    stack.guard(proc, "tasks", port, log)
    wait_until(lambda: port_open(port), proc, "Cloud Tasks service", log)
    return Service("tasks", proc.pid, port, str(log))


def start_sis(stack: StartingStack, sis_args: Sequence[str]) -> Service:
    port_file = stack.state_dir / "sis.port"
    port_file.unlink(missing_ok=True)
    argv = [
        sys.executable,
        "-m",
        "tools.oneroster_sis",
        "--port",
        "0",
        "--port-file",
        str(port_file),
        "--client-id",
        DEFAULT_SIS_CLIENT_ID,
        "--client-secret",
        DEFAULT_SIS_CLIENT_SECRET,
        *sis_args,
    ]
    proc, log = stack.spawn("sis", argv)
    wait_until(port_file.is_file, proc, "local OneRoster SIS", log, timeout=300)
    port = int(port_file.read_text())
    stack.guard(proc, "sis", port, log)
    wait_until(
        lambda: http_ok(f"http://{LOOPBACK}:{port}/_control/health"),
        proc,
        "local OneRoster SIS",
        log,
    )
    return Service(
        "sis",
        proc.pid,
        port,
        str(log),
        {"client_id": DEFAULT_SIS_CLIENT_ID, "client_secret": DEFAULT_SIS_CLIENT_SECRET},
    )


def start_issuer(stack: StartingStack) -> Service:
    """The local ID-token issuer (tools/local_issuer.py): its certs URL is what the functions
    verify every token against, as they verify Google's in production."""
    port = free_port()
    argv = [sys.executable, "-m", "tools.local_issuer", "serve", "--port", str(port)]
    argv += ["--state-dir", str(stack.state_dir)]
    proc, log = stack.spawn("issuer", argv)
    stack.guard(proc, "issuer", port, log)
    wait_until(lambda: http_ok(f"http://{LOOPBACK}:{port}/healthz"), proc, "local issuer", log)
    return Service("issuer", proc.pid, port, str(log))


def start_secrets(stack: StartingStack) -> Service:
    port_file = stack.state_dir / "secrets.port"
    port_file.unlink(missing_ok=True)
    argv = [sys.executable, "-m", "tools.secret_manager_fake", "--port-file", str(port_file)]
    proc, log = stack.spawn("secrets", argv)
    wait_until(port_file.is_file, proc, "Secret Manager fake", log)
    port = int(port_file.read_text())
    stack.guard(proc, "secrets", port, log)
    wait_until(
        lambda: http_ok(f"http://{LOOPBACK}:{port}/_control/health"),
        proc,
        "Secret Manager fake",
        log,
    )
    return Service("secrets", proc.pid, port, str(log))


def start_storage(stack: StartingStack) -> Service:
    """The Cloud Storage emulator, in memory, with the packages and staging buckets."""
    port = free_port()
    proc, log = stack.spawn("storage", storage_command(port))
    stack.guard(proc, "storage", port, log)
    url = f"http://{LOOPBACK}:{port}"
    wait_until(lambda: http_ok(f"{url}/"), proc, "Cloud Storage emulator", log)
    create_buckets(url, [PACKAGES_BUCKET, STAGING_BUCKET])
    return Service("storage", proc.pid, port, str(log))


def start_events(stack: StartingStack) -> Service:
    """Eventarc's stand-in: the packages bucket's new zips as CloudEvents to csv_landed."""
    if "functions" not in stack.services:
        raise StackError("the events service delivers to the functions: add functions")
    port_file = stack.state_dir / "events.port"
    port_file.unlink(missing_ok=True)
    argv = [sys.executable, "-m", "tools.storage_events", "--port-file", str(port_file)]
    argv += ["--storage-url", f"http://{LOOPBACK}:{stack.services['storage'].port}"]
    argv += ["--bucket", PACKAGES_BUCKET, "--service-account", TASKS_SERVICE_ACCOUNT]
    argv += ["--target-url", f"{stack.env()['ROSTERSYNC_FUNCTIONS_URL']}/csv_landed"]
    argv += ["--issuer-url", f"http://{LOOPBACK}:{stack.services['issuer'].port}"]
    argv += ["--twice"] if stack.events_twice else []
    proc, log = stack.spawn("events", argv)
    wait_until(port_file.is_file, proc, "Cloud Storage events", log)
    port = int(port_file.read_text())
    stack.guard(proc, "events", port, log)
    wait_until(lambda: http_ok(f"http://{LOOPBACK}:{port}/_control/health"), proc, "events", log)
    return Service("events", proc.pid, port, str(log))


def start_functions(stack: StartingStack) -> Service:
    port = free_port()
    argv = [sys.executable, "-m", "tools.serve_functions", "--port", str(port)]
    env = {**stack.env(), "ROSTERSYNC_FUNCTIONS_URL": f"http://{LOOPBACK}:{port}"}
    proc, log = stack.spawn("functions", argv, env=env)
    stack.guard(proc, "functions", port, log)
    wait_until(lambda: http_ok(f"http://{LOOPBACK}:{port}/healthz"), proc, "functions", log)
    return Service("functions", proc.pid, port, str(log))
