"""Account matching and generated usernames, the schedule, and Firestore-safe ids (pure)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.ids import from_safe_id, join_ids, safe_id, split_ids
from shared.sync.accounts import (
    SisPerson,
    generate_username,
    holders_by_value,
    match_accounts,
    membership_clears,
    username_stem,
)
from shared.sync.schedule import Schedule, due_sync


def person(sid: str, email: str | None, role: str = "student", **kw) -> SisPerson:
    return SisPerson(sid, role, kw.pop("given", "Ana"), kw.pop("family", "Lopez"), email, **kw)


def test_matching_is_case_insensitive_and_records_the_key() -> None:
    people = [person("u1", "Ana.Lopez@School.org"), person("u2", "new@school.org")]
    matches, unmatched, warnings = match_accounts(
        people,
        {"ana.lopez@school.org": ["acc-1"]},
        "email",
        holders=holders_by_value(people, "email"),
    )
    assert [(m.sis_user_id, m.account_id, m.matched_by) for m in matches] == [
        ("u1", "acc-1", "email")
    ]
    assert [p.sourced_id for p in unmatched] == ["u2"] and warnings == []


def test_missing_duplicate_and_ambiguous_emails_are_warnings_not_links() -> None:
    people = [
        person("u1", None),
        person("u2", "twin@x.org"),
        person("u3", "TWIN@x.org"),
        person("u4", "shared@x.org"),
    ]
    matches, unmatched, warnings = match_accounts(
        people,
        {"twin@x.org": ["a"], "shared@x.org": ["b", "c"]},
        "email",
        holders=holders_by_value(people, "email"),
    )
    assert matches == []
    assert [p.sourced_id for p in unmatched] == ["u1"]  # no email: an account may be created
    assert [(w.sourced_id, w.code) for w in warnings] == [
        ("u1", "missing_email"),
        ("u2", "duplicate_email"),
        ("u3", "duplicate_email"),
        ("u4", "ambiguous_account"),
    ]


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        (person("t", None, "teacher", given="María", family="O'Connor-Díaz"), "moconnordiaz"),
        (person("s", None, grades=("01",), given="Zoë", family="Smith"), "zoes"),
        (person("s", None, grades=("KG",), given="Li", family="Wu"), "liw"),
        (person("s", None, grades=("07",), given="Björn", family="van der Berg"), "bvanderberg"),
    ],
)
def test_username_rules(who: SisPerson, expected: str) -> None:
    assert username_stem(who) == expected


def test_usernames_are_unique_by_adding_numbers() -> None:
    taken = {"alopez", "alopez2"}
    assert generate_username(person("u", None), taken.__contains__) == "alopez3"


def test_schedule_full_weekly_delta_nightly_inside_the_window() -> None:
    schedule = Schedule(timezone="UTC", window_start_hour=1, window_end_hour=5, full_weekday=6)
    sunday_2am = dt.datetime(2026, 11, 22, 2, tzinfo=dt.UTC)
    monday_2am = sunday_2am + dt.timedelta(days=1)
    monday_noon = monday_2am + dt.timedelta(hours=10)
    assert due_sync(schedule, sunday_2am, None, None) == "full"
    assert due_sync(schedule, monday_2am, sunday_2am, sunday_2am) == "delta"
    assert due_sync(schedule, monday_noon, sunday_2am, sunday_2am) is None
    assert due_sync(schedule, sunday_2am + dt.timedelta(minutes=30), sunday_2am, sunday_2am) is None


@pytest.mark.parametrize("sourced_id", ["cls-001", "a/b", "..", "__x__", "ü ñ", "x~2Fy", "a.b"])
def test_safe_ids_round_trip_and_use_only_safe_characters(sourced_id: str) -> None:
    encoded = safe_id(sourced_id)
    assert from_safe_id(encoded) == sourced_id
    assert all(ch.isalnum() or ch in "-~" for ch in encoded)
    assert not encoded.startswith("__") and encoded not in (".", "..")


@given(st.text(min_size=1, max_size=40) | st.from_regex(r"[A-Za-z0-9-]{1,40}", fullmatch=True))
def test_any_sourced_id_round_trips_through_its_safe_id(sourced_id: str) -> None:
    encoded = safe_id(sourced_id)
    assert from_safe_id(encoded) == sourced_id
    assert all(ch.isascii() and (ch.isalnum() or ch in "-~") for ch in encoded)
    assert (encoded == sourced_id) == all(
        ch.isascii() and (ch.isalnum() or ch == "-") for ch in sourced_id
    )


def test_safe_ids_kept_as_one_text_split_back_and_an_array_from_before_still_reads() -> None:
    ids = [safe_id(s) for s in ("cls-001", "a b", "x/y", "ü")]
    assert split_ids(join_ids(ids)) == ids
    assert split_ids(ids) == ids and split_ids(join_ids([])) == [] and split_ids(None) == []


def test_a_key_value_held_in_another_school_is_a_warning_not_a_link() -> None:
    matches, unmatched, warnings = match_accounts(
        [person("u1", "kid@x.org")],
        {"kid@x.org": ["a"]},
        "email",
        holders={"kid@x.org": {"u1", "u9"}},
    )
    assert (matches, unmatched) == ([], [])
    assert [(w.sourced_id, w.code) for w in warnings] == [("u1", "duplicate_email")]
    assert "u9" in warnings[0].reason and "own email" in warnings[0].fix


def test_unlinking_takes_the_account_out_of_synced_memberships_only() -> None:
    cls = {
        "owner": {"sis_user_id": "t1", "account_id": "acc-t"},
        "students": {
            "s1": {"sis_user_id": "s1", "account_id": "acc-s", "source": "sis"},
            "s2": {"sis_user_id": "s2", "account_id": "acc-s", "source": "manual"},
            "s3": {"sis_user_id": "s3", "account_id": "acc-3", "source": "sis"},
        },
    }
    revoked = {"t1": "acc-t", "s1": "acc-s", "s2": "acc-s"}
    assert membership_clears(cls, revoked) == {
        ("owner", "account_id"): None,
        ("students", "s1", "account_id"): None,
    }
