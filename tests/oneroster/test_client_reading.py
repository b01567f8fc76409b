"""The OneRoster client reads exactly the records the SIS holds — no loss, no duplicates — in
both versions, every auth mode, every paging header mode, every vendor profile and every fault."""

from __future__ import annotations

import dataclasses

import pytest

from shared.oneroster.errors import CredentialsError, PagingError, PermanentError, TransientError
from shared.oneroster.transport import RetryPolicy
from tools.oneroster_sis.harness import RunningSis
from tools.oneroster_sis.profiles import PROFILES, with_overrides


def stored_ids(running: RunningSis, kind: str) -> list[str]:
    return [r["sourcedId"] for r in running.sis.store.all(kind)]


def set_quirks(running: RunningSis, **changes) -> None:
    config = running.sis.config
    running.sis.apply_config(
        dataclasses.replace(config, quirks=with_overrides(config.quirks, changes))
    )


def assert_exact(parsed, running: RunningSis, kind: str) -> None:
    ids = [r.sourced_id for r in parsed.records]
    assert len(ids) == len(set(ids)), "duplicates returned"
    assert sorted(ids) == sorted(stored_ids(running, kind))
    assert parsed.rejections == ()


@pytest.mark.parametrize("version", ["1.1", "1.2"])
@pytest.mark.parametrize(
    ("total_header", "link_header"), [(True, True), (True, False), (False, True), (False, False)]
)
@pytest.mark.parametrize("clamp", [None, 10])
def test_every_paging_header_mode_with_and_without_clamp(
    make_sis, client_for, version, total_header, link_header, clamp
):
    running = make_sis(students=90)
    set_quirks(running, total_count_header=total_header, link_header=link_header, page_clamp=clamp)
    client = client_for(running, version, page_size=25)
    assert_exact(client.fetch_all("users"), running, "users")
    assert_exact(client.fetch_all("enrollments"), running, "enrollments")


@pytest.mark.parametrize("profile_name", sorted(PROFILES))
@pytest.mark.parametrize("version", ["1.1", "1.2"])
def test_every_vendor_profile(make_sis, client_for, profile_name, version):
    running = make_sis(students=90, profile_name=profile_name)
    client = client_for(running, version)
    for kind in ("orgs", "academicSessions", "courses", "classes", "users", "enrollments"):
        assert_exact(client.fetch_all(kind), running, kind)


@pytest.mark.parametrize(
    ("version", "auth_mode"),
    [
        ("1.2", "oauth2-basic"),
        ("1.2", "oauth2-body"),
        ("1.1", "oauth2-basic"),
        ("1.1", "oauth2-body"),
        ("1.1", "oauth1-hmac-sha256"),
        ("1.1", "oauth1-hmac-sha1"),
    ],
)
def test_every_auth_mode(make_sis, client_for, version, auth_mode):
    running = make_sis(students=40)
    client = client_for(running, version, auth_mode=auth_mode)
    assert_exact(client.fetch_all("users"), running, "users")
    schemes = {r["auth"] for r in running.sis.request_log if "/users" in r["path"]}
    assert schemes == ({"oauth"} if auth_mode.startswith("oauth1") else {"bearer"})


@pytest.mark.parametrize("auth_mode", ["oauth2-basic", "oauth2-body", "oauth1-hmac-sha256"])
def test_wrong_secret_is_a_credentials_error_naming_the_fix(make_sis, client_for, auth_mode):
    running = make_sis(students=30)
    client = client_for(running, "1.1", auth_mode=auth_mode, secret="not-the-secret")
    with pytest.raises(CredentialsError) as caught:
        client.fetch_all("orgs")
    assert "secret" in caught.value.message
    assert "not-the-secret" not in str(caught.value) + repr(caught.value)


@pytest.mark.parametrize("version", ["1.1", "1.2"])
def test_school_nested_resources(make_sis, client_for, version):
    running = make_sis(students=1300, schools=2)
    client = client_for(running, version, page_size=200)
    schools = client.fetch_all("schools").records
    assert len(schools) == 2
    for school in schools:
        classes = client.fetch_all(client.school_request(school.sourced_id, "classes"))
        expected = [
            c["sourcedId"]
            for c in running.sis.store.all("classes")
            if c["school"]["sourcedId"] == school.sourced_id
        ]
        assert sorted(c.sourced_id for c in classes.records) == sorted(expected)
        enrollments = client.fetch_all(client.school_request(school.sourced_id, "enrollments"))
        assert {e.school_id for e in enrollments.records} == {school.sourced_id}
    term = client.fetch_all("terms").records[0]
    periods = client.grading_periods(term.sourced_id).records
    assert periods and {p.parent_id for p in periods} == {term.sourced_id}


def test_one_page_at_a_time_says_how_to_get_the_next(make_sis, client_for):
    running = make_sis(students=90)
    client = client_for(running, "1.2", page_size=40)
    request = client.page_request("users", sort="sourcedId")
    seen, pages = [], 0
    while request is not None:
        page = client.fetch_page(request)
        pages += 1
        seen += [r["sourcedId"] for r in page.records]
        assert page.total == len(stored_ids(running, "users"))
        request = page.next
    assert sorted(seen) == sorted(stored_ids(running, "users"))
    assert pages == -(-len(seen) // 40)


def test_page_request_survives_a_json_round_trip(make_sis, client_for):
    running = make_sis(students=60)
    client = client_for(running, "1.2", page_size=20)
    first = client.fetch_page(client.page_request("users", filter="status='active'"))
    assert first.next is not None
    carried = type(first.next).from_dict(first.next.to_dict())
    assert carried == first.next
    assert client.fetch_page(carried).records[0]["sourcedId"] != first.records[0]["sourcedId"]


def test_clamped_fan_out_learns_the_real_page_size(make_sis, client_for):
    running = make_sis(students=90)
    set_quirks(running, page_clamp=10, link_header=False)
    client = client_for(running, "1.2", page_size=25)
    first = client.fetch_page(client.page_request("users"))
    assert first.received == 10
    assert first.next is not None and first.next.offset == 10


def test_server_that_ignores_offset_ends_with_an_error_not_a_loop(make_sis, client_for):
    running = make_sis(students=60)
    set_quirks(running, ignore_offset=True, total_count_header=False, link_header=False)
    client = client_for(running, "1.2", page_size=20)
    with pytest.raises(PagingError, match="offset"):
        client.fetch_all("users")
    assert len(running.sis.request_log) < 10


def test_skyward_duplicate_rows_are_removed(make_sis, client_for):
    running = make_sis(students=90, profile_name="skyward")
    client = client_for(running, "1.2", page_size=7)
    teachers = client.fetch_all("teachers").records
    ids = [t.sourced_id for t in teachers]
    assert len(ids) == len(set(ids)) > 0


@pytest.mark.parametrize(
    "faults",
    [
        {"rate_429": 0.25},
        {"rate_429_no_retry_after": 0.25},
        {"rate_5xx": 0.25},
        {"rate_malformed": 0.2},
        {"rate_slow": 0.1, "slow_seconds": 0.6},
        {"expire_tokens_every": 4},
        {"rate_429": 0.1, "rate_5xx": 0.1, "rate_malformed": 0.05, "expire_tokens_every": 7},
    ],
)
@pytest.mark.parametrize("version", ["1.1", "1.2"])
def test_faults_still_return_exactly_the_sis_records(make_sis, client_for, faults, version):
    running = make_sis(students=90)
    running.sis.faults.configure(_fault_settings(seed=5, **faults))
    client = client_for(running, version, page_size=20, read_timeout=0.3)
    assert_exact(client.fetch_all("users"), running, "users")
    assert_exact(client.fetch_all("enrollments"), running, "enrollments")
    assert sum(running.sis.faults.counts().values()) > 0


def _fault_settings(**values):
    from tools.oneroster_sis.faults import settings_from_mapping

    return settings_from_mapping(values)


def test_persistent_5xx_ends_as_transient_after_bounded_retries(make_sis, client_for):
    running = make_sis(students=30)
    running.sis.faults.configure(_fault_settings(rate_5xx=1.0))
    client = client_for(
        running,
        "1.2",
        retry=RetryPolicy(max_attempts=4, max_total_seconds=10, base_delay=0.01, max_delay=0.02),
    )
    with pytest.raises(TransientError):
        client.fetch_all("orgs")
    api_calls = [r for r in running.sis.request_log if "/orgs" in r["path"]]
    assert len(api_calls) == 4


def test_persistent_malformed_body_is_permanent(make_sis, client_for):
    running = make_sis(students=30)
    running.sis.faults.configure(_fault_settings(rate_malformed=1.0))
    client = client_for(
        running,
        "1.2",
        retry=RetryPolicy(max_attempts=3, max_total_seconds=10, base_delay=0.01, max_delay=0.02),
    )
    with pytest.raises(PermanentError, match="not OneRoster JSON"):
        client.fetch_all("orgs")


def test_wrong_base_path_explains_the_vendor_url_shape(make_sis, client_for):
    running = make_sis(students=30)
    client = client_for(
        running,
        "1.2",
        vendor="infinite-campus",
        rostering_base_url=running.origin + "/campus/oneroster/v1p2",
    )
    with pytest.raises(PermanentError) as caught:
        client.fetch_all("orgs")
    assert "404" in caught.value.message
    assert "/campus/api/ims/oneroster/rostering/v1p2" in caught.value.message
    check = client.check_connection()
    assert not check.ok
    assert any("/ims/oneroster/rostering/v1p2" in p for p in check.problems)


def test_bad_filter_is_permanent_and_quotes_the_sis(make_sis, client_for):
    running = make_sis(students=30)
    client = client_for(running, "1.2")
    with pytest.raises(PermanentError) as caught:
        client.fetch_all("users", filter="shoeSize='9'")
    assert caught.value.status == 400
    assert caught.value.code_minor == "invalid_filter_field"


def test_user_agent_names_rostersync_and_the_district_only_when_enabled(make_sis, client_for):
    running = make_sis(students=30)
    client_for(running, "1.2").fetch_all("orgs")
    client_for(running, "1.2", support_domain="springfield.k12.example").fetch_all("orgs")
    agents = [r["user_agent"] for r in running.sis.request_log if r["path"].endswith("/orgs")]
    assert agents[0].startswith("Rostersync/") and "springfield" not in agents[0]
    assert "district=springfield.k12.example" in agents[-1]


def test_check_connection_passes_for_a_good_connection(make_sis, client_for):
    running = make_sis(students=30)
    check = client_for(running, "1.2").check_connection()
    assert check.ok and check.schools_seen == 1
