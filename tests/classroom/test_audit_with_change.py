"""A teacher's change and its audit entry are one transaction: a store that fails writing the
audit entry leaves the class as it was (MemoryStore), and on the Firestore emulator both are
written, one entry per change."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from typing import Any

import pytest
from google.cloud import firestore

from shared.adapters.firestore_store import FirestoreStore
from shared.classroom import offers, roster_changes
from shared.store import layout
from shared.store.memory import MemoryStore
from shared.store.ports import Write
from tests.classroom.member_race import CLASS_ID, NOW, actor, member, seed_class


class AuditFails(MemoryStore):
    """Fails every write to the audit trail, after the class write it follows."""

    @staticmethod
    def _refuse(path: str) -> None:
        if "/audit/" in path:
            raise ConnectionError("the store went away")

    def set(self, path: str, data: Mapping[str, Any], *, merge: bool = False) -> None:
        self._refuse(path)
        super().set(path, data, merge=merge)

    def commit(self, writes: Iterable[Write]) -> int:
        writes = list(writes)
        for write in writes:
            self._refuse(write.path)
        return super().commit(writes)


def test_a_failed_audit_write_leaves_no_unrecorded_change() -> None:
    store = AuditFails()
    seed_class(store, "d1")
    before = store.get(layout.class_doc("d1", CLASS_ID))
    with pytest.raises(ConnectionError):
        roster_changes.remove_member(store, actor("d1"), CLASS_ID, "students", "s-kept", NOW)
    with pytest.raises(ConnectionError):
        offers.rename(store, actor("d1"), CLASS_ID, "Lab 4", NOW)
    assert store.get(layout.class_doc("d1", CLASS_ID)) == before
    assert store.paths(layout.audit("d1")) == []


@pytest.mark.usefixtures("local_stack")
def test_the_change_and_its_audit_entry_are_written_together_on_firestore(local_stack) -> None:
    store = FirestoreStore(firestore.Client(project=local_stack.env()["GOOGLE_CLOUD_PROJECT"]))
    district = f"audit-tx-{time.time_ns()}"
    seed_class(store, district)
    assert roster_changes.remove_member(store, actor(district), CLASS_ID, "students", "s-kept", NOW)
    doc = store.get(layout.class_doc(district, CLASS_ID)) or {}
    assert member(doc, "students", "s-kept") == ("removed", "sis", "teacher")
    entries = [d.data for d in store.query(layout.audit(district))]
    assert [(e["action"], e["target"], e["details"]) for e in entries] == [
        ("class.student.remove", f"classes/{CLASS_ID}", {"sis_user_id": "s-kept"})
    ]
