"""Accounts through a whole-stack roster sync (admin API → Cloud Tasks emulator → task
handlers → Firestore emulator, against a local OneRoster SIS): SIS users are linked to existing
accounts by e-mail ignoring case, and accounts sync creates get unique usernames."""

from __future__ import annotations

from shared.ids import safe_id
from tests.sync.sync_checks import run_warnings as _warnings


def test_accounts_are_matched_by_email_case_insensitively(make_sis, sync_harness) -> None:
    running = make_sis(students=60, rate_missing_email=0.0, rate_duplicate_email=0.0)
    teacher = next(u for u in running.sis.store.all("users") if u["roles"][0]["role"] == "teacher")
    district = sync_harness.register(running)
    sync_harness.district(district).collection("accounts").document("acc-teacher").set(
        {"match_keys": {"email": teacher["email"].lower()}, "display_name": "T"}
    )
    running.sis.store.patch("users", teacher["sourcedId"], {"email": teacher["email"].upper()})
    status = sync_harness.sync(district)
    link = (
        sync_harness.district(district)
        .collection("account_links")
        .document(safe_id(teacher["sourcedId"]))
        .get()
        .to_dict()
    )
    assert (link["account_id"], link["matched_by"]) == ("acc-teacher", "email")
    owned = [
        c
        for c in sync_harness.classes(district).values()
        if c["owner"]["sis_user_id"] == teacher["sourcedId"]
    ]
    assert owned and all(c["owner"]["account_id"] == "acc-teacher" for c in owned)
    unmatched = {
        w["sourced_id"] for w in _warnings(sync_harness, district, status, "no_matching_account")
    }
    assert teacher["sourcedId"] not in unmatched and unmatched


def test_account_creation_generates_unique_usernames(make_sis, sync_harness) -> None:
    running = make_sis(students=40, rate_duplicate_email=0.0, rate_missing_email=0.1)
    district = sync_harness.register(running, accounts={"create_accounts": True})
    sync_harness.sync(district)
    accounts = [
        a.to_dict() for a in sync_harness.district(district).collection("accounts").stream()
    ]
    usernames = [a["username"] for a in accounts]
    assert len(accounts) == len(running.sis.store.all("users"))
    assert len(set(usernames)) == len(usernames)
    assert all(u.isalnum() and u.isascii() for u in usernames)
