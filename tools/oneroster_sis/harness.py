"""Runs a OneRosterSis on a real 127.0.0.1 socket in a background thread (tests, benchmarks)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from werkzeug.serving import BaseWSGIServer, make_server

from tools.oneroster_sis.app import OneRosterSis
from tools.oneroster_sis.config import BASES


@dataclass
class RunningSis:
    sis: OneRosterSis
    server: BaseWSGIServer

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def base_url(self, version: str, service: str = "rostering") -> str:
        return self.origin + self.sis.config.prefix + BASES[(version, service)]

    @property
    def token_url(self) -> str:
        return self.origin + self.sis.config.token_route()


@contextmanager
def serve(sis: OneRosterSis) -> Iterator[RunningSis]:
    server = make_server("127.0.0.1", 0, sis, threaded=True)
    server.daemon_threads = True  # type: ignore[attr-defined]  # ThreadedWSGIServer
    thread = threading.Thread(target=server.serve_forever, name="local-sis", daemon=True)
    thread.start()
    try:
        yield RunningSis(sis, server)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
