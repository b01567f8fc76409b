"""The local SIS over real HTTP: endpoints, envelopes, paging in every header mode, query
parameters, and 1.2 responses valid against the official rostering schema."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import pytest
import requests

from tests.conftest import bearer_session
from tools.oneroster_sis.harness import RunningSis
from tools.oneroster_sis.profiles import with_overrides
from tools.oneroster_sis.schemas import validation_errors

SET_SCHEMAS = {
    "orgs": "OrgSetDType",
    "academicSessions": "AcademicSessionSetDType",
    "courses": "CourseSetDType",
    "classes": "ClassSetDType",
    "users": "UserSetDType",
    "enrollments": "EnrollmentSetDType",
    "demographics": "DemographicsSetDType",
}
SINGLE_SCHEMAS = {
    "org": "SingleOrgDType",
    "academicSession": "SingleAcademicSessionDType",
    "course": "SingleCourseDType",
    "class": "SingleClassDType",
    "user": "SingleUserDType",
    "enrollment": "SingleEnrollmentDType",
}


def walk(
    session: requests.Session, url: str, envelope: str, limit: int
) -> tuple[list[dict[str, Any]], int]:
    """The paging rule of docs/oneroster-client.md ("Reading and paging"): Link next, else
    X-Total-Count, else an empty page."""
    records: list[dict[str, Any]] = []
    requests_made, offset = 0, 0
    next_url: str | None = f"{url}?limit={limit}&offset=0"
    while next_url:
        response = session.get(next_url, timeout=10)
        requests_made += 1
        assert response.status_code == 200, response.text
        page = response.json()[envelope]
        records.extend(page)
        if "next" in response.links:
            next_url = response.links["next"]["url"]
        elif "Link" in response.headers:
            next_url = None
        elif "X-Total-Count" in response.headers:
            total = int(response.headers["X-Total-Count"])
            offset += len(page)
            next_url = f"{url}?limit={limit}&offset={offset}" if offset < total else None
        else:
            offset += len(page)
            next_url = f"{url}?limit={limit}&offset={offset}" if page else None
        assert requests_made < 1000
    return records, requests_made


@pytest.mark.parametrize("total_header", [True, False])
@pytest.mark.parametrize("link_header", [True, False])
@pytest.mark.parametrize("clamp", [None, 7])
def test_paging_returns_every_record_once_in_every_header_mode(
    make_sis, total_header: bool, link_header: bool, clamp: int | None
) -> None:
    running: RunningSis = make_sis(students=60)
    running.sis.apply_config(
        _with_quirks(
            running, page_clamp=clamp, total_count_header=total_header, link_header=link_header
        )
    )
    session = bearer_session(running)
    expected = [u["sourcedId"] for u in running.sis.store.all("users")]
    records, made = walk(session, running.base_url("1.2") + "/users", "users", limit=20)
    assert [r["sourcedId"] for r in records] == expected
    page_size = min(20, clamp or 20)
    pages = math.ceil(len(expected) / page_size)
    headerless = not total_header and not link_header
    assert made == pages + (1 if headerless else 0)


def _with_quirks(running: RunningSis, **changes: Any):
    return dataclasses.replace(
        running.sis.config, quirks=with_overrides(running.sis.config.quirks, changes)
    )


def test_headers_report_total_and_link_rels(make_sis) -> None:
    running = make_sis(students=60)
    session = bearer_session(running)
    response = session.get(
        running.base_url("1.2") + "/users?limit=10&offset=10&sort=sourcedId", timeout=10
    )
    total = len(running.sis.store.all("users"))
    assert response.headers["X-Total-Count"] == str(total)
    assert set(response.links) == {"next", "prev", "first", "last"}
    assert "offset=20" in response.links["next"]["url"]
    assert "sort=sourcedId" in response.links["next"]["url"]


@pytest.mark.parametrize(
    ("path", "envelope"),
    [
        ("/orgs", "orgs"),
        ("/schools", "orgs"),
        ("/academicSessions", "academicSessions"),
        ("/terms", "academicSessions"),
        ("/gradingPeriods", "academicSessions"),
        ("/courses", "courses"),
        ("/classes", "classes"),
        ("/users", "users"),
        ("/students", "users"),
        ("/teachers", "users"),
        ("/enrollments", "enrollments"),
    ],
)
def test_12_collections_validate_against_the_official_schema(make_sis, path, envelope) -> None:
    running = make_sis(students=60)
    body = (
        bearer_session(running)
        .get(running.base_url("1.2") + path + "?limit=5000", timeout=10)
        .json()
    )
    assert body[envelope], f"{path} listed nothing"
    assert validation_errors("rostering", SET_SCHEMAS[envelope], body) == []


def test_12_singletons_validate_against_the_official_schema(make_sis) -> None:
    running = make_sis(students=30)
    session = bearer_session(running)
    store = running.sis.store
    samples = {
        "org": ("/orgs", store.all("orgs")[0]),
        "academicSession": ("/academicSessions", store.all("academicSessions")[0]),
        "course": ("/courses", store.all("courses")[0]),
        "class": ("/classes", store.all("classes")[0]),
        "user": ("/users", store.all("users")[0]),
        "enrollment": ("/enrollments", store.all("enrollments")[0]),
    }
    for envelope, (path, record) in samples.items():
        body = session.get(
            f"{running.base_url('1.2')}{path}/{record['sourcedId']}", timeout=10
        ).json()
        assert body[envelope]["sourcedId"] == record["sourcedId"]
        assert validation_errors("rostering", SINGLE_SCHEMAS[envelope], body) == []


def test_school_nested_endpoints_list_only_that_school(make_sis) -> None:
    running = make_sis(students=1300, schools=2)
    session = bearer_session(running)
    store = running.sis.store
    school = [o for o in store.all("orgs") if o["type"] == "school"][1]["sourcedId"]
    base = f"{running.base_url('1.2')}/schools/{school}"
    classes = session.get(f"{base}/classes?limit=100000", timeout=10).json()["classes"]
    assert classes and all(c["school"]["sourcedId"] == school for c in classes)
    assert len(classes) == sum(
        1 for c in store.all("classes") if c["school"]["sourcedId"] == school
    )
    enrollments = session.get(f"{base}/enrollments?limit=100000", timeout=10).json()
    assert all(e["school"]["sourcedId"] == school for e in enrollments["enrollments"])
    students = session.get(f"{base}/students?limit=100000", timeout=10).json()["users"]
    assert students and all(
        any(r["role"] == "student" and r["org"]["sourcedId"] == school for r in s["roles"])
        for s in students
    )
    one_class = classes[0]["sourcedId"]
    roster = session.get(f"{base}/classes/{one_class}/enrollments", timeout=10).json()
    assert {e["class"]["sourcedId"] for e in roster["enrollments"]} == {one_class}
    terms = session.get(f"{base}/terms", timeout=10).json()["academicSessions"]
    assert terms and all(t["type"] == "term" for t in terms)
    periods = session.get(
        f"{running.base_url('1.2')}/terms/{terms[0]['sourcedId']}/gradingPeriods", timeout=10
    ).json()["academicSessions"]
    assert periods and all(p["parent"]["sourcedId"] == terms[0]["sourcedId"] for p in periods)


def test_unknown_parent_and_record_answer_404_with_status_info(make_sis) -> None:
    running = make_sis(students=30)
    session = bearer_session(running)
    for path in ("/schools/no-such-school/classes", "/users/no-such-user", "/nonsense"):
        response = session.get(running.base_url("1.2") + path, timeout=10)
        assert response.status_code == 404
        body = response.json()
        assert body["imsx_codeMajor"] == "failure"
        field = body["imsx_CodeMinor"]["imsx_codeMinorField"][0]
        assert field["imsx_codeMinorFieldValue"] == "unknownobject"


def test_filter_sort_and_fields(make_sis) -> None:
    running = make_sis(students=60)
    session = bearer_session(running)
    base = running.base_url("1.2")
    teacher = next(u for u in running.sis.store.all("users") if u["roles"][0]["role"] == "teacher")
    filtered = session.get(
        f"{base}/users",
        params={
            "filter": f"familyName='{teacher['familyName']}' AND "
            f"givenName='{teacher['givenName']}'",
            "fields": "sourcedId,givenName",
        },
        timeout=10,
    ).json()["users"]
    assert {"sourcedId": teacher["sourcedId"], "givenName": teacher["givenName"]} in filtered
    assert all(set(u) == {"sourcedId", "givenName"} for u in filtered)
    ordered = session.get(
        f"{base}/users", params={"sort": "familyName", "orderBy": "desc", "limit": 1000}, timeout=10
    ).json()["users"]
    names = [u["familyName"] for u in ordered]
    assert names == sorted(names, reverse=True)
    bad = session.get(f"{base}/users", params={"filter": "shoeSize='9'"}, timeout=10)
    assert bad.status_code == 400
    assert "invalid_filter_field" in bad.text
    bad_fields = session.get(f"{base}/users", params={"fields": "shoeSize"}, timeout=10)
    assert bad_fields.status_code == 400
    assert "invalid_selection_field" in bad_fields.text


def test_delta_filter_sees_changes_made_through_the_control_api(make_sis) -> None:
    running = make_sis(students=40)
    session = bearer_session(running)
    base = running.base_url("1.2")
    watermark = max(u["dateLastModified"] for u in running.sis.store.all("users"))
    user = running.sis.store.all("users")[3]
    changed = requests.patch(
        f"{running.origin}/_control/records/users/{user['sourcedId']}",
        json={"givenName": "Renamed"},
        timeout=10,
    )
    assert changed.status_code == 200
    delta = session.get(
        f"{base}/users", params={"filter": f"dateLastModified>'{watermark}'"}, timeout=10
    ).json()["users"]
    assert [(u["sourcedId"], u["givenName"]) for u in delta] == [(user["sourcedId"], "Renamed")]
    removed = requests.delete(
        f"{running.origin}/_control/records/users/{user['sourcedId']}",
        params={"mode": "tobedeleted"},
        timeout=10,
    )
    assert removed.json()["status"] == "tobedeleted"
    delta = session.get(
        f"{base}/users", params={"filter": f"dateLastModified>'{watermark}'"}, timeout=10
    ).json()["users"]
    assert [u["status"] for u in delta] == ["tobedeleted"]


def test_11_users_carry_role_and_orgs(make_sis) -> None:
    running = make_sis(students=30)
    session = bearer_session(running)
    users = session.get(running.base_url("1.1") + "/users?limit=1000", timeout=10).json()["users"]
    assert users and all("role" in u and "orgs" in u and "roles" not in u for u in users)
    teachers = session.get(
        running.base_url("1.1") + "/users", params={"filter": "role='teacher'"}, timeout=10
    ).json()["users"]
    assert teachers and all(u["role"] == "teacher" for u in teachers)
