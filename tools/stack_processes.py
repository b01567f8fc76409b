"""Processes of the local stack: free ports, readiness checks, the Firestore emulator's command
line (its JVM heap sized for large districts), the Cloud Storage emulator's and its buckets, and
stopping a process group. Used by
tools/localstack.py; kept apart so that file holds the stack itself."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

LOOPBACK = "127.0.0.1"
PROJECT_ID = "rostersync-local"
FIRESTORE_JAR = "platform/cloud-firestore-emulator/cloud-firestore-emulator.jar"
FIRESTORE_MAIN = "com.google.cloud.datastore.emulator.firestore.CloudFirestore"


class StackError(RuntimeError):
    """A service could not start; the message says what to do."""


@dataclass
class Service:
    name: str
    pid: int
    port: int
    log: str
    extra: dict[str, str] = field(default_factory=dict)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.2)
        return sock.connect_ex((LOOPBACK, port)) == 0


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310  (loopback URL we built)
            return bool(response.status < 500)
    except (urllib.error.URLError, OSError):
        return False


def gcloud_sdk_root() -> Path | None:
    candidates = [
        os.environ.get("CLOUDSDK_ROOT_DIR", ""),
        "/usr/lib/google-cloud-sdk",
        "/usr/share/google-cloud-sdk",
        "/opt/google-cloud-sdk",
    ]
    for candidate in filter(None, candidates):
        if (Path(candidate) / FIRESTORE_JAR).is_file():
            return Path(candidate)
    gcloud = shutil.which("gcloud")
    if gcloud is None:
        return None
    result = subprocess.run(
        [gcloud, "info", "--format=value(installation.sdk_root)"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    root = Path(result.stdout.strip())
    return root if (root / FIRESTORE_JAR).is_file() else None


def default_firestore_heap() -> str:
    """The emulator keeps every document in its JVM heap: with 1 GB a 30,000-student sync ran
    out of memory (4 GB held it, peak 2.6 GB), and a 100,000-student import reached a 9 GB
    ceiling a quarter of the way through its schools (docs/bench.md). Two fifths of this
    machine's memory, between 1 and 10 GiB (9g on 24 GiB); the environment variable
    ROSTERSYNC_FIRESTORE_HEAP (a JVM size such as 4g) overrides it. -Xmx is a ceiling: the JVM
    takes memory as the data grows, so small stacks stay small."""
    configured = os.environ.get("ROSTERSYNC_FIRESTORE_HEAP", "").strip()
    if configured:
        return configured
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError):
        return "1g"
    return f"{max(1, min(10, total * 2 // 5 // 1024**3))}g"


def firestore_command(port: int, heap: str | None = None) -> list[str]:
    """The emulator's JAR run by `java` directly, so the JVM's own -Xmx sizes its heap."""
    heap = heap or default_firestore_heap()
    if not heap[:-1].isdigit() or heap[-1].lower() not in "mg":
        raise StackError(f"the Firestore emulator heap must look like 4g or 512m, not {heap!r}")
    java = shutil.which("java")
    if java is None:
        raise StackError(
            "Java 17 is needed for the Firestore emulator and was not found. Install it with "
            "`apt-get update && apt-get install -y openjdk-17-jre-headless`."
        )
    sdk = gcloud_sdk_root()
    if sdk is None:
        raise StackError(
            "The Firestore emulator (gcloud component cloud-firestore-emulator) was not found. "
            "Install the Google Cloud CLI (https://cloud.google.com/sdk/docs/install), then "
            "`gcloud components install cloud-firestore-emulator`, or on Debian/Ubuntu with "
            "Google's apt repository `apt-get install google-cloud-cli-firestore-emulator`."
        )
    return [
        java,
        f"-Xmx{heap}",
        "-Duser.language=en",
        "-cp",
        str(sdk / FIRESTORE_JAR),
        FIRESTORE_MAIN,
        f"--host={LOOPBACK}",
        f"--port={port}",
        f"--project_id={PROJECT_ID}",
    ]


def storage_command(port: int) -> list[str]:
    """The Cloud Storage emulator (the gcp-storage-emulator package of requirements-dev.txt),
    keeping objects in memory: the JSON API, resumable uploads and ranged reads the client uses."""
    argv = [sys.executable, "-m", "gcp_storage_emulator", "start", "--host", LOOPBACK]
    return [*argv, "--port", str(port), "--in-memory", "--quiet"]


def create_buckets(storage_url: str, names: Sequence[str]) -> None:
    """Creates each bucket through the emulator's JSON API (buckets.insert); an existing one
    (409) is fine."""
    for name in names:
        request = urllib.request.Request(  # noqa: S310  (the emulator's loopback URL)
            f"{storage_url}/storage/v1/b?project={PROJECT_ID}",
            json.dumps({"name": name}).encode(),
            {"Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=10):  # noqa: S310  (our emulator)
                pass
        except urllib.error.HTTPError as exc:
            if exc.code != 409:
                raise StackError(f"could not create bucket {name}: HTTP {exc.code}") from None


def wait_until(
    check: Callable[[], bool],
    proc: subprocess.Popen[bytes],
    what: str,
    log: Path,
    timeout: float = 60.0,
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        if proc.poll() is not None:
            raise StackError(
                f"{what} exited with code {proc.returncode} during start-up; "
                f"its log is {log}:\n{tail(log)}"
            )
        time.sleep(0.1)
    raise StackError(
        f"{what} did not become ready within {timeout:.0f} s; its log is {log}:\n{tail(log)}"
    )


def tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


KILLED_WAIT = 5.0  # seconds a killed group is given to be gone


def stop_process_group(pid: int, timeout: float = 15.0, sig: int = signal.SIGTERM) -> None:
    """Stops a service and everything it spawned (gunicorn workers, JVM threads)."""
    try:
        os.killpg(pid, sig)
    except ProcessLookupError:
        return
    if not _gone(pid, timeout):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
        _gone(pid, KILLED_WAIT)  # a killed process is gone once the kernel has reaped it
    reap(pid)


def _gone(pid: int, timeout: float) -> bool:
    """Waits until no process of the group is left; False when some still is at ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.killpg(pid, 0)
        except ProcessLookupError:
            return True
        reap(pid)
        time.sleep(0.1)
    return False


def reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)
