"""Each vendor profile and each fault switch of the local SIS does what it says, over real HTTP."""

from __future__ import annotations

import time

import pytest
import requests

from tests.conftest import CLIENT_ID, CLIENT_SECRET, bearer_session
from tools.oneroster_sis.harness import RunningSis


def configure(running: RunningSis, **body) -> dict:
    response = requests.post(f"{running.origin}/_control/config", json=body, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def test_powerschool_sends_expires_in_as_string_and_clamps_pages(make_sis) -> None:
    running = make_sis(students=300, profile_name="powerschool")
    token = requests.post(
        running.token_url,
        data={"grant_type": "client_credentials"},
        auth=(CLIENT_ID, CLIENT_SECRET),
        timeout=10,
    ).json()
    assert isinstance(token["expires_in"], str)
    assert int(token["expires_in"]) > 0
    session = bearer_session(running)
    response = session.get(running.base_url("1.1") + "/users?limit=1000", timeout=10)
    assert len(response.json()["users"]) == 100
    assert response.headers["X-Total-Count"] == str(len(running.sis.store.all("users")))


def test_edfi_sends_no_paging_headers_clamps_at_500_and_string_code_minor(make_sis) -> None:
    running = make_sis(students=800, profile_name="edfi")
    session = bearer_session(running)
    response = session.get(running.base_url("1.2") + "/enrollments?limit=2000", timeout=10)
    assert len(response.json()["enrollments"]) == 500
    assert "X-Total-Count" not in response.headers
    assert "Link" not in response.headers
    error = session.get(running.base_url("1.2") + "/users/nobody", timeout=10).json()
    assert error["imsx_CodeMinor"] == "unknownobject"


def test_aeries_sends_relative_hrefs_and_explicit_nulls(make_sis) -> None:
    running = make_sis(students=30, profile_name="aeries")
    session = bearer_session(running)
    org = session.get(running.base_url("1.1") + "/schools", timeout=10).json()["orgs"][0]
    assert org["parent"]["href"].startswith("~/ims/oneroster/v1p1/orgs/")
    classes = session.get(running.base_url("1.1") + "/classes", timeout=10).json()["classes"]
    assert any(value is None for value in classes[0].values())


def test_skyward_duplicates_staff_rows_and_has_no_class_categories(make_sis) -> None:
    running = make_sis(students=60, profile_name="skyward")
    session = bearer_session(running)
    teachers = session.get(running.base_url("1.2") + "/teachers?limit=1000", timeout=10).json()[
        "users"
    ]
    ids = [t["sourcedId"] for t in teachers]
    assert len(ids) == 2 * len(set(ids))
    a_class = running.sis.store.all("classes")[0]["sourcedId"]
    response = session.get(
        running.base_url("1.2", "gradebook") + f"/classes/{a_class}/categories", timeout=10
    )
    assert response.status_code == 404
    assert "district-wide" in response.text


@pytest.mark.parametrize(
    ("profile_name", "expected"),
    [("spec", "true"), ("loose-booleans", True), ("numeric-booleans", 1)],
)
def test_boolean_styles(make_sis, profile_name: str, expected) -> None:
    running = make_sis(students=30, profile_name=profile_name)
    users = (
        bearer_session(running).get(running.base_url("1.2") + "/users", timeout=10).json()["users"]
    )
    assert {u["enabledUser"] for u in users} == {expected}


def test_rosterhub_lists_newest_first_and_answers_errors_with_empty_bodies(make_sis) -> None:
    running = make_sis(students=30, profile_name="rosterhub")
    session = bearer_session(running)
    users = session.get(running.base_url("1.1") + "/users?limit=1000", timeout=10).json()
    stored = [u["sourcedId"] for u in running.sis.store.all("users")]
    assert [u["sourcedId"] for u in users["users"]] == stored[::-1]
    missing = session.get(running.base_url("1.1") + "/users/nobody", timeout=10)
    assert missing.status_code == 404
    assert missing.content == b""


def test_prefix_moves_every_endpoint(make_sis) -> None:
    running = make_sis(students=30, prefix="/campus/api")
    session = bearer_session(running)
    assert running.token_url.endswith("/campus/api/oauth/token")
    ok = session.get(running.origin + "/campus/api/ims/oneroster/rostering/v1p2/orgs", timeout=10)
    assert ok.status_code == 200
    assert ok.json()["orgs"][0]["children"][0]["href"].startswith(
        running.origin + "/campus/api/ims/"
    )
    assert (
        session.get(running.origin + "/ims/oneroster/rostering/v1p2/orgs", timeout=10).status_code
        == 404
    )


def test_scripted_429_with_and_without_retry_after(make_sis) -> None:
    running = make_sis(students=30)
    session = bearer_session(running)
    running.sis.faults.script("429", path_contains="/users")
    running.sis.faults.script("429-no-retry-after", path_contains="/users")
    first = session.get(running.base_url("1.2") + "/users", timeout=10)
    second = session.get(running.base_url("1.2") + "/users", timeout=10)
    third = session.get(running.base_url("1.2") + "/users", timeout=10)
    assert first.status_code == 429
    assert first.headers["Retry-After"] == "1"
    assert "server_busy" in first.text
    assert second.status_code == 429
    assert "Retry-After" not in second.headers
    assert third.status_code == 200


def test_5xx_slow_and_malformed_switches(make_sis) -> None:
    running = make_sis(students=30)
    session = bearer_session(running)
    url = running.base_url("1.2") + "/classes"
    configure(running, faults={"rate_5xx": 1.0})
    assert session.get(url, timeout=10).status_code in {500, 502, 503}
    configure(running, faults={"rate_malformed": 1.0})
    response = session.get(url, timeout=10)
    assert response.status_code == 200
    with pytest.raises(requests.JSONDecodeError):
        response.json()
    configure(running, faults={"rate_slow": 1.0, "slow_seconds": 1.5})
    with pytest.raises(requests.ReadTimeout):
        session.get(url, timeout=0.5)
    configure(running, faults={})
    assert session.get(url, timeout=10).status_code == 200


def test_seeded_fault_rates_are_reproducible(make_sis) -> None:
    def statuses(seed: int) -> list[int]:
        running = make_sis(students=30)
        configure(running, faults={"seed": seed, "rate_429": 0.2, "rate_5xx": 0.2})
        session = bearer_session(running)
        return [
            session.get(running.base_url("1.2") + "/orgs", timeout=10).status_code
            for _ in range(60)
        ]

    first, again = statuses(11), statuses(11)
    assert first == again
    assert 200 in first and 429 in first and any(s >= 500 for s in first)


def test_token_expiry_in_the_middle_of_a_run(make_sis) -> None:
    running = make_sis(students=30)
    session = bearer_session(running)
    url = running.base_url("1.2") + "/orgs"
    configure(running, faults={"expire_tokens_every": 3})
    statuses = [session.get(url, timeout=10).status_code for _ in range(3)]
    assert statuses == [200, 200, 401]
    configure(running, faults={})
    assert session.get(url, timeout=10).status_code == 401
    assert bearer_session(running).get(url, timeout=10).status_code == 200


def test_token_lifetime_is_enforced(make_sis) -> None:
    running = make_sis(students=30)
    configure(running, token_lifetime_seconds=1)
    session = bearer_session(running)
    url = running.base_url("1.2") + "/orgs"
    assert session.get(url, timeout=10).status_code == 200
    time.sleep(1.2)
    expired = session.get(url, timeout=10)
    assert expired.status_code == 401
    assert "unauthorisedrequest" in expired.text


def test_unknown_quirk_or_fault_setting_is_refused_by_name(make_sis) -> None:
    running = make_sis(students=30)
    response = requests.post(
        f"{running.origin}/_control/config", json={"quirks": {"page_clamb": 5}}, timeout=10
    )
    assert response.status_code == 400
    assert "page_clamb" in response.json()["error"]
    response = requests.post(
        f"{running.origin}/_control/config", json={"faults": {"rate_teapot": 0.5}}, timeout=10
    )
    assert response.status_code == 400
    assert "rate_teapot" in response.json()["error"]
