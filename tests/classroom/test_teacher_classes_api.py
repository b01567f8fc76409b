"""The teacher class endpoints' answers on a seeded class (no SIS): who may see what, the
states a change needs, the audit record, and bad input."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest
import requests

from shared.ids import safe_id
from shared.store import layout
from shared.sync.apply import new_class_document
from shared.sync.model import ClassChange
from tests.conftest import SyncHarness

OWNER = "owner@district.example.org"
OTHER = "other-teacher@district.example.org"
_ids = itertools.count(1)


class Seeded:
    def __init__(self, harness: SyncHarness) -> None:
        self.harness = harness
        self.district = f"classes-api-{next(_ids)}-{dt.datetime.now().timestamp():.0f}"
        change = ClassChange(
            "sis-sec-1",
            "sec-1",
            "sch-1",
            create=True,
            sis_title="Biology",
            owner_id="t-1",
            add_students=("s-1", "s-2"),
        )
        doc = new_class_document(change, {}, dt.datetime.now(dt.UTC), "r0")
        db = harness.db
        db.document(layout.class_doc(self.district, "sis-sec-1")).set(doc)
        db.document(layout.staff(self.district, OWNER)).set(
            {"role": "teacher", "sis_user_id": "t-1"}
        )
        db.document(layout.staff(self.district, OTHER)).set(
            {"role": "teacher", "sis_user_id": "t-2"}
        )

    def call(
        self, method: str, path: str, body: Any = None, email: str = OWNER, district: str = ""
    ) -> requests.Response:
        return requests.request(
            method,
            f"{self.harness.functions}/export_teacher/districts/{district or self.district}{path}",
            json=body,
            headers=self.harness.headers(email),
            timeout=30,
        )

    def stored(self) -> dict[str, Any]:
        return (
            self.harness.db.document(layout.class_doc(self.district, "sis-sec-1")).get().to_dict()
        )


@pytest.fixture
def seeded(sync_harness) -> Seeded:
    return Seeded(sync_harness)


def test_a_caller_of_another_district_is_told_the_class_does_not_exist(seeded: Seeded):
    other = Seeded(seeded.harness)
    answer = seeded.call(
        "POST",
        "/classes/sis-sec-1/accept",
        district=other.district,
        email="stranger@elsewhere.example.org",
    )
    missing = seeded.call(
        "POST",
        "/classes/no-such-class/accept",
        district=other.district,
        email="stranger@elsewhere.example.org",
    )
    assert (answer.status_code, missing.status_code) == (404, 404)
    assert other.stored()["offer_state"] == "pending"


def test_another_teacher_of_the_district_is_refused_the_class(seeded: Seeded):
    answer = seeded.call("POST", "/classes/sis-sec-1/decline", email=OTHER)
    assert answer.status_code == 403
    assert seeded.stored()["offer_state"] == "pending"


def test_another_teacher_does_not_see_the_class_in_their_list(seeded: Seeded):
    assert seeded.call("GET", "/classes", email=OTHER).json() == {"classes": []}


def test_an_archived_class_cannot_be_accepted_and_the_answer_names_the_state(seeded: Seeded):
    seeded.harness.db.document(layout.class_doc(seeded.district, "sis-sec-1")).update(
        {"archived": True}
    )
    answer = seeded.call("POST", "/classes/sis-sec-1/accept")
    assert answer.status_code == 409
    assert "archived" in answer.json()["error"]["message"]


def test_an_accepted_class_cannot_be_declined(seeded: Seeded):
    seeded.call("POST", "/classes/sis-sec-1/accept")
    answer = seeded.call("POST", "/classes/sis-sec-1/decline")
    assert answer.status_code == 409
    assert seeded.stored()["offer_state"] == "accepted"


def test_each_change_leaves_an_audit_record_of_who_did_what_when(seeded: Seeded):
    seeded.call("PATCH", "/classes/sis-sec-1", {"name": "Bio 101"})
    audit = [
        d.to_dict() for d in seeded.harness.db.collection(layout.audit(seeded.district)).stream()
    ]
    assert len(audit) == 1
    assert {k: audit[0][k] for k in ("actor", "action", "target", "details")} == {
        "actor": OWNER,
        "action": "class.rename",
        "target": "classes/sis-sec-1",
        "details": {"name": "Bio 101"},
    }
    assert isinstance(audit[0]["at"], dt.datetime)


def test_a_repeated_change_changes_nothing_and_records_nothing_more(seeded: Seeded):
    first = seeded.call("POST", "/classes/sis-sec-1/accept").json()
    again = seeded.call("POST", "/classes/sis-sec-1/accept").json()
    assert (first["changed"], again["changed"]) == (True, False)
    assert len(list(seeded.harness.db.collection(layout.audit(seeded.district)).stream())) == 1


def test_undoing_a_hand_removal_hands_the_student_back_to_the_sis(seeded: Seeded):
    seeded.call("DELETE", "/classes/sis-sec-1/students/s-1")
    answer = seeded.call(
        "POST", "/classes/sis-sec-1/changes/undo", {"change": "students", "sis_user_id": "s-1"}
    )
    assert answer.status_code == 200
    entry = seeded.stored()["students"][safe_id("s-1")]
    assert (entry["status"], entry["removed_by"], entry["changed_by"]) == ("removed", "sis", OWNER)


def test_undoing_a_rename_brings_back_the_sis_title(seeded: Seeded):
    seeded.call("PATCH", "/classes/sis-sec-1", {"name": "Bio 101"})
    seeded.call("POST", "/classes/sis-sec-1/changes/undo", {"change": "rename"})
    assert (seeded.stored()["name"], seeded.stored()["name_source"]) == ("Biology", "sis")


def test_removing_someone_who_is_not_a_member_is_a_404(seeded: Seeded):
    assert seeded.call("DELETE", "/classes/sis-sec-1/students/s-9").status_code == 404


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("PATCH", "/classes/sis-sec-1", {"name": "  "}, "name"),
        ("PATCH", "/classes/sis-sec-1", {"name": "a\u0007b"}, "name"),
        ("POST", "/classes/sis-sec-1/students", {"sis_user_id": " s-1"}, "sis_user_id"),
        ("POST", "/classes/sis-sec-1/changes/undo", {"change": "students"}, "sis_user_id"),
        ("GET", "/classes?state=gone", None, "state"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(seeded: Seeded, method, path, body, field):
    answer = seeded.call(method, path, body)
    assert answer.status_code == 400
    assert field in answer.json()["error"]["message"]
