"""Auth on the wire (OAuth 2.0 both credential placements, OAuth 1.0a both signature methods),
gradebook writes kept and read back, strict validation, and the control API."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import requests
from oauthlib.oauth1 import SIGNATURE_HMAC_SHA1, SIGNATURE_HMAC_SHA256
from requests_oauthlib import OAuth1

from tests.conftest import CLIENT_ID, CLIENT_SECRET, bearer_session, samples_dir
from tools.oneroster_sis.harness import RunningSis
from tools.oneroster_sis.schemas import validation_errors


def test_token_with_credentials_in_basic_header_or_body(make_sis) -> None:
    running = make_sis(students=30)
    basic = requests.post(
        running.token_url,
        data={"grant_type": "client_credentials"},
        auth=(CLIENT_ID, CLIENT_SECRET),
        timeout=10,
    )
    body = requests.post(
        running.token_url,
        data={
            "grant_type": "client_credentials",
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
        },
        timeout=10,
    )
    for response in (basic, body):
        assert response.status_code == 200
        assert response.json()["token_type"].lower() == "bearer"
        assert isinstance(response.json()["expires_in"], int)


def test_wrong_credentials_answer_401_with_status_info(make_sis) -> None:
    running = make_sis(students=30)
    response = requests.post(
        running.token_url,
        data={"grant_type": "client_credentials"},
        auth=(CLIENT_ID, "not-the-secret"),
        timeout=10,
    )
    assert response.status_code == 401
    assert response.json()["imsx_codeMajor"] == "failure"
    unauthenticated = requests.get(running.base_url("1.2") + "/orgs", timeout=10)
    assert unauthenticated.status_code == 401
    assert "unauthorisedrequest" in unauthenticated.text


@pytest.mark.parametrize("method", [SIGNATURE_HMAC_SHA256, SIGNATURE_HMAC_SHA1])
@pytest.mark.parametrize("placement", ["AUTH_HEADER", "QUERY"])
def test_oauth1_signed_requests_are_verified(make_sis, method: str, placement: str) -> None:
    running = make_sis(students=30)
    url = running.base_url("1.1") + "/users"
    good = OAuth1(CLIENT_ID, CLIENT_SECRET, signature_method=method, signature_type=placement)
    response = requests.get(
        url, params={"limit": "5", "filter": "role='teacher'"}, auth=good, timeout=10
    )
    assert response.status_code == 200, response.text
    assert len(response.json()["users"]) == 2
    bad = OAuth1(CLIENT_ID, "wrong-secret", signature_method=method, signature_type=placement)
    assert requests.get(url, auth=bad, timeout=10).status_code == 401


def test_oauth1_is_not_accepted_on_12_endpoints(make_sis) -> None:
    running = make_sis(students=30)
    signed = OAuth1(CLIENT_ID, CLIENT_SECRET, signature_method=SIGNATURE_HMAC_SHA256)
    response = requests.get(running.base_url("1.2") + "/orgs", auth=signed, timeout=10)
    assert response.status_code == 401


def line_item_12(
    running: RunningSis, sourced_id: str, class_id: str, school_id: str, category_id: str
) -> dict:
    href = running.base_url("1.2")
    return {
        "lineItem": {
            "sourcedId": sourced_id,
            "status": "active",
            "dateLastModified": "2026-11-01T10:00:00.000Z",
            "title": "Fractions quiz",
            "assignDate": "2026-11-01T00:00:00.000Z",
            "dueDate": "2026-11-08T23:59:00.000Z",
            "class": {"href": f"{href}/classes/{class_id}", "sourcedId": class_id, "type": "class"},
            "school": {
                "href": f"{href}/schools/{school_id}",
                "sourcedId": school_id,
                "type": "org",
            },
            "category": {
                "href": f"{href}/categories/{category_id}",
                "sourcedId": category_id,
                "type": "category",
            },
            "resultValueMin": 0.0,
            "resultValueMax": 10.0,
        }
    }


def result_12(running: RunningSis, sourced_id: str, line_item_id: str, student_id: str) -> dict:
    href = running.base_url("1.2", "gradebook")
    return {
        "result": {
            "sourcedId": sourced_id,
            "status": "active",
            "dateLastModified": "2026-11-09T10:00:00.000Z",
            "lineItem": {
                "href": f"{href}/lineItems/{line_item_id}",
                "sourcedId": line_item_id,
                "type": "lineItem",
            },
            "student": {
                "href": f"{href}/users/{student_id}",
                "sourcedId": student_id,
                "type": "user",
            },
            "scoreStatus": "fully graded",
            "score": 8.5,
            "scoreDate": "2026-11-09",
        }
    }


def class_fixture(running: RunningSis) -> tuple[str, str, str, str]:
    store = running.sis.store
    a_class = store.all("classes")[0]
    student = next(
        e["user"]["sourcedId"]
        for e in store.all("enrollments")
        if e["class"]["sourcedId"] == a_class["sourcedId"] and e["role"] == "student"
    )
    category = store.all("categories")[0]["sourcedId"]
    return a_class["sourcedId"], a_class["school"]["sourcedId"], category, student


def test_12_gradebook_put_get_list_delete_round_trip(make_sis) -> None:
    running = make_sis(students=40, strict=True)
    session = bearer_session(running)
    class_id, school_id, category_id, student_id = class_fixture(running)
    gradebook = running.base_url("1.2", "gradebook")
    body = line_item_12(running, "li-1", class_id, school_id, category_id)
    assert validation_errors("gradebook", "SingleLineItemDType", body) == []
    created = session.put(f"{gradebook}/lineItems/li-1", json=body, timeout=10)
    assert created.status_code == 201, created.text
    replaced = session.put(f"{gradebook}/lineItems/li-1", json=body, timeout=10)
    assert replaced.status_code == 200
    result = session.put(
        f"{gradebook}/results/r-1", json=result_12(running, "r-1", "li-1", student_id), timeout=10
    )
    assert result.status_code == 201, result.text
    listed = session.get(
        f"{gradebook}/classes/{class_id}/lineItems/li-1/results", timeout=10
    ).json()["results"]
    assert [(r["sourcedId"], r["score"]) for r in listed] == [("r-1", 8.5)]
    assert [
        li["sourcedId"]
        for li in session.get(f"{gradebook}/classes/{class_id}/lineItems", timeout=10).json()[
            "lineItems"
        ]
    ] == ["li-1"]
    kept = requests.get(f"{running.origin}/_control/gradebook", timeout=10).json()
    assert [li["title"] for li in kept["lineItems"]] == ["Fractions quiz"]
    assert [w["status"] for w in kept["writes"]] == [201, 200, 201]
    assert session.delete(f"{gradebook}/results/r-1", timeout=10).status_code == 204
    assert session.get(f"{gradebook}/results/r-1", timeout=10).status_code == 404


def test_strict_mode_answers_422_naming_the_failing_field(make_sis) -> None:
    running = make_sis(students=40, strict=True)
    session = bearer_session(running)
    class_id, school_id, category_id, _ = class_fixture(running)
    body = line_item_12(running, "li-2", class_id, school_id, category_id)
    del body["lineItem"]["school"]
    body["lineItem"]["class"].pop("href")
    response = session.put(
        running.base_url("1.2", "gradebook") + "/lineItems/li-2", json=body, timeout=10
    )
    assert response.status_code == 422
    description = response.json()["imsx_description"]
    assert "school" in description and "href" in description
    assert running.sis.store.get("lineItems", "li-2") is None


def test_strict_11_needs_grading_period_and_known_references(make_sis) -> None:
    running = make_sis(students=40, strict=True)
    session = bearer_session(running)
    class_id, _, category_id, _ = class_fixture(running)
    body = {
        "lineItem": {
            "sourcedId": "li-11",
            "status": "active",
            "dateLastModified": "2026-11-01T10:00:00Z",
            "title": "Essay",
            "assignDate": "2026-11-01",
            "dueDate": "2026-11-08",
            "class": {"sourcedId": class_id, "type": "class"},
            "category": {"sourcedId": category_id, "type": "category"},
            "resultValueMin": 0,
            "resultValueMax": 100,
        }
    }
    url = running.base_url("1.1") + "/lineItems/li-11"
    missing = session.put(url, json=body, timeout=10)
    assert missing.status_code == 422
    assert "gradingPeriod" in missing.json()["imsx_description"]
    period = next(
        s for s in running.sis.store.all("academicSessions") if s["type"] == "gradingPeriod"
    )
    body["lineItem"]["gradingPeriod"] = {
        "sourcedId": period["sourcedId"],
        "type": "academicSession",
    }
    assert session.put(url, json=body, timeout=10).status_code == 201
    body["lineItem"]["class"] = {"sourcedId": "no-such-class", "type": "class"}
    unknown = session.put(url, json=body, timeout=10)
    assert unknown.status_code == 422
    assert "no-such-class" in unknown.json()["imsx_description"]


def test_path_and_body_sourced_ids_must_agree(make_sis) -> None:
    running = make_sis(students=30)
    session = bearer_session(running)
    response = session.put(
        running.base_url("1.1") + "/categories/cat-a",
        json={"category": {"sourcedId": "cat-b", "title": "x"}},
        timeout=10,
    )
    assert response.status_code == 400
    assert "cat-b" in response.json()["imsx_description"]


def test_request_log_holds_no_credentials(make_sis) -> None:
    running = make_sis(students=30)
    session = bearer_session(running)
    session.get(running.base_url("1.2") + "/orgs", timeout=10)
    signed = OAuth1(CLIENT_ID, CLIENT_SECRET, signature_type="QUERY")
    requests.get(running.base_url("1.1") + "/orgs", auth=signed, timeout=10)
    log = requests.get(f"{running.origin}/_control/requests", timeout=10).text
    token = session.headers["Authorization"].split()[1]
    assert token not in log
    assert CLIENT_SECRET not in log
    assert "oauth_signature" in log and '"auth":"oauth"' in log


def test_control_api_generates_and_loads_csv_packages(make_sis) -> None:
    running = make_sis(students=30)
    generated = requests.post(
        f"{running.origin}/_control/generate",
        json={"students": 120, "seed": 9, "today": dt.date(2026, 10, 1).isoformat()},
        timeout=60,
    )
    assert generated.status_code == 200
    assert generated.json()["counts"]["users"] > 120
    samples: Path = samples_dir()
    loaded = requests.post(
        f"{running.origin}/_control/load-csv",
        json={"path": str(samples / "rosterhub-v1p1-csv-en")},
        timeout=60,
    )
    assert loaded.status_code == 200
    assert loaded.json()["counts"]["users"] == 20
    session = bearer_session(running)
    classes = session.get(running.base_url("1.1") + "/classes", timeout=10).json()["classes"]
    assert len(classes) == 5
    zipped = requests.post(
        f"{running.origin}/_control/load-csv",
        json={"path": str(samples / "moodle-enrol_oneroster-fixtures" / "oneroster_test_data.zip")},
        timeout=60,
    )
    assert zipped.status_code == 200
    assert zipped.json()["counts"]["users"] == 1


@pytest.mark.parametrize(
    ("method", "path", "status", "error"),
    [
        ("GET", "/_control/nothing", 404, "no control endpoint GET /_control/nothing"),
        ("POST", "/_control/health", 404, "no control endpoint POST /_control/health"),
        ("GET", "/_control/records/bogus", 400, "records need a kind"),
        ("POST", "/_control/records/users", 400, "unsupported POST on records/users"),
        ("DELETE", "/_control/records/users/stu-000001?mode=soft", 400, "mode must be hard"),
        ("DELETE", "/_control/records/users/nobody", 404, "no users 'nobody'"),
    ],
)
def test_control_api_names_what_it_cannot_do(
    make_sis, method: str, path: str, status: int, error: str
) -> None:
    running = make_sis(students=30)
    response = requests.request(method, f"{running.origin}{path}", timeout=10)
    assert response.status_code == status
    assert error in response.json()["error"]


def test_unknown_endpoints_and_methods_answer_404_and_405_with_status_info(make_sis) -> None:
    running = make_sis(students=30)
    session = bearer_session(running)
    missing = session.get(running.base_url("1.2") + "/nothing", timeout=10)
    assert missing.status_code == 404
    assert "No endpoint at" in missing.json()["imsx_description"]
    refused = session.post(running.base_url("1.2") + "/users", json={}, timeout=10)
    assert refused.status_code == 405
    assert (
        refused.json()["imsx_CodeMinor"]["imsx_codeMinorField"][0]["imsx_codeMinorFieldValue"]
        == "unsupported"
    )
