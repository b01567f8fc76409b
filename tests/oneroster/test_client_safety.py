"""SSRF refusals, secret hygiene in logs and reprs, and gradebook writes on the wire."""

from __future__ import annotations

import datetime as dt
import logging
import re

import pytest
import requests
from pydantic import SecretStr

from shared.oneroster.client import OneRosterClient
from shared.oneroster.errors import ConfigurationError
from shared.oneroster.gradebook import CategoryWrite, LineItemWrite, ResultWrite
from shared.oneroster.settings import ConnectionSettings, parse_settings
from shared.oneroster.urlsafety import check_url, guarded_session
from tests.conftest import CLIENT_ID, CLIENT_SECRET


def public_resolver(host: str, port: int) -> list[str]:
    table = {
        "sis.district.example": ["203.0.113.10"],  # documentation range, not routable
        "public.example": ["8.8.8.8"],
        "inside.example": ["10.1.2.3"],
        "rebind.example": ["8.8.4.4", "192.168.1.5"],
    }
    return table.get(host, ["127.0.0.1"] if host == "localhost" else [host.strip("[]")])


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://127.0.0.1/ims/oneroster/v1p1", "loopback"),
        ("https://localhost/ims/oneroster/v1p1", "loopback"),
        ("https://169.254.169.254/computeMetadata/v1", "link-local"),
        ("https://10.0.0.5/ims/oneroster/v1p1", "private"),
        ("https://192.168.1.20/ims/oneroster/v1p1", "private"),
        ("https://[::1]/ims/oneroster/v1p1", "loopback"),
        ("https://inside.example/ims/oneroster/v1p1", "private"),
        ("https://rebind.example/ims/oneroster/v1p1", "private"),
        ("https://sis.district.example/ims/oneroster/v1p1", "not globally routable"),
        ("http://public.example/ims/oneroster/v1p1", "https://"),
        ("file:///etc/passwd", "https://"),
        ("https://user:pw@public.example/ims/oneroster/v1p1", "user name"),
    ],
)
def test_unsafe_urls_are_refused_with_a_clear_message(url: str, reason: str) -> None:
    with pytest.raises(ConfigurationError, match=re.escape(reason)) as caught:
        check_url(url, field="rostering_base_url", allow_local=False, resolver=public_resolver)
    assert caught.value.message.startswith("rostering_base_url")


def test_public_https_url_is_accepted() -> None:
    check_url(
        "https://public.example/ims/oneroster/v1p1",
        field="rostering_base_url",
        allow_local=False,
        resolver=public_resolver,
    )


def test_connection_time_check_refuses_before_any_request(make_sis) -> None:
    running = make_sis(students=30)
    settings = ConnectionSettings(
        district_id="d1",
        version="1.2",
        rostering_base_url=running.base_url("1.2"),
        token_url=running.token_url,
        client_id=CLIENT_ID,
        local_dev=True,
    )
    production = settings.model_copy(update={"local_dev": False})
    client = OneRosterClient(production, SecretStr(CLIENT_SECRET))
    with pytest.raises(ConfigurationError, match=r"https://|loopback"):
        client.fetch_all("orgs")
    assert len(running.sis.request_log) == 0


def test_redirect_hops_are_checked_like_the_first_request() -> None:
    session = guarded_session(allow_local=False, user_agent="t", resolver=public_resolver)
    with pytest.raises(ConfigurationError, match="link-local"):
        session.send(requests.Request("GET", "https://169.254.169.254/latest/meta-data/").prepare())


def test_settings_refuse_http_outside_local_mode_and_name_the_field() -> None:
    with pytest.raises(ConfigurationError) as caught:
        parse_settings(
            {
                "district_id": "d",
                "version": "1.2",
                "client_id": "c",
                "rostering_base_url": "http://sis.example.org/ims/oneroster/v1p1",
                "token_url": "https://sis.example.org/oauth/token",
                "colour": "red",
            }
        )
    assert "rostering_base_url must use https://" in caught.value.message
    assert "colour: is not a connection setting" in caught.value.message


def test_no_secret_token_or_authorization_header_reaches_the_logs(
    make_sis, client_for, caplog: pytest.LogCaptureFixture
) -> None:
    from tools.oneroster_sis.faults import settings_from_mapping

    running = make_sis(students=90)
    running.sis.faults.configure(
        settings_from_mapping(
            {
                "seed": 3,
                "rate_429": 0.1,
                "rate_5xx": 0.1,
                "rate_malformed": 0.05,
                "expire_tokens_every": 5,
            }
        )
    )
    caplog.set_level(logging.DEBUG)
    client = client_for(running, "1.2", page_size=15)
    client.fetch_all("users")
    client_for(running, "1.1", auth_mode="oauth1-hmac-sha256").fetch_all("classes")
    with pytest.raises(Exception):  # noqa: B017, PT011  (any failure; only the logs matter)
        client_for(running, "1.2", secret="wrong-secret-value").fetch_all("orgs")
    text = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    tokens = list(running.sis.issuer._tokens)
    assert tokens
    assert caplog.records, "expected retry and request logs"
    for secret in (CLIENT_SECRET, "wrong-secret-value", *tokens):
        assert secret not in text
    assert "Authorization" not in text and "Bearer" not in text
    assert "oauth_signature=" not in text
    assert CLIENT_SECRET not in repr(client) + repr(client.transport) + repr(client.settings)


def classroom(running):
    store = running.sis.store
    a_class = store.all("classes")[0]
    student = next(
        e["user"]["sourcedId"]
        for e in store.all("enrollments")
        if e["class"]["sourcedId"] == a_class["sourcedId"] and e["role"] == "student"
    )
    term = a_class["terms"][0]["sourcedId"]
    period = next(
        s["sourcedId"]
        for s in store.all("academicSessions")
        if s["type"] == "gradingPeriod" and s["parent"]["sourcedId"] == term
    )
    return a_class, student, period


@pytest.mark.parametrize("version", ["1.1", "1.2"])
def test_gradebook_writes_pass_strict_validation_and_read_back(make_sis, client_for, version):
    running = make_sis(students=40, strict=True)
    client = client_for(running, version)
    a_class, student, period = classroom(running)
    now = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)
    category = client.categories(a_class["sourcedId"]).records[0]
    item = LineItemWrite(
        sourced_id="li-1",
        title="Fractions quiz",
        description=None,
        assign_date=dt.datetime(2026, 11, 1, tzinfo=dt.UTC),
        due_date=dt.datetime(2026, 11, 8, 23, 59, tzinfo=dt.UTC),
        class_id=a_class["sourcedId"],
        school_id=a_class["school"]["sourcedId"],
        category_id=category.sourced_id,
        grading_period_id=period,
        result_value_min=0.0,
        result_value_max=10.0,
    )
    assert client.put_line_item(item, now=now) == 201
    assert client.put_line_item(item, now=now) == 200
    result = ResultWrite(
        sourced_id="r-1",
        line_item_id="li-1",
        student_id=student,
        class_id=a_class["sourcedId"],
        score_status="fully graded",
        score=7.5,
        score_date=dt.date(2026, 11, 9),
        comment="Good work",
    )
    assert client.put_result(result, now=now) == 201
    assert [li.sourced_id for li in client.class_line_items(a_class["sourcedId"]).records] == [
        "li-1"
    ]
    results = client.class_results(a_class["sourcedId"]).records
    assert [(r.sourced_id, r.score, r.student_id) for r in results] == [("r-1", 7.5, student)]
    writes = running.sis.writes
    assert [w["status"] for w in writes] == [201, 200, 201]
    assert client.delete_result("r-1") == 204
    assert client.class_results(a_class["sourcedId"]).records == ()


def test_category_write_and_class_categories_12(make_sis, client_for):
    running = make_sis(students=40, strict=True)
    client = client_for(running, "1.2")
    now = dt.datetime(2026, 11, 20, tzinfo=dt.UTC)
    assert client.put_category(CategoryWrite("cat-x", "Labs", 2.0), now=now) == 201
    a_class = running.sis.store.all("classes")[0]["sourcedId"]
    titles = {c.title for c in client.categories(a_class).records}
    assert "Labs" in titles
