"""What another run's sighting writes on the district's record of a warning
(shared/sync/warning_log.py ``seen_again``): the count always; the text, last seen and epoch
when it is the latest sighting, the text only where the stored one differs (a quiet school
replays the stored text, so its update carries no text at all). Pure."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, replace

from shared.sync.model import DataWarning
from shared.sync.warning_log import first_record, seen_again

WARNING = DataWarning(
    "no_matching_account", "users", "stu-1", "no app account has this email", "Create one", "s1"
)
T0 = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
T1 = T0 + dt.timedelta(days=1)
SIGHTING = {"last_seen_run": "r2", "last_seen_at": T1, "epoch": "r2"}


def test_a_replayed_warning_updates_the_count_and_the_last_sighting_only() -> None:
    stored = first_record(WARNING, "r1", "r1", T0)
    assert seen_again(WARNING, "r2", "r2", T1, stored) == {
        "runs_seen": 2,
        "recent_runs": "r1 r2",
        **SIGHTING,
    }


def test_a_changed_text_is_written_field_by_field() -> None:
    stored = first_record(WARNING, "r1", "r1", T0)
    changed = replace(WARNING, reason="two app accounts have this email")
    update = seen_again(changed, "r2", "r2", T1, stored)
    assert {k: v for k, v in update.items() if k in asdict(WARNING)} == {
        "reason": "two app accounts have this email"
    }


def test_a_record_read_without_its_text_gets_the_whole_text() -> None:
    stored = {"recent_runs": ["r1"], "runs_seen": 1, "last_seen_at": T0}
    assert seen_again(WARNING, "r2", "r2", T1, stored) == {
        "runs_seen": 2,
        "recent_runs": "r1 r2",
        **asdict(WARNING),
        **SIGHTING,
    }


def test_a_late_sighting_only_counts() -> None:
    stored = first_record(WARNING, "r3", "r3", T1)
    assert seen_again(replace(WARNING, reason="old"), "r2", "r2", T0, stored) == {
        "runs_seen": 2,
        "recent_runs": "r3 r2",
    }
