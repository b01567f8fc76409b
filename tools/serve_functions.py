"""Serves every HTTP function of functions/main.py from one gunicorn server on 127.0.0.1, each
under `/<target>`, through functions-framework's own app factory (as Cloud Functions runs it).
Two worker processes by default, so requests and tasks run side by side on two cores, as Cloud
Functions runs them on several instances (threads alone share one interpreter lock); each
worker is an instance: nothing but Firestore is shared between them.

    python -m tools.serve_functions --port 8081
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from functions_framework import create_app
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.wrappers import Response

SOURCE = Path(__file__).resolve().parent.parent / "functions" / "main.py"
WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def _root_path_as_slash(app: WsgiApp) -> WsgiApp:
    """A mounted function sees `/healthz` as an empty path, which Flask would redirect."""

    def wrapped(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if not environ.get("PATH_INFO"):
            environ["PATH_INFO"] = "/"
        return app(environ, start_response)

    return wrapped


def build_app() -> DispatcherMiddleware:
    targets = importlib.import_module("functions.main").HTTP_TARGETS
    mounts = {
        f"/{name}": _root_path_as_slash(create_app(name, str(SOURCE), "http"))  # type: ignore[no-untyped-call]
        for name in targets
    }
    return DispatcherMiddleware(Response("no such function\n", status=404), mounts)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()
    gunicorn = Path(sys.executable).with_name("gunicorn")
    argv = [
        str(gunicorn),
        "--bind",
        f"127.0.0.1:{args.port}",
        "--workers",
        str(args.workers),
        "--threads",
        str(args.threads),
        "--timeout",
        "0",
        "--access-logfile",
        "-",
        "tools.serve_functions:build_app()",
    ]
    os.execv(argv[0], argv)  # noqa: S606  (replace this process so its PID is the server's)


if __name__ == "__main__":
    raise SystemExit(main())
