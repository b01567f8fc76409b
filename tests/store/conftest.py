"""The document store a test of this folder runs on: the in-memory store and the Firestore
emulator alike (``store``), so both keep the port's promises."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from google.cloud import firestore

from shared.adapters.firestore_store import FirestoreStore
from shared.store.memory import MemoryStore
from shared.store.ports import DocumentStore
from tools.localstack import LocalStack


@pytest.fixture(params=["memory", "firestore"])
def store(request: pytest.FixtureRequest) -> Iterator[DocumentStore]:
    if request.param == "memory":
        yield MemoryStore()
        return
    stack: LocalStack = request.getfixturevalue("local_stack")
    yield FirestoreStore(firestore.Client(project=stack.env()["GOOGLE_CLOUD_PROJECT"]))
