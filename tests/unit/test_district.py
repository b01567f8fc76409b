"""A district's stored configuration: defaults for what the admin has not set, and every bad value
refused by field name with its fix (pure)."""

from __future__ import annotations

from typing import Any

import pytest

from shared.oneroster.errors import ConfigurationError
from shared.sync.district import DistrictConfig
from shared.sync.guards import Thresholds
from shared.sync.schedule import Schedule

CONNECTION = {
    "vendor": "infinite-campus",
    "version": "1.2",
    "rostering_base_url": "https://campus.example.org/campus/api/ims/oneroster/rostering/v1p2",
    "gradebook_base_url": "https://campus.example.org/campus/api/ims/oneroster/gradebook/v1p2",
    "token_url": "https://campus.example.org/campus/oauth2/token?appName=example",
    "client_id": "rostersync-client",
}
MINIMAL = {
    "connection": CONNECTION,
    "secret_name": "projects/rostersync/secrets/district-1-oneroster/versions/latest",
}


def config(**fields: Any) -> DistrictConfig:
    return DistrictConfig.from_doc("district-1", {**MINIMAL, **fields})


def refusal(**fields: Any) -> str:
    with pytest.raises(ConfigurationError) as refused:
        DistrictConfig.from_doc("district-1", {**MINIMAL, **fields})
    return refused.value.message


# ---- defaults -----------------------------------------------------------------------------------


def test_a_district_with_only_a_connection_and_secret_is_accepted() -> None:
    district = config()
    assert district.district_id == "district-1"
    assert district.secret_name == MINIMAL["secret_name"]
    assert district.connection.vendor == "infinite-campus"


def test_by_default_every_school_the_sis_sends_is_synced() -> None:
    assert config().selected_schools is None


def test_by_default_removals_are_held_above_10_percent_or_25_records() -> None:
    assert config().thresholds == Thresholds(max_fraction=0.10, max_count=25)


def test_by_default_accounts_are_matched_by_email() -> None:
    assert config().match_key == "email"


def test_by_default_no_accounts_are_created() -> None:
    assert config().create_accounts is False


def test_by_default_the_schedule_is_the_standard_overnight_window() -> None:
    assert config().schedule == Schedule()


def test_by_default_mark_export_is_enabled() -> None:
    assert config().export_enabled is True


def test_by_default_the_district_counts_as_connected() -> None:
    assert config().connected is True


# ---- values read from the doc --------------------------------------------------------------------


def test_the_connection_always_belongs_to_the_district_of_the_document() -> None:
    district = config(connection={**CONNECTION, "district_id": "another-district"})
    assert district.connection.district_id == "district-1"


def test_selected_schools_are_kept_in_order() -> None:
    assert config(selected_schools=["school-2", "school-1"]).selected_schools == (
        "school-2",
        "school-1",
    )


def test_guards_from_the_document_replace_the_defaults() -> None:
    district = config(guards={"max_fraction": 0.05, "max_count": 10})
    assert district.thresholds == Thresholds(max_fraction=0.05, max_count=10)


def test_one_guard_set_keeps_the_default_of_the_other() -> None:
    assert config(guards={"max_count": 40}).thresholds == Thresholds(
        max_fraction=0.10, max_count=40
    )


def test_account_settings_from_the_document_are_used() -> None:
    district = config(accounts={"match_key": "username", "create_accounts": True})
    assert (district.match_key, district.create_accounts) == ("username", True)


def test_a_schedule_from_the_document_replaces_the_defaults() -> None:
    district = config(schedule={"timezone": "America/New_York", "full_weekday": 5})
    assert district.schedule == Schedule(timezone="America/New_York", full_weekday=5)


def test_mark_export_can_be_turned_off() -> None:
    assert config(export_enabled=False).export_enabled is False


def test_a_disconnected_district_is_read_as_disconnected() -> None:
    assert config(connected=False).connected is False


# ---- refusals, by field -------------------------------------------------------------------------


def test_a_district_without_a_connection_is_refused() -> None:
    with pytest.raises(ConfigurationError) as refused:
        DistrictConfig.from_doc("district-1", {"secret_name": "s"})
    assert refused.value.message == (
        "connection: the district has no SIS connection; connect the SIS first"
    )


def test_a_connection_that_is_not_an_object_is_refused() -> None:
    assert refusal(connection="https://campus.example.org").startswith(
        "connection: the district has no SIS connection"
    )


def test_a_bad_connection_setting_is_refused_by_its_name() -> None:
    message = refusal(connection={**CONNECTION, "client_id": ""})
    assert message.startswith("client_id: ")


def test_a_connection_over_plain_http_is_refused_with_the_fix() -> None:
    plain = CONNECTION["rostering_base_url"].replace("https://", "http://")
    message = refusal(connection={**CONNECTION, "rostering_base_url": plain})
    assert "rostering_base_url must use https://" in message


@pytest.mark.parametrize("secret_name", [None, "", 42])
def test_a_missing_secret_name_is_refused_with_the_fix(secret_name: Any) -> None:
    assert refusal(secret_name=secret_name) == (
        "secret_name: missing; re-enter the secret code to store it"
    )


@pytest.mark.parametrize("schools", ["school-1", ["school-1", 2], {"school-1": True}])
def test_selected_schools_that_are_not_a_list_of_ids_are_refused(schools: Any) -> None:
    assert refusal(selected_schools=schools) == (
        "selected_schools: must be a list of school sourcedIds or null"
    )


GUARDS_FIX = (
    "guards: max_fraction must be a number above 0 and at most 1 (0.10 = 10%) and max_count a "
    "whole number of 0 or more"
)


@pytest.mark.parametrize(
    "guards", [{"max_fraction": "ten percent"}, {"max_count": "many"}, {"max_count": None}]
)
def test_guards_that_are_not_numbers_are_refused(guards: dict[str, Any]) -> None:
    assert refusal(guards=guards) == GUARDS_FIX


@pytest.mark.parametrize(
    "guards",
    [
        {"max_fraction": float("inf")},
        {"max_fraction": float("nan")},
        {"max_fraction": -0.1},
        {"max_fraction": 0},
        {"max_fraction": 1.5},
        {"max_fraction": True},
        {"max_count": -1},
        {"max_count": 2.5},
        {"max_count": float("inf")},
        {"max_count": False},
    ],
)
def test_guards_that_are_not_finite_or_out_of_range_are_refused(guards: dict[str, Any]) -> None:
    assert refusal(guards=guards) == GUARDS_FIX


@pytest.mark.parametrize("field", ["guards", "accounts", "schedule"])
@pytest.mark.parametrize("value", [["max_count", 5], "yes", 7])
def test_settings_that_must_be_objects_are_refused_by_name(field: str, value: Any) -> None:
    assert refusal(**{field: value}) == (
        f"{field}: must be an object; set it again in the sync settings"
    )


@pytest.mark.parametrize("text", ["no", "false", "0", 1, None])
def test_create_accounts_must_be_a_boolean_not_text_that_reads_like_one(text: Any) -> None:
    assert refusal(accounts={"create_accounts": text}) == (
        "accounts.create_accounts: must be true or false"
    )


@pytest.mark.parametrize("field", ["export_enabled", "connected"])
def test_district_switches_must_be_booleans(field: str) -> None:
    assert refusal(**{field: "no"}) == f"{field}: must be true or false"


def test_schedule_switches_and_hours_must_have_their_types() -> None:
    assert refusal(schedule={"enabled": "no"}) == "schedule.enabled: must be true or false"
    assert refusal(schedule={"window_start_hour": "1"}) == (
        "schedule.window_start_hour: must be a whole number"
    )


def test_an_unknown_match_key_is_refused_with_the_keys_to_use() -> None:
    assert refusal(accounts={"match_key": "phone"}) == (
        "accounts.match_key: must be one of ['email', 'username', 'identifier']"
    )


def test_an_unknown_schedule_timezone_is_refused_by_name() -> None:
    message = refusal(schedule={"timezone": "Mars/Olympus_Mons"})
    assert message.startswith("schedule: ")
    assert "Mars/Olympus_Mons" in message


@pytest.mark.parametrize("hours", [{"window_start_hour": 24}, {"window_end_hour": 0}])
def test_schedule_window_hours_outside_the_day_are_refused(hours: dict[str, int]) -> None:
    assert refusal(schedule=hours) == "schedule: window hours must be within 0-24"


def test_a_schedule_full_sync_weekday_outside_the_week_is_refused() -> None:
    assert refusal(schedule={"full_weekday": 7}) == (
        "schedule: full_weekday is 0 (Monday) to 6 (Sunday)"
    )


def test_an_unknown_schedule_setting_is_refused_by_name() -> None:
    message = refusal(schedule={"colour": "blue"})
    assert message.startswith("schedule: ")
    assert "'colour'" in message


def test_every_problem_is_listed_in_one_refusal() -> None:
    message = refusal(
        secret_name="",
        selected_schools="school-1",
        accounts={"match_key": "phone"},
        schedule={"full_weekday": 9},
    )
    assert message == "; ".join(
        [
            "secret_name: missing; re-enter the secret code to store it",
            "selected_schools: must be a list of school sourcedIds or null",
            "accounts.match_key: must be one of ['email', 'username', 'identifier']",
            "schedule: full_weekday is 0 (Monday) to 6 (Sunday)",
        ]
    )
