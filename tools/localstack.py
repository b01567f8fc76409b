"""Starts and stops the local stack: the Firestore emulator, the local Cloud Tasks service, the
local OneRoster SIS, the Cloud Storage emulator with the CSV packages and staging buckets, the
functions and the Cloud Storage events (tools/storage_events.py), each on 127.0.0.1 on a free
port, in its own process group.

    python -m tools.localstack up [--services firestore,tasks,sis,storage,functions,events]
                                  [--sis-arg=--students=500] [--duplicate-rate 0.2]
                                  [--events-twice] [--firestore-heap 8g]
    python -m tools.localstack run [same options] -- COMMAND...   # up, run it, down (make demo)
    python -m tools.localstack env      # shell exports for the running stack
    python -m tools.localstack status
    python -m tools.localstack down

State (PIDs, ports, log files) lives in `.stack/` at the project root, or in `--state-dir`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict
from pathlib import Path

from tools.stack_console import (
    DEFAULT_SIS_CLIENT_ID,
    DEFAULT_SIS_CLIENT_SECRET,
    console_hint,
    seed_demo_admin,
)
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
    stop_process_group,
    storage_command,
    wait_until,
)
from tools.stack_processes import gcloud_sdk_root as gcloud_sdk_root  # .ci/run, preflight
from tools.stack_session import down_on_signals, run_with_stack

ROOT = Path(__file__).resolve().parent.parent
TASKS_LOCATION = "us-central1"
ALL_SERVICES = ("issuer", "firestore", "tasks", "secrets", "sis", "storage", "functions", "events")
TASKS_SERVICE_ACCOUNT = f"tasks@{PROJECT_ID}.iam.gserviceaccount.com"
ID_TOKEN_AUDIENCE = "rostersync-local"  # noqa: S105  (an audience, not a secret)
PACKAGES_BUCKET = f"{PROJECT_ID}-rostersync-packages"  # as Settings names them for a project
STAGING_BUCKET = f"{PROJECT_ID}-rostersync-staging"


class LocalStack:
    """The local stack of one state directory. `up` is idempotent per service."""

    def __init__(
        self,
        state_dir: Path | None = None,
        *,
        tasks_time_scale: float = 1.0,
        tasks_duplicate_rate: float = 0.0,
        firestore_heap: str | None = None,
        events_twice: bool = False,
    ) -> None:
        """``tasks_time_scale`` shrinks the queues' retry backoff (tests); a
        ``tasks_duplicate_rate`` above 0 delivers that share of tasks twice at once;
        ``firestore_heap`` (e.g. "8g") caps the emulator's JVM heap, see default_firestore_heap;
        ``events_twice`` delivers every Cloud Storage event twice at once."""
        self.state_dir = (state_dir or ROOT / ".stack").resolve()
        self.firestore_heap = firestore_heap
        self.tasks_time_scale = tasks_time_scale
        self.tasks_duplicate_rate = tasks_duplicate_rate
        self.events_twice = events_twice
        self.state_file = self.state_dir / "state.json"
        self.services: dict[str, Service] = self._load()
        # Popen objects of the services this instance started: kept so they are not garbage
        # collected while their process runs, and polled after `down` so the exit is reaped.
        self._procs: dict[str, subprocess.Popen[bytes]] = {}

    def _load(self) -> dict[str, Service]:
        if not self.state_file.is_file():
            return {}
        raw = json.loads(self.state_file.read_text())
        return {name: Service(**data) for name, data in raw.items()}

    def _save(self) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        data = {name: asdict(svc) for name, svc in self.services.items()}
        self.state_file.write_text(json.dumps(data, indent=2))

    def _spawn(
        self, name: str, argv: Sequence[str], env: dict[str, str] | None = None
    ) -> tuple[subprocess.Popen[bytes], Path]:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        log = self.state_dir / f"{name}.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                list(argv),
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=ROOT,
                env={**os.environ, **(env or {})},
                start_new_session=True,
                stdin=subprocess.DEVNULL,
            )
        self._procs[name] = proc
        return proc, log

    def _start_firestore(self) -> Service:
        port = free_port()
        proc, log = self._spawn("firestore", firestore_command(port, self.firestore_heap))
        self._guard(proc, "firestore", port, log)
        wait_until(lambda: http_ok(f"http://{LOOPBACK}:{port}/"), proc, "Firestore emulator", log)
        return Service("firestore", proc.pid, port, str(log))

    def _start_tasks(self) -> Service:
        """The local Cloud Tasks service, with the queues and settings of infra/queues.tf."""
        # Imported here: it needs python-hcl2 from .venv, and .ci/run imports this module with
        # the bare interpreter before any virtual environment exists.
        from tools.cloud_tasks_local.infra_queues import as_spec, infra_queues

        port = free_port()
        argv = [sys.executable, "-m", "tools.cloud_tasks_local.server", "--port", str(port)]
        argv += ["--project", PROJECT_ID, "--location", TASKS_LOCATION]
        argv += ["--time-scale", str(self.tasks_time_scale)]
        argv += ["--duplicate-rate", str(self.tasks_duplicate_rate)]
        if "issuer" in self.services:
            argv += ["--oidc-issuer-url", f"http://{LOOPBACK}:{self.services['issuer'].port}"]
        for config in infra_queues():
            argv += ["--queue", as_spec(config)]
        proc, log = self._spawn("tasks", argv)
        self._guard(proc, "tasks", port, log)
        wait_until(lambda: port_open(port), proc, "Cloud Tasks service", log)
        return Service("tasks", proc.pid, port, str(log))

    def _start_sis(self, sis_args: Sequence[str]) -> Service:
        port_file = self.state_dir / "sis.port"
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
        proc, log = self._spawn("sis", argv)
        wait_until(port_file.is_file, proc, "local OneRoster SIS", log, timeout=300)
        port = int(port_file.read_text())
        self._guard(proc, "sis", port, log)
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

    def _start_issuer(self) -> Service:
        """The local ID-token issuer (tools/local_issuer.py): its certs URL is what the functions
        verify every token against, as they verify Google's in production."""
        port = free_port()
        argv = [sys.executable, "-m", "tools.local_issuer", "serve", "--port", str(port)]
        argv += ["--state-dir", str(self.state_dir)]
        proc, log = self._spawn("issuer", argv)
        self._guard(proc, "issuer", port, log)
        wait_until(lambda: http_ok(f"http://{LOOPBACK}:{port}/healthz"), proc, "local issuer", log)
        return Service("issuer", proc.pid, port, str(log))

    def _start_secrets(self) -> Service:
        port_file = self.state_dir / "secrets.port"
        port_file.unlink(missing_ok=True)
        argv = [sys.executable, "-m", "tools.secret_manager_fake", "--port-file", str(port_file)]
        proc, log = self._spawn("secrets", argv)
        wait_until(port_file.is_file, proc, "Secret Manager fake", log)
        port = int(port_file.read_text())
        self._guard(proc, "secrets", port, log)
        wait_until(
            lambda: http_ok(f"http://{LOOPBACK}:{port}/_control/health"),
            proc,
            "Secret Manager fake",
            log,
        )
        return Service("secrets", proc.pid, port, str(log))

    def _start_storage(self) -> Service:
        """The Cloud Storage emulator, in memory, with the packages and staging buckets."""
        port = free_port()
        proc, log = self._spawn("storage", storage_command(port))
        self._guard(proc, "storage", port, log)
        url = f"http://{LOOPBACK}:{port}"
        wait_until(lambda: http_ok(f"{url}/"), proc, "Cloud Storage emulator", log)
        create_buckets(url, [PACKAGES_BUCKET, STAGING_BUCKET])
        return Service("storage", proc.pid, port, str(log))

    def _start_events(self) -> Service:
        """Eventarc's stand-in: the packages bucket's new zips as CloudEvents to csv_landed."""
        if "functions" not in self.services:
            raise StackError("the events service delivers to the functions: add functions")
        port_file = self.state_dir / "events.port"
        port_file.unlink(missing_ok=True)
        argv = [sys.executable, "-m", "tools.storage_events", "--port-file", str(port_file)]
        argv += ["--storage-url", f"http://{LOOPBACK}:{self.services['storage'].port}"]
        argv += ["--bucket", PACKAGES_BUCKET, "--service-account", TASKS_SERVICE_ACCOUNT]
        argv += ["--target-url", f"{self.env()['ROSTERSYNC_FUNCTIONS_URL']}/csv_landed"]
        argv += ["--issuer-url", f"http://{LOOPBACK}:{self.services['issuer'].port}"]
        argv += ["--twice"] if self.events_twice else []
        proc, log = self._spawn("events", argv)
        wait_until(port_file.is_file, proc, "Cloud Storage events", log)
        port = int(port_file.read_text())
        self._guard(proc, "events", port, log)
        wait_until(
            lambda: http_ok(f"http://{LOOPBACK}:{port}/_control/health"), proc, "events", log
        )
        return Service("events", proc.pid, port, str(log))

    def _start_functions(self) -> Service:
        port = free_port()
        argv = [sys.executable, "-m", "tools.serve_functions", "--port", str(port)]
        env = {**self.env(), "ROSTERSYNC_FUNCTIONS_URL": f"http://{LOOPBACK}:{port}"}
        proc, log = self._spawn("functions", argv, env=env)
        self._guard(proc, "functions", port, log)
        wait_until(lambda: http_ok(f"http://{LOOPBACK}:{port}/healthz"), proc, "functions", log)
        return Service("functions", proc.pid, port, str(log))

    def _guard(self, proc: subprocess.Popen[bytes], name: str, port: int, log: Path) -> None:
        """Records the PID before waiting, so `down` can stop a service that hung in start-up."""
        self.services[name] = Service(name, proc.pid, port, str(log))
        self._procs[name] = proc
        self._save()

    def up(self, services: Iterable[str] = ALL_SERVICES, sis_args: Sequence[str] = ()) -> None:
        starters: dict[str, Callable[[], Service]] = {
            "issuer": self._start_issuer,
            "firestore": self._start_firestore,
            "tasks": self._start_tasks,
            "secrets": self._start_secrets,
            "sis": lambda: self._start_sis(sis_args),
            "storage": self._start_storage,
            "functions": self._start_functions,
            "events": self._start_events,
        }
        wanted = list(services)
        if {"tasks", "functions", "events"} & set(wanted):
            wanted.append("issuer")  # they sign and verify tokens with it
        if "events" in wanted:
            wanted.append("storage")  # it watches the packages bucket
        unknown = set(wanted) - set(starters)
        if unknown:
            raise StackError(f"unknown service(s) {sorted(unknown)}; choose from {ALL_SERVICES}")
        try:
            for name in ALL_SERVICES:
                if name in wanted and not self.running(name):
                    self.services[name] = starters[name]()
                    self._save()
        except BaseException:
            self.down()
            raise

    def running(self, name: str) -> bool:
        svc = self.services.get(name)
        if svc is None:
            return False
        try:
            os.killpg(svc.pid, 0)
        except (ProcessLookupError, PermissionError):
            return False
        return port_open(svc.port)

    def down(self) -> list[str]:
        """Stops every recorded service; returns the ports still listening afterwards."""
        for svc in reversed(list(self.services.values())):
            # gunicorn waits for requests in flight on SIGTERM (up to its graceful timeout);
            # SIGINT is its quick shutdown: a local task cut short is delivered again anyway.
            quick = signal.SIGINT if svc.name == "functions" else signal.SIGTERM
            stop_process_group(svc.pid, sig=quick)
        for name, proc in self._procs.items():
            if name not in self.services:
                stop_process_group(proc.pid)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=5)
        self._procs = {}
        lingering = [
            f"{svc.name}:{svc.port}" for svc in self.services.values() if port_open(svc.port)
        ]
        self.services = {}
        self.state_file.unlink(missing_ok=True)
        return lingering

    def env(self) -> dict[str, str]:
        env = {
            "GOOGLE_CLOUD_PROJECT": PROJECT_ID,
            "ROSTERSYNC_LOCAL_DEV": "1",
            "ROSTERSYNC_TASKS_LOCATION": TASKS_LOCATION,
        }
        svc = self.services
        if "issuer" in svc:
            issuer = f"http://{LOOPBACK}:{svc['issuer'].port}"
            env["ROSTERSYNC_ID_TOKEN_CERTS_URL"] = f"{issuer}/certs"
            env["ROSTERSYNC_ID_TOKEN_ISSUERS"] = issuer
            env["ROSTERSYNC_ID_TOKEN_AUDIENCE"] = ID_TOKEN_AUDIENCE
            env["ROSTERSYNC_TASKS_SERVICE_ACCOUNT"] = TASKS_SERVICE_ACCOUNT
        if "firestore" in svc:
            env["FIRESTORE_EMULATOR_HOST"] = f"{LOOPBACK}:{svc['firestore'].port}"
        if "tasks" in svc:
            env["CLOUD_TASKS_EMULATOR_HOST"] = f"{LOOPBACK}:{svc['tasks'].port}"
        if "secrets" in svc:
            env["ROSTERSYNC_SECRET_MANAGER_ENDPOINT"] = f"http://{LOOPBACK}:{svc['secrets'].port}"
        if "sis" in svc:
            env["ROSTERSYNC_LOCAL_SIS_URL"] = f"http://{LOOPBACK}:{svc['sis'].port}"
        if "storage" in svc:  # the client library reads STORAGE_EMULATOR_HOST (with the scheme)
            env["STORAGE_EMULATOR_HOST"] = f"http://{LOOPBACK}:{svc['storage'].port}"
            env["ROSTERSYNC_PACKAGES_BUCKET"] = PACKAGES_BUCKET
            env["ROSTERSYNC_STAGING_BUCKET"] = STAGING_BUCKET
        if "functions" in svc:
            env["ROSTERSYNC_FUNCTIONS_URL"] = f"http://{LOOPBACK}:{svc['functions'].port}"
        return env


def queue_path(queue: str) -> str:
    return f"projects/{PROJECT_ID}/locations/{TASKS_LOCATION}/queues/{queue}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.localstack",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("command", choices=["up", "down", "status", "env", "run"])
    parser.add_argument("--services", default=",".join(ALL_SERVICES))
    parser.add_argument(
        "--sis-arg",
        action="append",
        default=[],
        help="an argument passed to the local SIS, e.g. --sis-arg=--students=500",
    )
    parser.add_argument("--state-dir", type=Path, default=None)
    parser.add_argument(
        "--duplicate-rate",
        type=float,
        default=0.0,
        help="deliver this share of Cloud Tasks tasks twice at once (at-least-once delivery)",
    )
    parser.add_argument(
        "--firestore-heap",
        default=None,
        help="the Firestore emulator's JVM heap ceiling, e.g. 8g (default: see README)",
    )
    parser.add_argument(
        "--events-twice",
        action="store_true",
        help="deliver every Cloud Storage event twice at once (at-least-once delivery)",
    )
    arguments = list(sys.argv[1:] if argv is None else argv)
    split = arguments.index("--") if "--" in arguments else len(arguments)
    args = parser.parse_args(arguments[:split])
    program = arguments[split + 1 :]  # run: the command after --
    stack = LocalStack(
        args.state_dir,
        tasks_duplicate_rate=args.duplicate_rate,
        firestore_heap=args.firestore_heap,
        events_twice=args.events_twice,
    )
    services = [s for s in args.services.split(",") if s]
    if args.command == "run":
        if not program:
            parser.error("run needs a command after --")
        try:
            return run_with_stack(stack, services, args.sis_arg, program)
        except StackError as exc:
            print(f"localstack: {exc}", file=sys.stderr)
            return 1
    if args.command == "up":
        try:
            with down_on_signals(stack):
                stack.up(services, args.sis_arg)
        except StackError as exc:
            print(f"localstack: {exc}", file=sys.stderr)
            return 1
        for svc in stack.services.values():
            print(f"{svc.name:<10} pid {svc.pid:<7} http://{LOOPBACK}:{svc.port}  log {svc.log}")
        if {"functions", "firestore"} <= stack.services.keys():
            seed_demo_admin(stack.services["firestore"].port)
            print("\n".join(console_hint(stack.services, args.sis_arg)))
    elif args.command == "down":
        lingering = stack.down()
        if lingering:
            print(
                f"localstack: still listening after stop: {', '.join(lingering)}", file=sys.stderr
            )
            return 1
        print("localstack: stopped")
    elif args.command == "status":
        for name in ALL_SERVICES:
            state = "running" if stack.running(name) else "stopped"
            port = stack.services[name].port if name in stack.services else "-"
            print(f"{name:<10} {state:<8} port {port}")
    else:
        for key, value in stack.env().items():
            print(f"export {key}={value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
