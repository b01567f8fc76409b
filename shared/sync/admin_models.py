"""The admin API's request models: bodies (settings, runs, decisions) and query strings (paging
and filters). Everything arrives from outside: numbers finite and in range, flags JSON booleans,
unknown fields refused by name."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StringConstraints

RUN_STATES = Literal[
    "queued",
    "running",
    "succeeded",
    "succeeded_with_warnings",
    "held",
    "deciding",
    "failed",
    "cancelled",
]


class RunRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["full", "delta"] = "full"
    dry_run: StrictBool = False


class Decision(BaseModel):
    model_config = ConfigDict(extra="forbid")
    decision: Literal["approve", "discard"]


SchoolId = Annotated[str, StringConstraints(min_length=1, max_length=400)]
Hour = Annotated[int, Field(strict=True, ge=0, le=24)]
Pattern = Annotated[str, StringConstraints(min_length=1, max_length=100)]


class GuardSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    max_fraction: float = Field(0.10, gt=0, le=1, strict=True, allow_inf_nan=False)
    max_count: int = Field(25, ge=0, le=1_000_000, strict=True)


class AccountSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    match_key: Literal["email", "username", "identifier"] = "email"
    create_accounts: StrictBool = False


class ScheduleSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    timezone: str = Field("America/Chicago", min_length=1, max_length=64)
    window_start_hour: Hour = 1
    window_end_hour: Hour = 5
    full_weekday: int = Field(6, ge=0, le=6, strict=True)
    delta_daily: StrictBool = True
    enabled: StrictBool = True


class ExportSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # the title or sourcedId of the SIS category for marks whose category matches none
    default_category: str | None = Field(None, min_length=1, max_length=200)


class FilterSettings(BaseModel):
    """Which sections a sync offers: by term and by class-code pattern (shared/sync/filters.py)."""

    model_config = ConfigDict(extra="forbid")
    term_ids: list[SchoolId] | None = Field(None, max_length=1000)
    course_code_patterns: list[Pattern] | None = Field(None, max_length=100)


class SyncSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    selected_schools: list[SchoolId] | None = Field(None, max_length=10_000)
    guards: GuardSettings | None = None
    accounts: AccountSettings | None = None
    schedule: ScheduleSettings | None = None
    export_enabled: StrictBool | None = None
    export: ExportSettings | None = None
    filters: FilterSettings | None = None


class PageQuery(BaseModel):
    """``?limit=&cursor=``: the cursor is the ``next_cursor`` of the previous page."""

    model_config = ConfigDict(extra="forbid")
    limit: int = Field(50, ge=1, le=200)
    cursor: str | None = Field(None, min_length=1, max_length=2000)


class RunsQuery(PageQuery):
    state: RUN_STATES | None = None
    kind: Literal["full", "delta"] | None = None


class WarningsQuery(PageQuery):
    code: str | None = Field(None, min_length=1, max_length=100)
    school_id: SchoolId | None = None


class HoldsQuery(PageQuery):
    limit: int = Field(10, ge=1, le=50)


class PackageRequest(BaseModel):
    """``POST /districts/{d}/packages``: the zip the admin is about to upload."""

    model_config = ConfigDict(extra="forbid")
    filename: str = Field(min_length=1, max_length=255)
    size: int = Field(strict=True, ge=0)
    dry_run: StrictBool = False


class CsvConnection(BaseModel):
    """``PUT /districts/{d}/connection`` with ``{"source": "csv"}``: the district syncs from CSV
    packages (no URL, no secret)."""

    model_config = ConfigDict(extra="forbid")
    source: Literal["csv"]
