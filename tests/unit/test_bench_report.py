"""The bench's goals table shows an unchanged delta beside the full sync, with no goal of its own:
what every delta costs at least; a run that left the delta out says so."""

from __future__ import annotations

from bench.report import delta_floor_row, table

SIZE = {
    "raw_write": {"docs_per_second": 7000},
    "sync": {
        "sis_records": 75_000,
        "full": {"seconds": 20.0},
        "unchanged_delta": {"seconds": 3.0, "record_documents_written": 0},
        "delta": {"seconds": 6.0},
        "delta_records_changed": 750,
    },
    "peak_rss_mib": {"functions": 200.0},
}


def test_the_unchanged_delta_is_shown_as_a_share_of_the_full_sync() -> None:
    row = delta_floor_row(SIZE)
    assert row.value == 0.15 and row.met is None
    assert row.cell() == "0.15 (3.0 s, 0 writes)"
    line = next(li for li in table({10_000: SIZE}).splitlines() if "unchanged delta" in li)
    assert "0.15 (3.0 s, 0 writes)" in line and "beside the delta" in line


def test_a_run_without_the_delta_says_it_was_not_run() -> None:
    sync = {k: v for k, v in SIZE["sync"].items() if k != "unchanged_delta"}
    assert delta_floor_row({**SIZE, "sync": sync}).cell() == "not run (--stages)"
