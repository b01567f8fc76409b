"""Clients of the local SIS for the OneRoster client tests."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest
from pydantic import SecretStr

from shared.oneroster.auth import TokenCache
from shared.oneroster.client import OneRosterClient
from shared.oneroster.settings import ConnectionSettings
from shared.oneroster.transport import RetryPolicy
from tests.conftest import CLIENT_ID, CLIENT_SECRET
from tools.oneroster_sis.harness import RunningSis

FAST_RETRY = RetryPolicy(
    max_attempts=8, max_total_seconds=30, base_delay=0.01, max_delay=0.05, max_retry_after=0.05
)
_districts = itertools.count(1)


@pytest.fixture
def client_for() -> Callable[..., OneRosterClient]:
    def build(
        running: RunningSis,
        version: str = "1.2",
        *,
        auth_mode: str = "oauth2-basic",
        secret: str = CLIENT_SECRET,
        retry: RetryPolicy = FAST_RETRY,
        **overrides: Any,
    ) -> OneRosterClient:
        fields: dict[str, Any] = {
            "district_id": f"district-{next(_districts)}",
            "version": version,
            "rostering_base_url": running.base_url(version),
            "gradebook_base_url": running.base_url(version, "gradebook")
            if version == "1.2"
            else None,
            "token_url": running.token_url,
            "auth_mode": auth_mode,
            "client_id": CLIENT_ID,
            "local_dev": True,
            "page_size": 25,
            **overrides,
        }
        return OneRosterClient(
            ConnectionSettings(**fields), SecretStr(secret), retry=retry, token_cache=TokenCache()
        )

    return build
