"""Fixtures shared by every test: the local stack on real emulators, and the local SIS."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tools.localstack import LocalStack
from tools.oneroster_sis.app import OneRosterSis, SisConfig
from tools.oneroster_sis.generator import DistrictSpec, generate_district
from tools.oneroster_sis.harness import RunningSis, serve
from tools.oneroster_sis.profiles import profile
from tools.oneroster_sis.store import Store

CLIENT_ID = "test-client"
CLIENT_SECRET = "test-secret-value-0123456789"
ROOT = Path(__file__).resolve().parent.parent


SAMPLES = ROOT / "tests" / "fixtures" / "oneroster-samples"


def samples_dir() -> Path:
    """Public OneRoster CSV packages (provenance and licences in their README.md)."""
    return SAMPLES


@pytest.fixture(scope="session")
def local_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    """Firestore emulator, Cloud Tasks emulator and the functions, once per test session."""
    stack = LocalStack(tmp_path_factory.mktemp("stack"))
    saved = dict(os.environ)
    try:
        stack.up(["firestore", "tasks", "secrets", "functions"])
        os.environ.update(stack.env())
        yield stack
    finally:
        lingering = stack.down()
        os.environ.clear()
        os.environ.update(saved)
        assert not lingering, f"services still listening after stop: {lingering}"


@pytest.fixture
def make_sis() -> Iterator[Callable[..., RunningSis]]:
    """Starts local SISes on real loopback sockets; all are stopped after the test."""
    contexts: list[Any] = []

    def start(
        students: int = 60,
        seed: int = 3,
        profile_name: str = "spec",
        prefix: str = "",
        strict: bool = False,
        **spec: Any,
    ) -> RunningSis:
        store = Store()
        store.replace_all(generate_district(DistrictSpec(seed=seed, students=students, **spec)))
        config = SisConfig(
            prefix=prefix, strict=strict, profile=profile_name, quirks=profile(profile_name)
        )
        ctx = serve(OneRosterSis(store, {CLIENT_ID: CLIENT_SECRET}, config))
        contexts.append(ctx)
        return ctx.__enter__()

    yield start
    for ctx in reversed(contexts):
        ctx.__exit__(None, None, None)


def bearer_session(running: RunningSis) -> requests.Session:
    """A session holding a fresh OAuth 2.0 token from the local SIS (client credentials)."""
    session = requests.Session()
    response = session.post(
        running.token_url,
        data={"grant_type": "client_credentials"},
        auth=(CLIENT_ID, CLIENT_SECRET),
        timeout=10,
    )
    response.raise_for_status()
    session.headers["Authorization"] = f"Bearer {response.json()['access_token']}"
    return session
