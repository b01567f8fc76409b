"""The bench signs its requests in with ID tokens from the stack's issuer, fetched once and reused
for a while. A machine booted minutes ago (a fresh CI runner) has a small monotonic clock: the
bench must still fetch a token the first time, not send an empty one."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from google.auth import jwt
from werkzeug.serving import make_server

from bench import measure
from bench.measure import Bench, Progress
from tools.local_issuer import app, create_keys

AUDIENCE = "bench-test-audience"


class _Stack:
    def __init__(self, issuer: str) -> None:
        self.issuer = issuer

    def env(self) -> dict[str, str]:
        return {
            "ROSTERSYNC_ID_TOKEN_ISSUERS": self.issuer,
            "ROSTERSYNC_ID_TOKEN_AUDIENCE": AUDIENCE,
        }


@pytest.fixture
def issuer(tmp_path: Path) -> Iterator[tuple[str, Any]]:
    keys = create_keys(tmp_path, "http://127.0.0.1")
    server = make_server("127.0.0.1", 0, app(keys, AUDIENCE), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", keys
    finally:
        server.shutdown()
        server.server_close()


def _bench(issuer_url: str) -> Bench:
    return Bench(stack=_Stack(issuer_url), db=None, running=None, progress=Progress())  # type: ignore[arg-type]


def test_a_machine_booted_two_minutes_ago_gets_a_signed_token(
    issuer: tuple[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, keys = issuer
    monkeypatch.setattr("bench.measure.time.monotonic", lambda: 120.0)
    header = _bench(url).headers("admin@bench.example.org")["Authorization"]
    token = header.removeprefix("Bearer ")
    claims = jwt.decode(token, certs=keys.certs(), audience=AUDIENCE)  # type: ignore[no-untyped-call]
    assert claims["email"] == "admin@bench.example.org"


def test_a_token_is_reused_until_its_time_is_up(
    issuer: tuple[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, _ = issuer
    clock = [50.0]
    monkeypatch.setattr("bench.measure.time.monotonic", lambda: clock[0])
    bench = _bench(url)
    first = bench.headers("admin@bench.example.org")
    clock[0] += measure.TOKEN_LIFETIME / 2
    assert bench.headers("admin@bench.example.org") == first
    clock[0] += measure.TOKEN_LIFETIME
    fetched: list[str] = []

    def fetch(email: str, env: object) -> str:
        fetched.append(email)
        return "t2"

    monkeypatch.setattr(measure, "stack_id_token", fetch)
    assert bench.headers("admin@bench.example.org") == {"Authorization": "Bearer t2"}
    assert fetched == ["admin@bench.example.org"]
