"""Malformed calls to the admin and teacher functions, as functions-framework serves them, against
the Firestore emulator: each gets a 4xx that names what is wrong, never a 500 (issue 16, rows 10
and 11)."""

from __future__ import annotations

import pytest

from shared.store import layout
from tests.functions.conftest import CLASS_ID, DISTRICT, STRANGER, TEACHER, message

# ---- ids Firestore cannot store ------------------------------------------------------------------


@pytest.mark.parametrize("bad_id", [".", "..", "__x__", "a" * 2000, "x~" * 900])
def test_a_run_id_firestore_cannot_store_answers_404(seeded, bad_id: str) -> None:
    response = seeded.send("sync_admin", "GET", f"/districts/{DISTRICT}/runs/{bad_id}")
    assert response.status_code == 404, response.get_data(as_text=True)


@pytest.mark.parametrize("bad_id", ["__x__", "a" * 2000])
def test_a_district_id_firestore_cannot_store_answers_404(seeded, bad_id: str) -> None:
    response = seeded.send("sync_admin", "POST", f"/districts/{bad_id}/runs", {"kind": "full"})
    assert response.status_code == 404, response.get_data(as_text=True)


@pytest.mark.parametrize("bad_id", ["__x__", "..", "b" * 2000])
def test_a_class_id_firestore_cannot_store_answers_404(seeded, bad_id: str) -> None:
    response = seeded.send(
        "export_teacher", "GET", f"/districts/{DISTRICT}/classes/{bad_id}/export", email=TEACHER
    )
    assert response.status_code == 404, response.get_data(as_text=True)


# ---- numbers, booleans and bodies ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("guards", "field"),
    [
        ('{"guards": {"max_fraction": Infinity}}', "max_fraction"),
        ('{"guards": {"max_fraction": NaN}}', "max_fraction"),
        ('{"guards": {"max_fraction": 1e999}}', "max_fraction"),
        ('{"guards": {"max_fraction": -0.5}}', "max_fraction"),
        ('{"guards": {"max_count": -3}}', "max_count"),
        ('{"guards": {"max_count": 2.5}}', "max_count"),
    ],
)
def test_guard_thresholds_must_be_finite_and_in_range(seeded, guards: str, field: str) -> None:
    response = seeded.send(
        "sync_admin", "PATCH", f"/districts/{DISTRICT}/settings", raw=guards.encode()
    )
    stored = seeded.db.document(layout.district(DISTRICT)).get().to_dict()
    assert response.status_code == 400, response.get_data(as_text=True)
    assert field in message(response) or "JSON" in message(response)
    assert "guards" not in stored


def test_create_accounts_must_be_a_real_boolean(seeded) -> None:
    response = seeded.send(
        "sync_admin",
        "PATCH",
        f"/districts/{DISTRICT}/settings",
        {"accounts": {"create_accounts": "no"}},
    )
    stored = seeded.db.document(layout.district(DISTRICT)).get().to_dict()
    assert response.status_code == 400, response.get_data(as_text=True)
    assert "create_accounts" in message(response)
    assert "accounts" not in stored


@pytest.mark.parametrize("raw", [b"null", b"not json", b"[]", b"0", b'"full"'])
def test_a_run_request_that_is_not_a_json_object_is_refused_and_starts_nothing(
    seeded, raw: bytes
) -> None:
    before = len(list(seeded.db.collection(layout.runs(DISTRICT)).stream()))
    response = seeded.send("sync_admin", "POST", f"/districts/{DISTRICT}/runs", raw=raw)
    after = len(list(seeded.db.collection(layout.runs(DISTRICT)).stream()))
    assert response.status_code == 400, response.get_data(as_text=True)
    assert "body" in message(response)
    assert after == before


def test_a_deeply_nested_body_is_refused(seeded) -> None:
    raw = ("[" * 100_000 + "]" * 100_000).encode()
    response = seeded.send("sync_admin", "PATCH", f"/districts/{DISTRICT}/settings", raw=raw)
    assert response.status_code == 400, response.get_data(as_text=True)
    assert "nest" in message(response)


def test_a_settings_body_over_the_size_limit_is_refused_with_413(seeded) -> None:
    schools = [f"sch-{n:07d}" for n in range(100_000)]  # about 1.3 MB
    response = seeded.send(
        "sync_admin", "PATCH", f"/districts/{DISTRICT}/settings", {"selected_schools": schools}
    )
    assert response.status_code == 413, response.get_data(as_text=True)
    assert "KiB" in message(response)


# ---- a stranger learns nothing (404) -------------------------------------------------------------


def test_a_stranger_gets_the_same_answer_whether_a_class_exists_or_not(seeded) -> None:
    existing = seeded.send(
        "export_teacher", "GET", f"/districts/{DISTRICT}/classes/{CLASS_ID}/export", email=STRANGER
    )
    missing = seeded.send(
        "export_teacher", "GET", f"/districts/{DISTRICT}/classes/sis-nope/export", email=STRANGER
    )
    assert existing.status_code == missing.status_code == 404
    assert message(existing) == message(missing)


# ---- run status (row 11) -------------------------------------------------------------------------


def test_a_run_that_failed_before_any_page_reports_whole_page_counts(seeded) -> None:
    seeded.db.document(layout.run(DISTRICT, "failed-early")).set(
        {"state": "failed", "kind": "full", "failure": {"reason": "x", "where": "start"}}
    )
    response = seeded.send("sync_admin", "GET", f"/districts/{DISTRICT}/runs/failed-early")
    progress = response.get_json()["progress"]
    assert response.status_code == 200
    assert progress == {"pages_done": 0, "pages_known": 0, "total_final": True}
    assert type(progress["pages_done"]) is int and type(progress["pages_known"]) is int
    assert '"pages_done":0,' in response.get_data(as_text=True).replace(" ", "")


TEXT = {"reason": "seeded by the test", "fix": "nothing"}  # every stored warning has both


def test_the_status_counts_warnings_and_a_filter_by_kind_finds_the_runs_own(seeded) -> None:
    run = layout.run(DISTRICT, "many-warnings")
    seeded.db.document(run).set({"state": "succeeded_with_warnings", "kind": "full"})
    batch = seeded.db.batch()
    for n in range(250):
        batch.set(
            seeded.db.document(f"{run}/warnings/{n:04d}"),
            {"code": "no_matching_account", "sourced_id": f"u{n}", "school_id": "sch-1", **TEXT},
        )
    batch.set(
        seeded.db.document(f"{run}/warnings/ffff"),
        {"code": "selected_school_missing", "sourced_id": "sch-9", "school_id": None, **TEXT},
    )
    batch.commit()
    status = seeded.send("sync_admin", "GET", f"/districts/{DISTRICT}/runs/many-warnings").json
    path = f"/districts/{DISTRICT}/runs/many-warnings/warnings?code=selected_school_missing"
    found = seeded.send("sync_admin", "GET", path).json["warnings"]
    assert ("warnings" not in status, status["warnings_total"]) == (True, 251)
    assert [w["sourced_id"] for w in found] == ["sch-9"]
