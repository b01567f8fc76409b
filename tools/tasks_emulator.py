"""Runs gcloud-tasks-emulator bound to 127.0.0.1 only.

The emulator hard-codes `[::]:PORT`, i.e. every interface. It is started from its own virtual
environment (.venv-tasks) because it pins protobuf<5; this file must therefore import nothing from
the project. Usage:

    python tools/tasks_emulator.py --port N [--queue projects/P/locations/L/queues/Q]
                                   [--max-retries N]
"""

from __future__ import annotations

import argparse
import logging
import types
from typing import Any

import grpc
from gcloud_tasks_emulator import server as emulator

LOOPBACK = "127.0.0.1"


class _LoopbackGrpcServer:
    """Delegates to a real grpc server but rewrites every listening address to loopback."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def add_insecure_port(self, address: str) -> int:
        port = address.rsplit(":", 1)[1]
        return int(self._inner.add_insecure_port(f"{LOOPBACK}:{port}"))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def _loopback_only_grpc() -> types.ModuleType:
    shim = types.ModuleType("grpc_loopback")
    shim.__dict__.update(grpc.__dict__)
    real_server = grpc.server
    shim.__dict__["server"] = lambda *args, **kwargs: _LoopbackGrpcServer(
        real_server(*args, **kwargs)
    )
    return shim


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--queue", action="append", default=[], help="queue to create at start")
    parser.add_argument("--max-retries", type=int, default=25)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s tasks-emulator %(message)s")
    emulator.grpc = _loopback_only_grpc()
    server = emulator.create_server(
        LOOPBACK, args.port, default_queue_names=args.queue, max_retries=args.max_retries
    )
    server.run()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
