"""When a district's scheduled syncs are due. Pure: ``now`` is an argument."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal
from zoneinfo import ZoneInfo

SyncKind = Literal["full", "delta"]


@dataclass(frozen=True, slots=True)
class Schedule:
    timezone: str = "America/Chicago"
    window_start_hour: int = 1  # local time; syncs start only inside [start, end)
    window_end_hour: int = 5
    full_weekday: int = 6  # Monday = 0 … Sunday = 6
    delta_daily: bool = True
    enabled: bool = True

    def __post_init__(self) -> None:
        ZoneInfo(self.timezone)  # raises for an unknown zone
        if not (0 <= self.window_start_hour <= 23 and 1 <= self.window_end_hour <= 24):
            raise ValueError("window hours must be within 0-24")
        if not 0 <= self.full_weekday <= 6:
            raise ValueError("full_weekday is 0 (Monday) to 6 (Sunday)")


def _in_window(local: dt.datetime, schedule: Schedule) -> bool:
    start, end = schedule.window_start_hour, schedule.window_end_hour
    if start < end:
        return start <= local.hour < end
    return local.hour >= start or local.hour < end  # window across midnight


def due_sync(
    schedule: Schedule,
    now: dt.datetime,
    last_full: dt.datetime | None,
    last_started: dt.datetime | None,
) -> SyncKind | None:
    """The sync to start now, if any: a full sync on the weekly day (or when none ever ran),
    else a nightly delta; at most one scheduled sync per local day."""
    if not schedule.enabled:
        return None
    zone = ZoneInfo(schedule.timezone)
    local = now.astimezone(zone)
    if not _in_window(local, schedule):
        return None
    if last_started is not None and now - last_started < dt.timedelta(hours=20):
        return None
    if last_full is None:
        return "full"
    if local.weekday() == schedule.full_weekday or now - last_full > dt.timedelta(days=8):
        return "full"
    return "delta" if schedule.delta_daily else None
