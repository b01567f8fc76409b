"""Sign-in as production runs it: every call is verified against the issuer's certificates (the
local issuer here, Google's in production) with google-auth; only the certs URL and issuer
differ. No bypass token and no trusted header exist."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from functions_framework import create_app

from tests.conftest import SyncHarness, id_token, task_headers
from tools.local_issuer import create_keys
from tools.stack_services import TASKS_SERVICE_ACCOUNT

SOURCE = str(Path(__file__).resolve().parents[2] / "functions" / "main.py")
ADMIN = "admin@district.example.org"


def _call(target: str, headers: dict[str, str], path: str = "/districts/d-none/runs/r1") -> Any:
    client = create_app(target, SOURCE, "http").test_client()
    if target == "sync_admin":
        return client.get(path, headers=headers)
    return client.post("/", json={"step": "start"}, headers=headers)


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize(
    ("case", "claims"),
    [
        ("expired", {"iat": 1_600_000_000, "exp": 1_600_003_600}),
        ("wrong audience", {"aud": "someone-else"}),
        ("wrong issuer", {"iss": "https://accounts.example.com"}),
        ("email not verified", {"email_verified": False}),
    ],
)
def test_a_token_that_fails_a_check_is_refused_with_401(
    sync_harness: SyncHarness, case: str, claims: dict[str, Any]
) -> None:
    token = id_token(sync_harness.stack, ADMIN, **claims)
    response = _call("sync_admin", _bearer(token))
    assert response.status_code == 401, case
    assert "sign in" in response.get_json()["error"]["message"] or "verified" in str(
        response.get_json()
    )


def test_a_token_signed_by_another_key_is_refused(sync_harness: SyncHarness, tmp_path) -> None:
    keys = create_keys(tmp_path, sync_harness.stack.env()["ROSTERSYNC_ID_TOKEN_ISSUERS"])
    forged = keys.mint(ADMIN, sync_harness.stack.env()["ROSTERSYNC_ID_TOKEN_AUDIENCE"])
    assert _call("sync_admin", _bearer(forged)).status_code == 401


@pytest.mark.parametrize("token", ["", "local-dev:admin@district.example.org", "not.a.jwt"])
def test_no_token_or_a_made_up_one_is_refused(sync_harness: SyncHarness, token: str) -> None:
    headers = _bearer(token) if token else {}
    assert _call("sync_admin", headers).status_code == 401


def test_a_valid_token_of_a_stranger_reaches_the_membership_check(
    sync_harness: SyncHarness,
) -> None:
    response = _call("sync_admin", sync_harness.headers("stranger@elsewhere.example.org"))
    assert response.status_code == 404


def test_task_handlers_refuse_cloud_tasks_headers_without_a_token(
    sync_harness: SyncHarness,
) -> None:
    headers = {"X-CloudTasks-QueueName": "roster-sync", "X-CloudTasks-TaskRetryCount": "0"}
    assert _call("sync_task", headers).status_code == 401


def test_task_handlers_refuse_a_user_token_and_a_token_for_another_audience(
    sync_harness: SyncHarness,
) -> None:
    stack = sync_harness.stack
    user = _bearer(id_token(stack, ADMIN, f"{stack.env()['ROSTERSYNC_FUNCTIONS_URL']}/sync_task"))
    elsewhere = _bearer(id_token(stack, TASKS_SERVICE_ACCOUNT, "https://elsewhere.example.org"))
    assert _call("sync_task", user).status_code == 403
    assert _call("sync_task", elsewhere).status_code == 403


def test_task_handlers_accept_the_task_service_account(sync_harness: SyncHarness) -> None:
    response = _call("sync_task", task_headers(sync_harness.stack))
    assert response.status_code == 400  # signed in; the body is what is wrong
    assert "district_id" in response.get_json()["error"]["message"]
