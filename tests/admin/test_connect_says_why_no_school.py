""" "Authorize" says what it saw (issue 12): a connection that works but sees no school still
answers ok, with a warning naming the org types the SIS lists and the fix."""

from __future__ import annotations

from shared.oneroster.client import no_school_warning
from tests.conftest import connection_body


def test_a_connect_that_sees_no_school_names_the_org_types_and_the_fix(
    make_sis, sync_harness
) -> None:
    running = make_sis(students=10)
    for org in running.sis.store.all("orgs"):
        if org.get("type") == "school":
            running.sis.store.patch("orgs", org["sourcedId"], {"type": "department"})
    connected = _reconnect(sync_harness, running)
    assert connected["ok"] is True and connected["schools_seen"] == 0
    assert len(connected["warnings"]) == 1
    warning = connected["warnings"][0]
    assert "of types department, district, none of type school" in warning
    assert "ask the SIS to publish schools as orgs of type school" in warning


def test_a_connect_that_sees_schools_has_no_warning(make_sis, sync_harness) -> None:
    connected = _reconnect(sync_harness, make_sis(students=10))
    assert connected["schools_seen"] >= 1 and connected["warnings"] == []


def test_the_warning_counts_the_orgs_the_sis_says_it_has() -> None:
    orgs = [{"type": "department"}, {"type": "department"}]
    assert no_school_warning(orgs, total=7).startswith("the SIS lists 7 orgs, of type department,")


def _reconnect(sync_harness, running) -> dict:
    """The answer of "Authorize" for a registered district (register connects it first)."""
    district = sync_harness.register(running)
    body = connection_body(running)
    response = sync_harness.admin("PUT", district, "/connection", body)
    assert response.status_code == 200, response.text
    return response.json()
