"""Serving a local WSGI app on 127.0.0.1 until SIGTERM, announcing the port through a file (so
the local stack can start it on a free port and know when it is ready)."""

from __future__ import annotations

import signal
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

from werkzeug.serving import BaseWSGIServer, make_server

LOOPBACK = "127.0.0.1"


def serve_until_stopped(
    app: Any,
    port: int,
    port_file: Path | None,
    on_ready: Callable[[BaseWSGIServer], None] | None = None,
) -> int:
    server = make_server(LOOPBACK, port, app, threaded=True)
    server.daemon_threads = True  # type: ignore[attr-defined]  # ThreadedWSGIServer

    def stop(_signum: int, _frame: FrameType | None) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    if on_ready:
        on_ready(server)
    if port_file:
        tmp = port_file.with_suffix(".tmp")
        tmp.write_text(str(server.server_port))
        tmp.replace(port_file)
    try:
        server.serve_forever()
    finally:
        server.server_close()
    return 0
