"""The pure parts of the admin reads: cursors, one page after another on the in-memory store,
warnings grouped per kind, and the settings view without the secret."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.errors import InvalidInput
from shared.store.cursors import decode_cursor, encode_cursor, read_page
from shared.store.memory import MemoryStore
from shared.store.ports import DOC_ID, Filter, Order
from shared.sync.admin_reads import group_warnings, settings_view

NEWEST_FIRST = (Order("created_at", descending=True), Order(DOC_ID, descending=True))
values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.text(),
    st.datetimes(timezones=st.just(dt.UTC)),
)


@given(st.lists(values, max_size=4))
def test_a_cursor_decodes_to_the_values_it_was_made_of(row: list[object]) -> None:
    assert decode_cursor(encode_cursor(row), len(row)) == row


@pytest.mark.parametrize("bad", ["!!", "bm90IGpzb24", encode_cursor(["a"]), "e30"])
def test_a_cursor_this_api_did_not_give_is_refused_naming_the_cursor(bad: str) -> None:
    with pytest.raises(InvalidInput, match=r"^cursor: "):
        decode_cursor(bad, 2)


def _runs(store: MemoryStore, count: int) -> None:
    start = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    for n in range(count):
        at = start + dt.timedelta(minutes=n // 2)  # pairs share a time: the id breaks the tie
        kind = "full" if n % 3 else "delta"
        store.set(f"districts/d/runs/r{n:03d}", {"created_at": at, "kind": kind})


@given(st.integers(1, 9))
def test_paging_returns_every_run_once_newest_first(limit: int) -> None:
    store = MemoryStore()
    _runs(store, 23)
    seen, cursor = [], None
    while True:
        page = read_page(store, "districts/d/runs", order=NEWEST_FIRST, limit=limit, cursor=cursor)
        seen += [doc.id for doc in page.docs]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == sorted((f"r{n:03d}" for n in range(23)), reverse=True)


def test_a_filtered_page_holds_only_matching_runs_and_ends_without_a_cursor() -> None:
    store = MemoryStore()
    _runs(store, 9)
    page = read_page(
        store, "districts/d/runs", Filter("kind", "==", "delta"), order=NEWEST_FIRST, limit=5
    )
    assert [doc.id for doc in page.docs] == ["r006", "r003", "r000"]
    assert page.next_cursor is None


def test_warnings_group_per_kind_with_the_fix_most_frequent_first() -> None:
    warnings = [
        {"code": "missing_email", "record_kind": "user", "fix": "enter it", "school_id": "s1"},
        {"code": "missing_email", "record_kind": "user", "fix": "enter it", "school_id": "s2"},
        {
            "code": "selected_school_missing",
            "record_kind": "org",
            "fix": "check",
            "school_id": None,
        },
    ]
    assert group_warnings(warnings) == [
        {
            "code": "missing_email",
            "record_kind": "user",
            "count": 2,
            "fix": "enter it",
            "schools": 2,
        },
        {
            "code": "selected_school_missing",
            "record_kind": "org",
            "count": 1,
            "fix": "check",
            "schools": 0,
        },
    ]


def test_the_settings_view_never_shows_the_secret_name() -> None:
    doc = {"secret_name": "projects/p/secrets/s", "connected": True, "export": {"x": 1}, "z": 2}
    assert settings_view(doc) == {"connected": True, "export": {"x": 1}}
