"""``versions``: the id and version of each document a query finds, without the data, on the
in-memory store and on the Firestore emulator alike (a quiet school compares its classes'
versions before reading them, shared/sync/quiet.py). Every write of a document moves its
version, a write of another document does not, and a query reads the same versions."""

from __future__ import annotations

import os

from shared.store.ports import DocumentStore, Filter, Write


def test_a_write_moves_the_version_of_its_document_only(store: DocumentStore) -> None:
    classes = f"districts/versions-{os.getpid()}/classes"
    ours = (Filter("origin", "==", "sis"), Filter("sis.school_id", "==", "s1"))
    store.commit(
        [
            Write("set", f"{classes}/c1", {"origin": "sis", "sis": {"school_id": "s1"}}),
            Write("set", f"{classes}/c2", {"origin": "sis", "sis": {"school_id": "s1"}}),
            Write("set", f"{classes}/c3", {"origin": "sis", "sis": {"school_id": "s2"}}),
        ]
    )
    before = store.versions(classes, *ours)
    assert sorted(before) == ["c1", "c2"] and all(before.values())
    read = {doc.id: doc.version for doc in store.query(classes, *ours)}
    assert read == before
    store.set(f"{classes}/c3", {"name": "another school's class"}, merge=True)
    assert store.versions(classes, *ours) == before
    store.set(f"{classes}/c2", {"export": {"state": "done"}}, merge=True)
    after = store.versions(classes, *ours)
    assert after["c1"] == before["c1"] and after["c2"] != before["c2"]


def test_versions_by_path_are_the_versions_a_query_reads(store: DocumentStore) -> None:
    classes = f"districts/versions-at-{os.getpid()}/classes"
    store.commit(
        [
            Write("set", f"{classes}/c1", {"origin": "sis", "title": "Algebra"}),
            Write("set", f"{classes}/c2", {"origin": "sis", "title": "Biology"}),
        ]
    )
    paths = [f"{classes}/c1", f"{classes}/c2", f"{classes}/gone"]
    by_path = store.versions_at(paths)
    queried = store.versions(classes)
    assert by_path == {f"{classes}/{i}": v for i, v in queried.items()}
    store.set(f"{classes}/c2", {"title": "Chemistry"}, merge=True)
    again = store.versions_at(paths)
    assert again[paths[0]] == by_path[paths[0]] and again[paths[1]] != by_path[paths[1]]
    assert store.versions_at([]) == {}
