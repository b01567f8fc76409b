"""The contract is served by the functions without sign-in, and errors are RFC 9457 problem
documents with the old error.message beside them."""

from __future__ import annotations

import pytest

from shared.web.contract import CONTRACT_FILE
from tests.functions.conftest import STRANGER, BadInputWorld, client


@pytest.mark.parametrize("target", ["healthz", "sync_admin", "export_teacher"])
def test_each_public_function_serves_the_openapi_document_without_sign_in(target: str) -> None:
    response = client(target).get("/openapi.yaml")
    assert response.status_code == 200
    assert response.content_type.startswith("application/yaml")
    assert response.get_data(as_text=True) == CONTRACT_FILE.read_text(encoding="utf-8")


def test_an_error_is_a_problem_document_naming_the_field(seeded: BadInputWorld) -> None:
    response = seeded.send("sync_admin", "POST", "/districts/bad-input-district/runs", {"kind": 1})
    body = response.get_json()
    assert response.status_code == 400
    assert response.content_type == "application/problem+json"
    assert body["type"] == "https://rostersync.example/problems/invalid-input"
    assert body["status"] == 400 and "kind" in body["detail"]
    assert body["error"]["message"] == body["detail"]


def test_a_stranger_gets_a_not_found_problem(seeded: BadInputWorld) -> None:
    response = seeded.send(
        "sync_admin", "GET", "/districts/bad-input-district/runs/r1", email=STRANGER
    )
    assert response.status_code == 404
    assert response.get_json()["type"].endswith("/not-found")
