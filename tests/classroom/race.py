"""One class, a sync's apply and a teacher's changes at the same moment: the scenario both
concurrency tests run (on MemoryStore and on the Firestore emulator)."""

from __future__ import annotations

import datetime as dt
import random
import threading
import time
from collections.abc import Callable
from typing import Any

from shared.classroom import offers, roster_changes
from shared.classroom.access import Actor
from shared.ids import safe_id
from shared.store import layout
from shared.store.ports import DocumentStore
from shared.sync.apply import apply_changes, new_class_document
from shared.sync.model import ClassChange

TEACHER = "owner@district.example.org"
NOW = dt.datetime(2025, 3, 1, 12, tzinfo=dt.UTC)
SYNC_CHANGE = ClassChange(
    "sis-sec-1",
    "sec-1",
    "sch-1",
    sis_title="Algebra II (new title)",
    add_students=("s-new",),
    remove_students=("s-gone",),
    add_co_teachers=("t-sis",),
)


def seed_class(store: DocumentStore, district_id: str) -> None:
    offer = ClassChange(
        "sis-sec-1",
        "sec-1",
        "sch-1",
        create=True,
        sis_title="Algebra II",
        owner_id="t-owner",
        add_students=("s-gone", "s-kept", "s-out"),
    )
    store.set(layout.class_doc(district_id, "sis-sec-1"), new_class_document(offer, {}, NOW, "r0"))
    store.set(layout.staff(district_id, TEACHER), {"role": "teacher", "sis_user_id": "t-owner"})


def teacher_changes(store: DocumentStore, district_id: str) -> None:
    actor = Actor(TEACHER, district_id, {"role": "teacher", "sis_user_id": "t-owner"})
    offers.accept(store, actor, "sis-sec-1", NOW)
    offers.rename(store, actor, "sis-sec-1", "Room 12 Algebra", NOW)
    roster_changes.add_member(store, actor, "sis-sec-1", "students", "s-hand", NOW)
    roster_changes.remove_member(store, actor, "sis-sec-1", "students", "s-out", NOW)
    roster_changes.add_member(store, actor, "sis-sec-1", "co_teachers", "t-hand", NOW)


def sync_apply(store: DocumentStore, district_id: str) -> None:
    apply_changes(store, district_id, "r1", [SYNC_CHANGE], {}, NOW)


def run_together(*jobs: Callable[[], None]) -> None:
    """Starts the jobs in threads released together, each after a random pause of up to 2 ms;
    re-raises a job's error."""
    barrier, errors = threading.Barrier(len(jobs)), []

    def run(job: Callable[[], None]) -> None:
        barrier.wait()
        time.sleep(random.uniform(0, 0.002))  # each repetition, another order of the writes
        try:
            job()
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


def lost_changes(doc: dict[str, Any]) -> list[str]:
    """Every change of both sides that is not in the stored class."""
    students, co = doc["students"], doc["co_teachers"]

    def member(group: dict[str, Any], user: str) -> tuple[Any, Any, Any]:
        entry = group.get(safe_id(user)) or {}
        return entry.get("status"), entry.get("source"), entry.get("removed_by")

    expected = {
        "accepted": doc.get("offer_state") == "accepted",
        "renamed": (doc.get("name"), doc.get("name_source")) == ("Room 12 Algebra", "teacher"),
        "sis title": doc["sis"]["title"] == "Algebra II (new title)",
        "hand-added student": member(students, "s-hand") == ("active", "manual", None),
        "hand-removed student": member(students, "s-out") == ("removed", "sis", "teacher"),
        "hand-added co-teacher": member(co, "t-hand") == ("active", "manual", None),
        "sis-added student": member(students, "s-new") == ("active", "sis", None),
        "sis-removed student": member(students, "s-gone") == ("removed", "sis", "sis"),
        "untouched student": member(students, "s-kept") == ("active", "sis", None),
        "sis-added co-teacher": member(co, "t-sis") == ("active", "sis", None),
    }
    return [name for name, kept in expected.items() if not kept]
