"""Issue 16 row 8: a token URL carries no secret. A query string on `token_url` is refused with a
message naming the field and the fix; the one parameter a vendor's preset documents (Infinite
Campus's `appName`) is allowed with that preset."""

from __future__ import annotations

from typing import Any

import pytest

from shared.ids import safe_id
from shared.oneroster.errors import ConfigurationError
from shared.oneroster.settings import parse_settings
from tests.conftest import ADMIN, CLIENT_ID, CLIENT_SECRET, SyncHarness

CAMPUS = "https://campus.district.example/campus"


def campus_settings(token_url: str, vendor: str = "infinite-campus") -> dict[str, Any]:
    return {
        "district_id": "d1",
        "vendor": vendor,
        "version": "1.2",
        "rostering_base_url": f"{CAMPUS}/api/ims/oneroster/rostering/v1p2",
        "token_url": token_url,
        "client_id": "client",
    }


def test_the_infinite_campus_token_url_keeps_its_app_name() -> None:
    settings = parse_settings(campus_settings(f"{CAMPUS}/oauth2/token?appName=district"))
    assert settings.token_url == f"{CAMPUS}/oauth2/token?appName=district"


@pytest.mark.parametrize(
    ("vendor", "query", "named"),
    [
        ("infinite-campus", "appName=district&client_secret=abc", "client_secret"),
        ("infinite-campus", "password=abc", "password"),
        ("infinite-campus", "appName=a&access_token=abc", "access_token"),
        ("generic", "appName=district", "appName"),
        ("generic", "key=abc", "key"),
        ("powerschool", "client_id=abc", "client_id"),
        ("generic", "eyJhbGciOiJIUzI1NiJ9abcdefghijklmnopqrstuvwxyz", "a parameter"),
    ],
)
def test_a_token_url_query_outside_the_presets_parameter_is_refused(
    vendor: str, query: str, named: str
) -> None:
    with pytest.raises(ConfigurationError) as caught:
        parse_settings(campus_settings(f"{CAMPUS}/oauth2/token?{query}", vendor))
    message = caught.value.message
    assert message.startswith("token_url:")
    assert named in message and "abc" not in message  # a value, or a name that may be one
    assert "remove" in message


def test_a_token_url_with_a_fragment_is_refused() -> None:
    with pytest.raises(ConfigurationError, match=r"token_url: .*#fragment"):
        parse_settings(campus_settings(f"{CAMPUS}/oauth2/token?appName=a#secret"))


def test_a_secret_in_the_token_url_is_refused_at_connect_and_nothing_is_stored(
    make_sis, sync_harness: SyncHarness
) -> None:
    running = make_sis(students=10)
    district_id = "token-url-query"
    district = sync_harness.district(district_id)
    district.collection("staff").document(safe_id(ADMIN)).set({"role": "admin"})
    body = {
        "vendor": "generic",
        "version": "1.2",
        "rostering_base_url": running.base_url("1.2"),
        "token_url": f"{running.token_url}?client_secret={CLIENT_SECRET}",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "local_dev": True,
    }
    response = sync_harness.admin("PUT", district_id, "/connection", body)
    stored = district.get().to_dict() or {}
    assert response.status_code == 400, response.text
    assert "token_url" in response.json()["error"]["message"]
    assert CLIENT_SECRET not in response.text
    assert "connection" not in stored
