"""A district's sync configuration as stored in ``districts/{districtId}`` (never the secret)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from shared.oneroster.errors import ConfigurationError
from shared.oneroster.settings import ConnectionSettings, parse_settings
from shared.sync.accounts import MatchKey
from shared.sync.guards import Thresholds
from shared.sync.schedule import Schedule

MATCH_KEYS: tuple[MatchKey, ...] = ("email", "username", "identifier")
DEFAULT_THRESHOLDS = Thresholds()


CSV_SOURCE = "csv"
CSV_MAX_CONCURRENCY = 8  # staged pages come from Cloud Storage: no SIS rate limit to respect
CSV_CONNECTION_ONLY = (
    "connection: the district takes OneRoster CSV packages and has no OneRoster REST "
    "connection; connect its SIS with PUT /connection to use the REST API"
)


def _connection(district_id: str, doc: Mapping[str, Any]) -> ConnectionSettings | None:
    """The REST connection settings; None for a district that takes CSV packages
    (``connection: {"source": "csv"}``: no URL, no secret)."""
    connection_data = doc.get("connection")
    if not isinstance(connection_data, Mapping):
        raise ConfigurationError(
            "connection: the district has no SIS connection; connect the SIS first"
        )
    if connection_data.get("source") == CSV_SOURCE:
        return None
    return parse_settings({**connection_data, "district_id": district_id})


def _secret_name_problem(secret_name: Any) -> str | None:
    if not isinstance(secret_name, str) or not secret_name:
        return "secret_name: missing; re-enter the secret code to store it"
    return None


def _selected_schools_problem(schools: Any) -> str | None:
    if schools is not None and (
        not isinstance(schools, list) or not all(isinstance(s, str) for s in schools)
    ):
        return "selected_schools: must be a list of school sourcedIds or null"
    return None


def _mapping(doc: Mapping[str, Any], name: str) -> tuple[Mapping[str, Any], str | None]:
    """A field that holds an object: the object (empty when absent), or the problem."""
    value = doc.get(name)
    if value is None:
        return {}, None
    if not isinstance(value, Mapping):
        return {}, f"{name}: must be an object; set it again in the sync settings"
    return value, None


def _fraction(value: Any) -> float | None:
    """A number in (0, 1], or None. Booleans and text are not numbers."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) and 0 < value <= 1 else None


def _count(value: Any) -> int | None:
    """A whole number >= 0, or None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    whole = isinstance(value, int) or (math.isfinite(value) and value.is_integer())
    return int(value) if whole and value >= 0 else None


def _thresholds(guards: Mapping[str, Any]) -> tuple[Thresholds, str | None]:
    """The guard thresholds, or the defaults and the problem."""
    fraction = _fraction(guards.get("max_fraction", DEFAULT_THRESHOLDS.max_fraction))
    count = _count(guards.get("max_count", DEFAULT_THRESHOLDS.max_count))
    if fraction is None or count is None:
        problem = (
            "guards: max_fraction must be a number above 0 and at most 1 (0.10 = 10%) and "
            "max_count a whole number of 0 or more"
        )
        return Thresholds(), problem
    return Thresholds(max_fraction=fraction, max_count=count), None


def _match_key(accounts: Mapping[str, Any]) -> tuple[MatchKey, str | None]:
    """The account match key, or ``email`` and the problem."""
    match_key = accounts.get("match_key", "email")
    if match_key not in MATCH_KEYS:
        return "email", f"accounts.match_key: must be one of {list(MATCH_KEYS)}"
    return match_key, None


def _flag(
    doc: Mapping[str, Any], name: str, default: bool, where: str = ""
) -> tuple[bool, str | None]:
    """A true/false setting: only JSON booleans count ("no" is not false)."""
    value = doc.get(name, default)
    if not isinstance(value, bool):
        return default, f"{where}{name}: must be true or false"
    return value, None


SCHEDULE_FLAGS = ("delta_daily", "enabled")
SCHEDULE_NUMBERS = ("window_start_hour", "window_end_hour", "full_weekday")


def _schedule(value: Mapping[str, Any]) -> tuple[Schedule, str | None]:
    """The sync schedule, or the default schedule and the problem."""
    for name in SCHEDULE_FLAGS:
        if name in value and not isinstance(value[name], bool):
            return Schedule(), f"schedule.{name}: must be true or false"
    for name in SCHEDULE_NUMBERS:
        if name in value and (isinstance(value[name], bool) or not isinstance(value[name], int)):
            return Schedule(), f"schedule.{name}: must be a whole number"
    try:
        return Schedule(**value), None
    except (TypeError, ValueError, LookupError) as exc:
        return Schedule(), f"schedule: {exc}"


def _raise_problems(*problems: str | None) -> None:
    """One ``ConfigurationError`` naming every problem found, in order."""
    found = [problem for problem in problems if problem]
    if found:
        raise ConfigurationError("; ".join(found))


@dataclass(frozen=True)
class DistrictConfig:
    district_id: str
    rest_connection: ConnectionSettings | None  # None: the district takes CSV packages
    secret_name: str
    selected_schools: tuple[str, ...] | None  # None: every school the SIS sends
    thresholds: Thresholds
    match_key: MatchKey
    create_accounts: bool
    schedule: Schedule
    export_enabled: bool
    connected: bool
    # the section filters as stored (shared/sync/filters.py reads them), read with the settings
    # so that a step reads the district's document once
    filters: Any = field(default=None, compare=False)

    @property
    def source(self) -> str:
        """Where rosters come from: "rest" (the OneRoster API) or "csv" (packages)."""
        return "rest" if self.rest_connection is not None else CSV_SOURCE

    @property
    def connection(self) -> ConnectionSettings:
        """The OneRoster REST connection; ConfigurationError for a CSV district."""
        if self.rest_connection is None:
            raise ConfigurationError(CSV_CONNECTION_ONLY)
        return self.rest_connection

    @property
    def max_concurrency(self) -> int:
        """How many lanes a run's fetching is dealt to."""
        if self.rest_connection is None:
            return CSV_MAX_CONCURRENCY
        return self.rest_connection.max_concurrency

    @classmethod
    def from_doc(cls, district_id: str, doc: Mapping[str, Any]) -> DistrictConfig:
        """The configuration; ConfigurationError names every bad field and its fix."""
        connection = _connection(district_id, doc)
        secret_name, schools = doc.get("secret_name"), doc.get("selected_schools")
        guards, guards_shape = _mapping(doc, "guards")
        accounts, accounts_shape = _mapping(doc, "accounts")
        schedule_doc, schedule_shape = _mapping(doc, "schedule")
        thresholds, guards_problem = _thresholds(guards)
        match_key, match_key_problem = _match_key(accounts)
        create_accounts, create_problem = _flag(accounts, "create_accounts", False, "accounts.")
        schedule, schedule_problem = _schedule(schedule_doc)
        export_enabled, export_problem = _flag(doc, "export_enabled", True)
        connected, connected_problem = _flag(doc, "connected", True)
        _raise_problems(
            None if connection is None else _secret_name_problem(secret_name),
            _selected_schools_problem(schools),
            guards_shape or guards_problem,
            accounts_shape or match_key_problem,
            create_problem,
            schedule_shape or schedule_problem,
            export_problem,
            connected_problem,
        )
        return cls(
            district_id=district_id,
            rest_connection=connection,
            secret_name=str(secret_name or ""),
            selected_schools=tuple(schools) if schools is not None else None,
            thresholds=thresholds,
            match_key=match_key,
            create_accounts=create_accounts,
            schedule=schedule,
            export_enabled=export_enabled,
            connected=connected,
            filters=doc.get("filters"),
        )
