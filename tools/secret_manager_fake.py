"""A local Secret Manager that speaks the REST protocol the google-cloud-secret-manager client
library sends (there is no emulator; see LOCAL-STACK.md §3). In memory, loopback only.

    POST /v1/projects/{p}/secrets?secretId={s}          create a secret
    POST /v1/projects/{p}/secrets/{s}:addVersion        {"payload": {"data": base64}}
    GET  /v1/projects/{p}/secrets/{s}/versions/{v}:access   v = latest or a number
    GET  /_control/health

python -m tools.secret_manager_fake --port 0 --port-file /tmp/sm.port
"""

from __future__ import annotations

import argparse
import json
import re
import threading
from pathlib import Path
from typing import Any

from werkzeug.wrappers import Request, Response

from tools.serving import serve_until_stopped

_SECRET = re.compile(r"^/v1/projects/([^/]+)/secrets/([^/:]+)")


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body), status, mimetype="application/json")


def _error(status: int, message: str, reason: str) -> Response:
    return _json({"error": {"code": status, "message": message, "status": reason}}, status)


class FakeSecretManager:
    def __init__(self) -> None:
        self._versions: dict[str, list[str]] = {}  # secret name -> base64 payloads
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        return self.dispatch(Request(environ))(environ, start_response)

    def dispatch(self, request: Request) -> Response:
        path = request.path
        if path == "/_control/health":
            return _json({"status": "ok"})
        match = re.fullmatch(r"/v1/projects/([^/]+)/secrets", path)
        if match and request.method == "POST":
            secret_id = request.args.get("secretId", "")
            if not re.fullmatch(r"[A-Za-z0-9_\-]{1,255}", secret_id):
                return _error(400, "secretId is invalid", "INVALID_ARGUMENT")
            name = f"projects/{match.group(1)}/secrets/{secret_id}"
            with self._lock:
                if name in self._versions:
                    return _error(409, f"Secret [{name}] already exists.", "ALREADY_EXISTS")
                self._versions[name] = []
            return _json({"name": name, "replication": {"automatic": {}}})
        match = _SECRET.match(path)
        if not match:
            return _error(404, f"no route {path}", "NOT_FOUND")
        name = f"projects/{match.group(1)}/secrets/{match.group(2)}"
        rest = path[match.end() :]
        with self._lock:
            versions = self._versions.get(name)
            if versions is None:
                return _error(404, f"Secret [{name}] not found.", "NOT_FOUND")
            if rest == ":addVersion" and request.method == "POST":
                body = request.get_json(silent=True) or {}
                data = (body.get("payload") or {}).get("data")
                if not isinstance(data, str):
                    return _error(400, "payload.data is required", "INVALID_ARGUMENT")
                versions.append(data)
                return _json({"name": f"{name}/versions/{len(versions)}", "state": "ENABLED"})
            access = re.fullmatch(r"/versions/(latest|\d+):access", rest)
            if access and request.method == "GET":
                wanted = access.group(1)
                number = len(versions) if wanted == "latest" else int(wanted)
                if not 1 <= number <= len(versions):
                    return _error(
                        404, f"Secret Version [{name}/versions/{wanted}] not found.", "NOT_FOUND"
                    )
                return _json(
                    {"name": f"{name}/versions/{number}", "payload": {"data": versions[number - 1]}}
                )
        return _error(404, f"no route {request.method} {path}", "NOT_FOUND")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.secret_manager_fake")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--port-file", type=Path)
    args = parser.parse_args(argv)
    return serve_until_stopped(FakeSecretManager(), args.port, args.port_file)


if __name__ == "__main__":
    raise SystemExit(main())
