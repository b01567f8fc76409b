"""Teacher changes and the sync's apply on the same class at the same moment lose nothing: on
the in-memory store (many repetitions) and on the Firestore emulator, where each teacher change
is a transaction."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest
from google.cloud import firestore

from shared.adapters.firestore_store import FirestoreStore
from shared.store import layout
from shared.store.ports import DocumentStore
from tests.classroom.race import lost_changes, run_together, seed_class, sync_apply, teacher_changes


def _race(store: DocumentStore, district_id: str, repetitions: int) -> list[list[str]]:
    losses = []
    for _ in range(repetitions):
        seed_class(store, district_id)
        run_together(
            lambda: teacher_changes(store, district_id), lambda: sync_apply(store, district_id)
        )
        doc = store.get(layout.class_doc(district_id, "sis-sec-1"))
        assert doc is not None
        losses.append(lost_changes(doc))
    return losses


@pytest.fixture
def fine_thread_switching() -> Iterator[None]:
    """Threads switch every microsecond, so the two sides interleave inside each other."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(before)


@pytest.mark.usefixtures("fine_thread_switching")
def test_teacher_changes_racing_the_sync_apply_in_memory_lose_nothing(step_world) -> None:
    losses = _race(step_world.store, "d1", repetitions=300)
    assert losses == [[]] * 300


@pytest.mark.usefixtures("local_stack")
def test_teacher_changes_racing_the_sync_apply_on_firestore_lose_nothing(local_stack) -> None:
    project = local_stack.env()["GOOGLE_CLOUD_PROJECT"]
    store = FirestoreStore(firestore.Client(project=project))
    losses = _race(store, "race-district", repetitions=4)  # the in-memory test repeats 300 times
    assert losses == [[]] * 4
