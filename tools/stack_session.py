"""Running work inside the local stack: stop it on Ctrl-C or SIGTERM (`make bench`), and start it,
run a command in its environment and stop it however the command ends (`make demo`)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Protocol

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Stack(Protocol):
    def up(self, services: Iterable[str], sis_args: Sequence[str] = ()) -> None: ...

    def down(self) -> list[str]: ...

    def env(self) -> Mapping[str, str]: ...


@contextlib.contextmanager
def down_on_signals(stack: Stack, before_down: Callable[[], None] | None = None) -> Iterator[None]:
    """While inside: Ctrl-C (SIGINT) or SIGTERM runs ``before_down``, stops every service of
    ``stack`` and exits 130 or 143 (128 + the signal), so an interrupted `make bench` or `make
    demo` leaves no process and no port behind. Further signals are ignored while it stops."""

    def stop(signum: int, frame: object) -> None:
        for sig in STOP_SIGNALS:
            signal.signal(sig, signal.SIG_IGN)
        name = signal.Signals(signum).name
        print(f"\ninterrupted ({name}): stopping the local stack", file=sys.stderr, flush=True)
        if before_down is not None:
            before_down()
        stack.down()
        raise SystemExit(128 + signum)

    previous = {sig: signal.signal(sig, stop) for sig in STOP_SIGNALS}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def run_with_stack(
    stack: Stack, services: Iterable[str], sis_args: Sequence[str], command: Sequence[str]
) -> int:
    """`make demo`: starts the stack, runs ``command`` with its environment, stops the stack
    however the command ends (an interruption stops the command first)."""
    started: list[subprocess.Popen[bytes]] = []

    def stop_command() -> None:
        for proc in started:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()

    with down_on_signals(stack, stop_command):
        try:
            stack.up(services, sis_args)
            started.append(subprocess.Popen(list(command), env={**os.environ, **stack.env()}))
            # Polled, not wait(): a signal handler that waits for the command while wait()
            # holds the Popen's lock would deadlock.
            while (code := started[0].poll()) is None:
                time.sleep(0.2)
        finally:
            lingering = stack.down()
    if lingering:
        print(f"localstack: still listening after stop: {', '.join(lingering)}", file=sys.stderr)
    return code or (1 if lingering else 0)
