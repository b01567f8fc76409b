"""Roster sync's safeguards through the real stack (admin API → Cloud Tasks emulator → task
handlers → Firestore emulator, against a local OneRoster SIS): a removed section is archived, a
mass removal is held until an admin approves it, and a failed fetch or a suspiciously empty answer
fails the run and removes nothing."""

from __future__ import annotations

from tests.conftest import active
from tests.sync.sync_checks import expected_classes


def test_removed_section_archives_and_mass_removal_is_held_until_approved(
    make_sis, sync_harness
) -> None:
    running = make_sis(students=120)
    district = sync_harness.register(running)
    sync_harness.sync(district)
    store = running.sis.store
    sections = sorted(expected_classes(running))
    gone = sections[0].removeprefix("sis-")
    store.delete("classes", gone)
    emptied = {s.removeprefix("sis-") for s in sections[1:6]}
    for enrollment in list(store.all("enrollments")):
        if enrollment["class"]["sourcedId"] in emptied and enrollment["role"] == "student":
            store.delete("enrollments", enrollment["sourcedId"])
    status = sync_harness.sync(district)
    assert status["state"] == "held", status
    school = next(iter(status["schools"].values()))
    assert school["held_counts"]["students_removed"] > 25
    classes = sync_harness.classes(district)
    assert classes[sections[0]]["archived"] is True  # 1 archive is under the threshold
    for class_id in sections[1:6]:
        assert active(classes[class_id]["students"])  # held: nobody removed yet
    decided = sync_harness.admin(
        "POST", district, f"/runs/{status['run_id']}/decision", {"decision": "approve"}
    )
    assert decided.status_code == 200, decided.text
    classes = sync_harness.classes(district)
    for class_id in sections[1:6]:
        assert not active(classes[class_id]["students"])
        assert classes[class_id]["students"]  # marked removed, never deleted


def test_failed_fetch_fails_the_run_with_reason_and_removes_nothing(make_sis, sync_harness) -> None:
    running = make_sis(students=60)
    district = sync_harness.register(running)
    sync_harness.sync(district)
    before = sync_harness.classes(district)
    running.sis.issuer.set_clients({"test-client": "rotated-secret"})
    running.sis.issuer.expire_all()
    status = sync_harness.sync(district)
    assert status["state"] == "failed"
    assert "secret" in status["failure"]["reason"]
    assert status["failure"]["where"]
    assert sync_harness.classes(district) == before


def test_empty_response_is_suspect_and_removes_nothing(make_sis, sync_harness) -> None:
    running = make_sis(students=60)
    district = sync_harness.register(running)
    sync_harness.sync(district)
    before = sync_harness.classes(district)
    for enrollment in list(running.sis.store.all("enrollments")):
        running.sis.store.delete("enrollments", enrollment["sourcedId"])
    status = sync_harness.sync(district)
    assert status["state"] == "failed"
    assert "suspect" in status["failure"]["reason"]
    assert sync_harness.classes(district) == before
