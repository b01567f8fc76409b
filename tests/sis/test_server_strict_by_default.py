"""The local SIS refuses what real ones refuse, by default (issue 12): tokens are held to their
OAuth scopes, a result needs an enrolled student, a deleted lineItem takes its results with it,
and a lenient mode stays available only when asked for."""

from __future__ import annotations

import requests

from tests.conftest import CLIENT_ID, CLIENT_SECRET, bearer_session
from tests.sis.test_server_auth_gradebook import class_fixture, line_item_12, result_12
from tools.oneroster_sis.harness import RunningSis

SCOPE = "https://purl.imsglobal.org/spec/or/v1p2/scope/"


def session_with_scope(running: RunningSis, *names: str) -> requests.Session:
    session = requests.Session()
    token = session.post(
        running.token_url,
        data={"grant_type": "client_credentials", "scope": " ".join(SCOPE + n for n in names)},
        auth=(CLIENT_ID, CLIENT_SECRET),
        timeout=10,
    ).json()["access_token"]
    session.headers["Authorization"] = f"Bearer {token}"
    return session


def put_line_item(running: RunningSis, session: requests.Session, sid: str) -> requests.Response:
    class_id, school_id, category_id, _ = class_fixture(running)
    body = line_item_12(running, sid, class_id, school_id, category_id)
    url = f"{running.base_url('1.2', 'gradebook')}/lineItems/{sid}"
    return session.put(url, json=body, timeout=10)


def test_a_token_without_the_gradebook_write_scope_gets_403_with_an_imsx_body(make_sis) -> None:
    running = make_sis(students=30)
    session = session_with_scope(running, "roster.readonly", "gradebook.readonly")
    refused = put_line_item(running, session, "li-scope")
    assert refused.status_code == 403
    assert refused.json()["imsx_codeMajor"] == "failure"
    assert "gradebook.createput" in refused.json()["imsx_description"]
    assert running.sis.store.get("lineItems", "li-scope") is None


def test_a_token_with_only_gradebook_scopes_cannot_read_the_roster(make_sis) -> None:
    running = make_sis(students=30)
    session = session_with_scope(running, "gradebook.createput")
    response = session.get(f"{running.base_url('1.2')}/classes", timeout=10)
    assert response.status_code == 403


def test_a_token_asking_for_no_scope_gets_what_the_app_needs(make_sis) -> None:
    running = make_sis(students=30)
    session = bearer_session(running)
    assert put_line_item(running, session, "li-default").status_code == 201
    assert session.get(f"{running.base_url('1.2')}/classes", timeout=10).status_code == 200


def test_a_gradebook_body_of_only_a_sourced_id_is_refused_by_default(make_sis) -> None:
    running = make_sis(students=30)
    url = f"{running.base_url('1.2', 'gradebook')}/lineItems/li-bare"
    response = bearer_session(running).put(
        url, json={"lineItem": {"sourcedId": "li-bare"}}, timeout=10
    )
    assert response.status_code == 422
    assert "title" in response.json()["imsx_description"]


def test_the_lenient_mode_accepts_a_bare_body_when_asked_for(make_sis) -> None:
    running = make_sis(students=30, strict=False)
    url = f"{running.base_url('1.2', 'gradebook')}/lineItems/li-bare"
    response = bearer_session(running).put(
        url, json={"lineItem": {"sourcedId": "li-bare"}}, timeout=10
    )
    assert response.status_code == 201


def test_a_result_for_a_student_not_in_the_class_is_refused(make_sis) -> None:
    running = make_sis(students=30)
    session = bearer_session(running)
    class_id, *_ = class_fixture(running)
    outsider = next(
        u["sourcedId"]
        for u in running.sis.store.all("users")
        if u["sourcedId"].startswith("stu-")
        and not any(
            e["user"]["sourcedId"] == u["sourcedId"] and e["class"]["sourcedId"] == class_id
            for e in running.sis.store.all("enrollments")
        )
    )
    assert put_line_item(running, session, "li-1").status_code == 201
    url = f"{running.base_url('1.2', 'gradebook')}/results/r-out"
    response = session.put(url, json=result_12(running, "r-out", "li-1", outsider), timeout=10)
    assert response.status_code == 422
    assert f"{outsider!r} is not enrolled as a student" in response.json()["imsx_description"]
    assert running.sis.store.get("results", "r-out") is None


def test_deleting_a_line_item_removes_its_results(make_sis) -> None:
    running = make_sis(students=30)
    session = bearer_session(running)
    *_, student = class_fixture(running)
    gradebook = running.base_url("1.2", "gradebook")
    assert put_line_item(running, session, "li-1").status_code == 201
    session.put(
        f"{gradebook}/results/r-1", json=result_12(running, "r-1", "li-1", student), timeout=10
    ).raise_for_status()
    assert session.delete(f"{gradebook}/lineItems/li-1", timeout=10).status_code == 204
    assert session.get(f"{gradebook}/results/r-1", timeout=10).status_code == 404
    assert running.sis.store.get("results", "r-1") is None
