"""The run's outcome from its ended schools: state, summed counts, the exact warning count."""

from __future__ import annotations

from shared.sync.runs import run_outcome


def test_a_failed_school_fails_the_run_and_says_where() -> None:
    outcome = run_outcome(
        [{"state": "applied"}, {"state": "failed", "reason": "boom", "where": "fetching s2"}], 0
    )
    assert outcome["state"] == "failed"
    assert outcome["failure"] == {"reason": "boom", "where": "fetching s2"}


def test_a_held_school_holds_the_run() -> None:
    assert run_outcome([{"state": "held"}, {"state": "applied"}], 0)["state"] == "held"


def test_warnings_make_success_with_warnings() -> None:
    assert run_outcome([{"state": "applied"}], 3)["state"] == "succeeded_with_warnings"
    assert run_outcome([{"state": "applied"}], 0)["state"] == "succeeded"


def test_counts_are_summed_over_schools() -> None:
    schools = [
        {"state": "applied", "counts": {"students_added": 2}},
        {"state": "applied", "counts": {"students_added": 3}},
    ]
    assert run_outcome(schools, 0)["counts"] == {"students_added": 5}


def test_a_warning_seen_by_two_school_steps_is_counted_once() -> None:
    schools = [
        {"state": "applied", "counts": {"warnings": 2}},
        {"state": "applied", "counts": {"warnings": 2}},
    ]
    assert run_outcome(schools, 3)["counts"]["warnings"] == 3
