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
        problems: list[str] = []
        connection_data = doc.get("connection")
        if not isinstance(connection_data, Mapping):
            raise ConfigurationError(
                "connection: the district has no SIS connection; connect the SIS first"
            )
        connection = parse_settings({**connection_data, "district_id": district_id})
        secret_name = doc.get("secret_name")
        if not isinstance(secret_name, str) or not secret_name:
            problems.append("secret_name: missing; re-enter the secret code to store it")
        schools = doc.get("selected_schools")
        if schools is not None and (
            not isinstance(schools, list) or not all(isinstance(s, str) for s in schools)
        ):
            problems.append("selected_schools: must be a list of school sourcedIds or null")
        guards = doc.get("guards") or {}
        try:
            thresholds = Thresholds(
                max_fraction=float(guards.get("max_fraction", 0.10)),
                max_count=int(guards.get("max_count", 25)),
            )
        except (TypeError, ValueError):
            problems.append("guards: max_fraction must be a number and max_count a whole number")
            thresholds = Thresholds()
        accounts = doc.get("accounts") or {}
        match_key = accounts.get("match_key", "email")
        if match_key not in MATCH_KEYS:
            problems.append(f"accounts.match_key: must be one of {list(MATCH_KEYS)}")
            match_key = "email"
        try:
            schedule = Schedule(**(doc.get("schedule") or {}))
        except (TypeError, ValueError, LookupError) as exc:
            problems.append(f"schedule: {exc}")
            schedule = Schedule()
        if problems:
            raise ConfigurationError("; ".join(problems))
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
