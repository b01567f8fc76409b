"""Interrupting `make bench` or `make demo` stops everything it started, no process and no port
left; the Firestore emulator's heap is a setting of the stack."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tools.localstack import LocalStack, StackError, port_open
from tools.stack_processes import default_firestore_heap, firestore_command

ROOT = Path(__file__).resolve().parents[2]


def live_group_members(group: int) -> list[int]:
    """Processes of a process group that still run (a zombie waiting to be reaped is gone)."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == group and fields[0] != "Z":
            members.append(int(entry.name))
    return members


def services_up(state_file: Path) -> dict[str, dict[str, object]]:
    """The recorded services once the functions server and every other one listens."""
    try:
        services: dict[str, dict[str, object]] = json.loads(state_file.read_text())
    except (OSError, ValueError):
        return {}
    ready = "functions" in services and all(
        port_open(int(str(svc["port"]))) for svc in services.values()
    )
    return services if ready else {}


def test_sigterm_stops_the_bench_and_its_stack(tmp_path: Path) -> None:
    state = tmp_path / "stack"
    command = [sys.executable, "-m", "bench.run", "--sizes", "200"]
    bench = subprocess.Popen(
        [*command, "--out", str(tmp_path / "out"), "--state-dir", str(state)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    services: dict[str, dict[str, object]] = {}
    try:
        deadline = time.monotonic() + 60
        while not services and time.monotonic() < deadline and bench.poll() is None:
            time.sleep(0.2)
            services = services_up(state / "state.json")
        assert services, "the bench's stack did not come up"
        bench.send_signal(signal.SIGTERM)
        assert bench.wait(timeout=30) == 143
        left = {
            name: (live_group_members(int(str(svc["pid"]))), port_open(int(str(svc["port"]))))
            for name, svc in services.items()
        }
    finally:
        if bench.poll() is None:
            os.killpg(bench.pid, signal.SIGKILL)
            bench.wait()
        LocalStack(state).down()  # a failed test leaves nothing running either
    assert all(not pids and not listening for pids, listening in left.values()), left
    assert not (state / "state.json").exists()
    assert not (tmp_path / "out" / "latest.json").exists()


def test_sigterm_stops_a_command_run_with_the_stack(tmp_path: Path) -> None:
    """`make demo` is `localstack run -- python -m tools.demo`: here a command that waits."""
    state, marker = tmp_path / "stack", tmp_path / "child.pid"
    waiting = f"import os, time; open({str(marker)!r}, 'w').write(str(os.getpid())); time.sleep(60)"
    command = [sys.executable, "-m", "tools.localstack", "run", "--services", "tasks"]
    run = subprocess.Popen(
        [*command, "--state-dir", str(state), "--", sys.executable, "-c", waiting],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 30
        while not marker.is_file() and time.monotonic() < deadline and run.poll() is None:
            time.sleep(0.1)
        services = json.loads((state / "state.json").read_text())
        run.send_signal(signal.SIGTERM)
        assert run.wait(timeout=30) == 143
        left = {
            name: (live_group_members(int(str(svc["pid"]))), port_open(int(str(svc["port"]))))
            for name, svc in services.items()
        }
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
            run.wait()
        LocalStack(state).down()
    assert set(services) == {"issuer", "tasks"}
    assert all(not pids and not listening for pids, listening in left.values()), left
    assert not live_group_members(run.pid), "the command run with the stack is still running"


def test_the_emulator_heap_is_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    """Sized for 100,000 students by default (the JVM's -Xmx); a setting or the environment
    changes it, and a size the JVM would refuse is explained before anything starts."""
    monkeypatch.delenv("ROSTERSYNC_FIRESTORE_HEAP", raising=False)
    assert f"-Xmx{default_firestore_heap()}" in firestore_command(8085)
    assert "-Xmx4g" in firestore_command(8085, "4g")
    monkeypatch.setenv("ROSTERSYNC_FIRESTORE_HEAP", "2g")
    assert "-Xmx2g" in firestore_command(8085)
    with pytest.raises(StackError, match="like 4g or 512m"):
        firestore_command(8085, "lots")
