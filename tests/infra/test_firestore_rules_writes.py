"""infra/firestore.rules, run by the Firestore emulator: what users may create, update and
delete — a teacher edits only the app's fields of their own classes, coursework and marks, and no
client writes roles, districts, export state or sync data (see rules_world.py for the emulator and
the seeded data)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.infra.rules_world import (
    ADA,
    ALLOWED,
    C1,
    COLIN,
    DENIED,
    OTTO,
    TINA,
    Emulator,
    staff_doc,
)


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"name": "Algebra I (period 2)", "name_source": "teacher"}, ALLOWED),
        ({"offer_state": "accepted"}, ALLOWED),
        (
            {
                "students": {
                    "s-1": {"sis_user_id": "s-1", "status": "active", "source": "sis"},
                    "s-2": {"account_id": "acc-s2", "status": "active", "source": "manual"},
                }
            },
            ALLOWED,
        ),
        # SIS-owned fields, by the fixed list and by the class's own sis_owned_fields.
        ({"sis": {"section_id": "sec-1", "school_id": "sch-1", "title": "Renamed"}}, DENIED),
        ({"origin": "manual"}, DENIED),
        ({"owner": {"account_id": "acc-otto"}}, DENIED),
        ({"archived": True}, DENIED),
        ({"sis_owned_fields": []}, DENIED),
        ({"term_label": "Spring"}, DENIED),
        # Written by mark export and the teacher API only.
        ({"export": {"state": "done"}}, DENIED),
        ({"link": {"section_id": "sec-9"}}, DENIED),
        ({"updated_by_run": "r-9"}, DENIED),
    ],
)
def test_a_teacher_edits_only_app_fields_of_their_class(
    db: Emulator, fields: dict[str, Any], expected: int
) -> None:
    assert db.update(C1, fields, TINA) == expected


def test_other_people_cannot_edit_a_class(db: Emulator) -> None:
    assert db.update(C1, {"name": "Mine now"}, OTTO) == DENIED
    assert db.update(C1, {"name": "Mine now"}, ADA) == DENIED  # admins read, teachers edit
    assert db.update(C1, {"name": "Mine now"}, None) == DENIED
    assert db.update("districts/d2/classes/sis-sec-1", {"name": "x"}, TINA) == DENIED
    assert db.update(C1, {"name": "Co-taught"}, COLIN) == ALLOWED


def test_archived_classes_are_read_only_and_classes_are_never_deleted(db: Emulator) -> None:
    assert db.get("districts/d1/classes/sis-sec-3", TINA) == ALLOWED
    assert db.update("districts/d1/classes/sis-sec-3", {"name": "Revived"}, TINA) == DENIED
    assert db.delete(C1, TINA) == DENIED
    assert db.delete(C1, ADA) == DENIED


@pytest.mark.parametrize(
    ("class_id", "fields", "expected"),
    [
        (
            "my-class-1",
            {"origin": "manual", "name": "Club", "owner": {"account_id": "acc-tina"}},
            ALLOWED,
        ),
        (
            "sis-fake",
            {"origin": "manual", "name": "Club", "owner": {"account_id": "acc-tina"}},
            DENIED,
        ),
        (
            "my-class-2",
            {"origin": "sis", "name": "Club", "owner": {"account_id": "acc-tina"}},
            DENIED,
        ),
        (
            "my-class-3",
            {"origin": "manual", "name": "Club", "owner": {"account_id": "acc-otto"}},
            DENIED,
        ),
        (
            "my-class-4",
            {
                "origin": "manual",
                "name": "Club",
                "owner": {"account_id": "acc-tina"},
                "sis": {"section_id": "sec-1"},
            },
            DENIED,
        ),
    ],
)
def test_a_teacher_creates_hand_made_classes_only(
    db: Emulator, class_id: str, fields: dict[str, Any], expected: int
) -> None:
    assert db.create(f"districts/d1/classes/{class_id}", fields, TINA) == expected


def test_coursework_and_marks_keep_export_state_out_of_client_hands(db: Emulator) -> None:
    work = f"{C1}/coursework"
    assert db.create(f"{work}/a-3", {"title": "Essay", "max_points": 20}, TINA) == ALLOWED
    assert db.create(f"{work}/a-4", {"title": "X", "export": {"state": "sent"}}, TINA) == DENIED
    assert db.create(f"{work}/a-5", {"title": "Essay"}, OTTO) == DENIED
    assert db.update(f"{work}/a-1", {"title": "Quiz 1 (retake)"}, TINA) == ALLOWED
    assert db.update(f"{work}/a-1", {"export": {"state": "unchanged"}}, TINA) == DENIED
    assert db.update(f"{work}/a-1/marks/s-1", {"score": 10}, COLIN) == ALLOWED
    assert db.update(f"{work}/a-1/marks/s-1", {"export": {"state": "failed"}}, TINA) == DENIED
    assert db.update(f"{work}/a-1/marks/s-1", {"score": 0}, OTTO) == DENIED
    assert db.create(f"{work}/a-1/marks/s-2", {"score": 7, "status": "graded"}, TINA) == ALLOWED
    # An assignment already in the SIS stays; a draft never exported may go.
    assert db.delete(f"{work}/a-1", TINA) == DENIED
    assert db.delete(f"{work}/a-2", TINA) == ALLOWED
    assert db.delete(f"{work}/a-1/marks/s-1", TINA) == DENIED
    # Nothing is added to an archived class.
    archived = "districts/d1/classes/sis-sec-3/coursework"
    assert db.create(f"{archived}/a-1", {"title": "Late"}, TINA) == DENIED


def test_no_client_writes_roles_districts_or_sync_data(db: Emulator) -> None:
    assert db.update(staff_doc("d1", TINA), {"role": "admin"}, TINA) == DENIED
    assert db.update(staff_doc("d1", TINA), {"role": "admin"}, ADA) == DENIED
    assert db.create(staff_doc("d2", TINA), {"role": "admin"}, TINA) == DENIED
    assert db.update("districts/d1", {"export_enabled": False}, ADA) == DENIED
    assert db.update("districts/d1/runs/r-1", {"state": "failed"}, ADA) == DENIED
    assert db.create("districts/d1/accounts/acc-new", {"match_keys": {}}, TINA) == DENIED
