"""The quiet school's pure decisions (shared/sync/quiet.py)."""

from __future__ import annotations

import datetime as dt

from shared.sync.accounts import SisPerson
from shared.sync.model import DataWarning, Term
from shared.sync.quiet import (
    QuietState,
    Unlinked,
    is_quiet,
    next_boundary,
    pages_digest,
    remembered,
    unlinked_users,
)

TODAY = dt.date(2026, 12, 6)
STATE = QuietState("in", "pages", "run-1", ("k",), 1, "2027-01-01", (), (), ())


def test_the_next_boundary_is_the_first_later_day_a_date_test_flips() -> None:
    terms = [Term("t1", dt.date(2026, 9, 1), dt.date(2027, 1, 20), "Fall")]
    enrollments = [
        {"data": {"begin_date": "2026-09-01", "end_date": "2026-12-10"}},
        {"data": {"begin_date": "2027-01-05"}},
        {"data": {}},
    ]
    assert next_boundary(enrollments, terms, TODAY) == "2026-12-11"  # the day after the end
    assert next_boundary(enrollments[1:], terms, TODAY) == "2027-01-05"
    assert next_boundary([], [], TODAY) is None


def test_only_an_unmoved_school_is_quiet() -> None:
    quiet = {"kind": "full", "written": 0, "pages": "pages", "inputs": "in", "today": TODAY}
    assert is_quiet(STATE, **quiet)
    assert not is_quiet(None, **quiet)
    assert not is_quiet(STATE, **{**quiet, "written": 1})
    assert not is_quiet(STATE, **{**quiet, "pages": "other"})
    assert is_quiet(STATE, **{**quiet, "kind": "delta", "pages": "other"})  # a delta's pages differ
    assert not is_quiet(STATE, **{**quiet, "inputs": "moved"})
    assert not is_quiet(STATE, **{**quiet, "today": dt.date(2027, 1, 1)})


def test_the_pages_digest_ignores_the_order_of_pages_and_ids() -> None:
    one = [("students", 0, ("a", "b")), ("classes", 0, ("c",))]
    two = [("classes", 0, ("c",)), ("students", 0, ("b", "a"))]
    assert pages_digest(one) == pages_digest(two)
    assert pages_digest(one) != pages_digest([("students", 1, ("a", "b")), ("classes", 0, ("c",))])


def test_a_school_with_too_many_warnings_keeps_no_state() -> None:
    warnings = [DataWarning("missing_email", "user", f"u{i}", "r", "f", "s") for i in range(5001)]
    kept = {"inputs": "i", "pages": None, "run_id": "r", "counted": 0, "valid_until": None}
    assert remembered(warnings=warnings, unlinked=Unlinked(), **kept) is None
    assert remembered(warnings=warnings[:10], unlinked=Unlinked(), **kept) is not None


def test_unlinked_users_are_kept_by_reason_and_only_for_the_school() -> None:
    people = {
        u: SisPerson(u, "student", "A", "B", f"{u}@x.org", None, None, ()) for u in ("u1", "u2")
    }
    warnings = [
        DataWarning("no_matching_account", "user", "u1", "r", "f", "s1"),
        DataWarning("duplicate_email", "user", "u2", "r", "f", "s1"),
        DataWarning("duplicate_email", "user", "u9", "r", "f", "s2"),  # another school's holder
    ]
    found = unlinked_users(warnings, people, "email", "s1")
    assert list(found.unmatched) == ["u1@x.org"] and not found.ambiguous
    assert len(found.shared) == 1 and found.shared[0] != "u2@x.org"  # a hash, not the address
