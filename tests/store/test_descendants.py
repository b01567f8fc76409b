"""``descendants``: every document of the collections of one name under a document, in one
query, on the in-memory store and on the Firestore emulator alike (mark export reads a class's
marks this way)."""

from __future__ import annotations

import os

from google.cloud import firestore

from shared.adapters.firestore_store import FirestoreStore
from shared.store.memory import MemoryStore
from shared.store.ports import DocumentStore, Write
from tools.localstack import LocalStack


def _world(store: DocumentStore, root: str) -> None:
    store.commit(
        [
            Write("set", f"{root}/classes/c1", {"name": "class"}),
            Write("set", f"{root}/classes/c1/coursework/a2/marks/s1", {"score": 2}),
            Write("set", f"{root}/classes/c1/coursework/a1/marks/s2", {"score": 1}),
            Write("set", f"{root}/classes/c1/coursework/a1/marks/s1", {"score": 3}),
            Write("set", f"{root}/classes/c1/coursework/a1", {"title": "not a mark"}),
            Write("set", f"{root}/classes/c1/notes/marks", {"title": "named marks, not in one"}),
            Write("set", f"{root}/classes/c10/coursework/a1/marks/s1", {"score": 9}),
            Write("set", f"{root}/classes/c2/coursework/a1/marks/s1", {"score": 8}),
        ]
    )


def _read(store: DocumentStore, root: str) -> list[tuple[str, str, int]]:
    prefix = f"{root}/classes/c1/"
    return [
        (doc.id, doc.path.removeprefix(prefix), doc.data["score"])
        for doc in store.descendants(f"{root}/classes/c1", "marks")
    ]


EXPECTED = [
    ("s1", "coursework/a1/marks/s1", 3),
    ("s2", "coursework/a1/marks/s2", 1),
    ("s1", "coursework/a2/marks/s1", 2),
]


def test_the_memory_store_reads_the_marks_under_one_class_in_path_order() -> None:
    store = MemoryStore()
    _world(store, "districts/d")
    assert _read(store, "districts/d") == EXPECTED


def test_firestore_reads_the_same_marks_in_one_query(local_stack: LocalStack) -> None:
    project = local_stack.env()["GOOGLE_CLOUD_PROJECT"]
    store = FirestoreStore(firestore.Client(project=project))
    root = f"districts/descendants-{os.getpid()}"
    _world(store, root)
    assert _read(store, root) == EXPECTED
