"""A district's sync configuration as stored in ``districts/{districtId}`` (never the secret)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from shared.oneroster.errors import ConfigurationError
from shared.oneroster.settings import ConnectionSettings, parse_settings
from shared.sync.accounts import MatchKey
from shared.sync.guards import Thresholds
from shared.sync.schedule import Schedule

MATCH_KEYS: tuple[MatchKey, ...] = ("email", "username", "identifier")


def _connection(district_id: str, doc: Mapping[str, Any]) -> ConnectionSettings:
    connection_data = doc.get("connection")
    if not isinstance(connection_data, Mapping):
        raise ConfigurationError(
            "connection: the district has no SIS connection; connect the SIS first"
        )
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


def _thresholds(guards: Any) -> tuple[Thresholds, str | None]:
    """The guard thresholds, or the defaults and the problem."""
    try:
        thresholds = Thresholds(
            max_fraction=float(guards.get("max_fraction", 0.10)),
            max_count=int(guards.get("max_count", 25)),
        )
    except (TypeError, ValueError):
        problem = "guards: max_fraction must be a number and max_count a whole number"
        return Thresholds(), problem
    return thresholds, None


def _match_key(accounts: Any) -> tuple[MatchKey, str | None]:
    """The account match key, or ``email`` and the problem."""
    match_key = accounts.get("match_key", "email")
    if match_key not in MATCH_KEYS:
        return "email", f"accounts.match_key: must be one of {list(MATCH_KEYS)}"
    return match_key, None


def _schedule(value: Any) -> tuple[Schedule, str | None]:
    """The sync schedule, or the default schedule and the problem."""
    try:
        return Schedule(**(value or {})), None
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
    connection: ConnectionSettings
    secret_name: str
    selected_schools: tuple[str, ...] | None  # None: every school the SIS sends
    thresholds: Thresholds
    match_key: MatchKey
    create_accounts: bool
    schedule: Schedule
    export_enabled: bool
    connected: bool

    @classmethod
    def from_doc(cls, district_id: str, doc: Mapping[str, Any]) -> DistrictConfig:
        connection = _connection(district_id, doc)
        secret_name = doc.get("secret_name")
        schools = doc.get("selected_schools")
        thresholds, guards_problem = _thresholds(doc.get("guards") or {})
        accounts = doc.get("accounts") or {}
        match_key, match_key_problem = _match_key(accounts)
        schedule, schedule_problem = _schedule(doc.get("schedule"))
        _raise_problems(
            _secret_name_problem(secret_name),
            _selected_schools_problem(schools),
            guards_problem,
            match_key_problem,
            schedule_problem,
        )
        return cls(
            district_id=district_id,
            connection=connection,
            secret_name=str(secret_name),
            selected_schools=tuple(schools) if schools is not None else None,
            thresholds=thresholds,
            match_key=match_key,
            create_accounts=bool(accounts.get("create_accounts", False)),
            schedule=schedule,
            export_enabled=bool(doc.get("export_enabled", True)),
            connected=bool(doc.get("connected", True)),
        )
