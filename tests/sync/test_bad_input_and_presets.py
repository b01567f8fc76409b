"""Connecting with a vendor preset through the admin function on the local stack: the preset
fills what the admin did not send (issue 16, row 9)."""

from __future__ import annotations

import time
from typing import Any

from shared.ids import safe_id
from tests.conftest import ADMIN, CLIENT_ID, CLIENT_SECRET, SyncHarness
from tools.oneroster_sis.harness import RunningSis


def _new_district(harness: SyncHarness) -> str:
    district_id = f"preset-{int(time.time() * 1000) % 10**9}"
    harness.district(district_id).collection("staff").document(safe_id(ADMIN)).set(
        {"role": "admin"}
    )
    return district_id


def _connection_body(running: RunningSis, version: str, **fields: Any) -> dict[str, Any]:
    """What an admin types: the URLs, the key and the secret; no version, auth mode or sizes."""
    body = {
        "rostering_base_url": running.base_url(version),
        "token_url": running.token_url,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "local_dev": True,
        **fields,
    }
    if version == "1.2":
        body["gradebook_base_url"] = running.base_url(version, "gradebook")
    return body


def _stored_connection(harness: SyncHarness, district_id: str) -> dict[str, Any]:
    return (harness.district(district_id).get().to_dict() or {})["connection"]


def test_an_infinite_campus_connection_without_a_version_takes_the_presets_defaults(
    make_sis, sync_harness
) -> None:
    running = make_sis(students=10)
    district = _new_district(sync_harness)
    body = _connection_body(running, "1.2", vendor="infinite-campus")
    response = sync_harness.admin("PUT", district, "/connection", body)
    assert response.status_code == 200, response.text
    stored = _stored_connection(sync_harness, district)
    assert (stored["vendor"], stored["version"], stored["auth_mode"]) == (
        "infinite-campus",
        "1.2",
        "oauth2-basic",
    )
    assert (stored["max_concurrency"], stored["page_size"]) == (5, 1000)


def test_what_the_admin_sends_wins_over_the_preset(make_sis, sync_harness) -> None:
    running = make_sis(students=10)
    district = _new_district(sync_harness)
    body = _connection_body(running, "1.1", vendor="powerschool", page_size=40, max_concurrency=2)
    response = sync_harness.admin("PUT", district, "/connection", body)
    assert response.status_code == 200, response.text
    stored = _stored_connection(sync_harness, district)
    assert (stored["version"], stored["page_size"], stored["max_concurrency"]) == ("1.1", 40, 2)


def test_an_unknown_vendor_is_refused_naming_the_vendors(make_sis, sync_harness) -> None:
    running = make_sis(students=10)
    district = _new_district(sync_harness)
    body = _connection_body(running, "1.2", vendor="infinite_campus")
    response = sync_harness.admin("PUT", district, "/connection", body)
    assert response.status_code == 400, response.text
    message = response.json()["error"]["message"]
    assert "vendor" in message and "infinite-campus" in message
    assert "version" not in message  # the one problem is the vendor
