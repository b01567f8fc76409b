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

from tools.stack_console import console_hint, seed_demo_admin
from tools.stack_processes import (
    LOOPBACK,
    PROJECT_ID,
    Service,
    StackError,
    port_open,
    stop_process_group,
)
from tools.stack_processes import gcloud_sdk_root as gcloud_sdk_root  # .ci/run, preflight
from tools.stack_services import (
    PACKAGES_BUCKET,
    STAGING_BUCKET,
    TASKS_LOCATION,
    TASKS_SERVICE_ACCOUNT,
    start_events,
    start_firestore,
    start_functions,
    start_issuer,
    start_secrets,
    start_sis,
    start_storage,
    start_tasks,
)
from tools.stack_session import down_on_signals, run_with_stack

ROOT = Path(__file__).resolve().parent.parent
ALL_SERVICES = ("issuer", "firestore", "tasks", "secrets", "sis", "storage", "functions", "events")
ID_TOKEN_AUDIENCE = "rostersync-local"  # noqa: S105  (an audience, not a secret)


class LocalStack:
    """The local stack of one state directory. `up` is idempotent per service; each service
    starts through its starter in tools/stack_services.py."""

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

    def spawn(
        self, name: str, argv: Sequence[str], env: dict[str, str] | None = None
    ) -> tuple[subprocess.Popen[bytes], Path]:
        """Starts ``argv`` in its own process group, its output in the state directory's
        NAME.log."""
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

    def guard(self, proc: subprocess.Popen[bytes], name: str, port: int, log: Path) -> None:
        """Records the PID before waiting, so `down` can stop a service that hung in start-up."""
        self.services[name] = Service(name, proc.pid, port, str(log))
        self._procs[name] = proc
        self._save()

    def up(self, services: Iterable[str] = ALL_SERVICES, sis_args: Sequence[str] = ()) -> None:
        starters: dict[str, Callable[[], Service]] = {
            "issuer": lambda: start_issuer(self),
            "firestore": lambda: start_firestore(self),
            "tasks": lambda: start_tasks(self),
            "secrets": lambda: start_secrets(self),
            "sis": lambda: start_sis(self, sis_args),
            "storage": lambda: start_storage(self),
            "functions": lambda: start_functions(self),
            "events": lambda: start_events(self),
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


def _parser() -> argparse.ArgumentParser:
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
    return parser


def _run(stack: LocalStack, services: list[str], sis_args: list[str], program: list[str]) -> int:
    """`run`: up, the program after --, down; its exit code, or 1 when the stack fails."""
    try:
        return run_with_stack(stack, services, sis_args, program)
    except StackError as exc:
        print(f"localstack: {exc}", file=sys.stderr)
        return 1


def _up(stack: LocalStack, services: list[str], sis_args: list[str]) -> int:
    """`up`: starts the services and prints each; with the functions, how to open the console."""
    try:
        with down_on_signals(stack):
            stack.up(services, sis_args)
    except StackError as exc:
        print(f"localstack: {exc}", file=sys.stderr)
        return 1
    for svc in stack.services.values():
        print(f"{svc.name:<10} pid {svc.pid:<7} http://{LOOPBACK}:{svc.port}  log {svc.log}")
    if {"functions", "firestore"} <= stack.services.keys():
        seed_demo_admin(stack.services["firestore"].port)
        print("\n".join(console_hint(stack.services, sis_args)))
    return 0


def _down(stack: LocalStack) -> int:
    """`down`: stops every service; 1 when a port still listens afterwards."""
    lingering = stack.down()
    if lingering:
        print(f"localstack: still listening after stop: {', '.join(lingering)}", file=sys.stderr)
        return 1
    print("localstack: stopped")
    return 0


def _print_status(stack: LocalStack) -> None:
    for name in ALL_SERVICES:
        state = "running" if stack.running(name) else "stopped"
        port = stack.services[name].port if name in stack.services else "-"
        print(f"{name:<10} {state:<8} port {port}")


def _print_env(stack: LocalStack) -> None:
    for key, value in stack.env().items():
        print(f"export {key}={value}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
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
        return _run(stack, services, args.sis_arg, program)
    if args.command == "up":
        return _up(stack, services, args.sis_arg)
    if args.command == "down":
        return _down(stack)
    if args.command == "status":
        _print_status(stack)
    else:
        _print_env(stack)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
