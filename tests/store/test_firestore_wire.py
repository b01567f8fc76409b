"""The store's own protobuf path (shared/adapters/firestore_wire.py) against the client library's,
on the Firestore emulator: a document it writes reads back through the library's snapshots as the
library would have written it, a document the library writes reads back through it unchanged, and
a value it does not encode (a sentinel) goes through the library."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from typing import Any

import pytest
from google.api_core.datetime_helpers import DatetimeWithNanoseconds
from google.api_core.exceptions import NotFound, ServiceUnavailable
from google.cloud import firestore

from shared.adapters import firestore_wire as wire
from shared.adapters.firestore_store import FirestoreStore
from shared.store.memory import MemoryStore
from shared.store.ports import DELETE_FIELD, ArrayRemove, ArrayUnion, Filter, Order, Write
from tools.localstack import LocalStack

EVERY_KIND: dict[str, Any] = {
    "text": "héllo / wörld",
    "empty_text": "",
    "int": -(2**62),
    "float": 0.1,
    "whole_float": 2.0,
    "true": True,
    "false": False,
    "none": None,
    "bytes": b"\x00\xff",
    "utc": dt.datetime(2026, 12, 7, 1, 2, 3, 456789, tzinfo=dt.UTC),
    "offset": dt.datetime(2026, 12, 7, 1, 2, 3, tzinfo=dt.timezone(dt.timedelta(hours=-5))),
    "nanos": DatetimeWithNanoseconds(  # type: ignore[no-untyped-call]
        2026, 12, 7, 1, 2, 3, nanosecond=123456789, tzinfo=dt.UTC
    ),
    "map": {"a.b": 1, "with space": [1, "two", None], "nested": {"deep": {"x": True}}},
    "empty_map": {},
    "list": [1, 2.5, "x", {"k": "v"}, None],  # Firestore holds no array in an array
    "tuple": ("a", "b"),
    "empty_list": [],
    "key.with.dots": "kept literally",
}


@pytest.fixture
def client(local_stack: LocalStack) -> firestore.Client:
    return firestore.Client(project=local_stack.env()["GOOGLE_CLOUD_PROJECT"])


@pytest.fixture
def folder() -> str:
    return f"districts/wire-{os.getpid()}-{dt.datetime.now().timestamp()}/docs"


def _expected(value: Any) -> Any:
    """What the library reads back: tuples as lists, datetimes in UTC."""
    if isinstance(value, tuple | list):
        return [_expected(v) for v in value]
    if isinstance(value, dict):
        return {k: _expected(v) for k, v in value.items()}
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC)
    return value


def test_a_document_written_here_reads_back_through_the_library(
    client: firestore.Client, folder: str
) -> None:
    request = wire.new_commit(client)
    assert wire.add_set(request, client, f"{folder}/ours", EVERY_KIND)
    wire.send_commit(client, request)
    client.document(f"{folder}/theirs").set(EVERY_KIND)

    ours = client.document(f"{folder}/ours").get().to_dict()
    theirs = client.document(f"{folder}/theirs").get().to_dict()
    assert ours == theirs == _expected(EVERY_KIND)  # Firestore keeps microseconds


def test_a_document_the_library_wrote_reads_back_here_unchanged(
    client: firestore.Client, folder: str
) -> None:
    client.document(f"{folder}/theirs").set(EVERY_KIND)
    library = client.document(f"{folder}/theirs").get()
    store = FirestoreStore(client)

    [(path, read)] = list(wire.batch_get(client, [f"{folder}/theirs"], None))
    [doc] = store.query(folder)
    assert path == doc.path == f"{folder}/theirs" and doc.id == "theirs"
    assert read == doc.data == library.to_dict()
    assert doc.version == library.update_time.rfc3339()
    assert store.get_many([f"{folder}/theirs", f"{folder}/missing"], ["int", "map.a"]) == {
        f"{folder}/theirs": {"int": EVERY_KIND["int"]}
    }


def test_a_sentinel_goes_through_the_library(client: firestore.Client, folder: str) -> None:
    request = wire.new_commit(client)
    assert not wire.add_set(request, client, f"{folder}/x", {"gone": DELETE_FIELD})
    assert not wire.add_set(request, client, f"{folder}/x", {"when": dt.date(2026, 1, 1)})
    assert len(request.writes) == 0

    store = FirestoreStore(client)
    written = store.commit(
        [
            Write("set", f"{folder}/a", {"tags": ["x"], "n": 1, "drop": "me"}),
            Write("update", f"{folder}/a", {"tags": ArrayUnion(("y",)), "drop": DELETE_FIELD}),
            Write("merge", f"{folder}/a", {"more": {"k": 1}}),
            Write("set", f"{folder}/b", {"tags": ArrayUnion(("z",))}),
        ]
    )
    assert written == 4
    assert store.get(f"{folder}/a") == {"tags": ["x", "y"], "n": 1, "more": {"k": 1}}
    assert store.get(f"{folder}/b") == {"tags": ["z"]}


def test_an_array_remove_keeps_what_else_the_array_holds_on_both_stores(
    client: firestore.Client, folder: str
) -> None:
    for store in (FirestoreStore(client), MemoryStore()):
        store.commit(
            [
                Write("set", f"{folder}/r", {"runs": ["r1", "r2"]}),
                Write("merge", f"{folder}/r", {"runs": ArrayUnion(("r3",))}),  # added meanwhile
                Write("merge", f"{folder}/r", {"runs": ArrayRemove(("r1", "r2", "r9"))}),
                Write("merge", f"{folder}/new", {"runs": ArrayRemove(("r1",))}),
            ]
        )
        assert store.get(f"{folder}/r") == {"runs": ["r3"]}
        assert store.get(f"{folder}/new") == {"runs": []}


def test_queries_pages_versions_and_descendants_read_through_here(
    client: firestore.Client, folder: str
) -> None:
    store = FirestoreStore(client)
    store.commit(Write("set", f"{folder}/d{i}", {"i": i, "even": i % 2 == 0}) for i in range(7))
    store.commit([Write("set", f"{folder}/d0/sub/s1", {"x": 1})])

    evens = store.query(folder, Filter("even", "==", True))
    assert sorted(d.data["i"] for d in evens) == [0, 2, 4, 6]
    first = store.page(folder, order=[Order("i", descending=True)], limit=3)
    assert [d.data["i"] for d in first] == [6, 5, 4]
    after = store.page(folder, order=[Order("i", descending=True)], after=[4], limit=3)
    assert [d.data["i"] for d in after] == [3, 2, 1]
    versions = store.versions(folder)
    assert sorted(versions) == [f"d{i}" for i in range(7)]
    assert versions["d3"] == client.document(f"{folder}/d3").get().update_time.rfc3339()
    [sub] = store.descendants(f"{folder}/d0", "sub")
    assert (sub.id, sub.path, sub.data) == ("s1", f"{folder}/d0/sub/s1", {"x": 1})


DROPPED = ServiceUnavailable("connection reset")  # type: ignore[no-untyped-call]


def _break_first_stream_after(
    client: firestore.Client, count: int, monkeypatch: pytest.MonkeyPatch
) -> list[int]:
    """The next query stream fails as a dropped connection would, after ``count`` responses;
    the streams after it run as usual. Returns how many documents each stream gave."""
    api = client._firestore_api
    monkeypatch.undo()
    real, given = api.run_query, list[int]()

    def run_query(*args: Any, **kwargs: Any) -> Iterator[Any]:
        broken = not given
        given.append(0)
        for response in real(*args, **kwargs):
            if broken and given[-1] == count:
                raise DROPPED
            given[-1] += 1
            yield response

    monkeypatch.setattr(api, "run_query", run_query)
    return given


def test_a_query_stream_broken_midway_goes_on_after_its_last_document(
    client: firestore.Client, folder: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = FirestoreStore(client)
    store.commit(Write("set", f"{folder}/d{i}", {"i": i}) for i in range(7))

    streams = _break_first_stream_after(client, 3, monkeypatch)
    assert [d.data["i"] for d in store.query(folder)] == list(range(7))
    assert streams == [3, 4]

    streams = _break_first_stream_after(client, 2, monkeypatch)
    found = store.page(folder, order=[Order("i", descending=True)], limit=5)
    assert [d.data["i"] for d in found] == [6, 5, 4, 3, 2] and streams == [2, 3]


def test_a_query_stream_that_keeps_breaking_fails(
    client: firestore.Client, folder: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = FirestoreStore(client)
    store.commit([Write("set", f"{folder}/d", {"i": 1})])

    def run_query(*args: Any, **kwargs: Any) -> Iterator[Any]:
        raise DROPPED
        yield

    monkeypatch.setattr(client._firestore_api, "run_query", run_query)
    with pytest.raises(ServiceUnavailable):
        list(store.query(folder))


STARTING = {"keep": 1, "map": {"a": 1, "b": {"deep": 2}}, "list": [1, 2], "odd key": "x"}
UPDATES: list[dict[Any, Any]] = [
    {"keep": 2},
    {"map": {"z": 9}},  # a map given whole replaces the map
    {("map", "b", "deep"): 3, ("map", "new"): {"n": None}, ("odd key",): "y"},
    {"a.b": "a field named with a dot", ("map", "c.d"): True},
    {"map": {}},
    {"when": dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC), "list": []},
]
MERGES: list[dict[str, Any]] = [
    {"map": {"b": {"other": 1}}},  # merges into the nested map, keeps the rest
    {"map": {"b": {}}, "new": [1, "x"]},
    {"odd key": None, "fresh": {"x": {"y": {"z": 1}}}},
]


@pytest.mark.parametrize("change", UPDATES)
def test_an_update_written_here_ends_as_the_librarys(
    client: firestore.Client, folder: str, change: dict[Any, Any]
) -> None:
    store = FirestoreStore(client)
    client.document(f"{folder}/theirs").set(STARTING)
    client.document(f"{folder}/ours").set(STARTING)
    request = wire.new_commit(client)
    assert wire.add_update(request, client, f"{folder}/ours", change)
    wire.send_commit(client, request)
    library = FirestoreStore(client)._library_writes(Write("update", f"{folder}/theirs", change))
    theirs = wire.new_commit(client)
    theirs.writes.extend(library)
    wire.send_commit(client, theirs)
    assert store.get(f"{folder}/ours") == store.get(f"{folder}/theirs")


@pytest.mark.parametrize("change", MERGES)
def test_a_merge_written_here_ends_as_the_librarys(
    client: firestore.Client, folder: str, change: dict[str, Any]
) -> None:
    store = FirestoreStore(client)
    for name in ("ours", "theirs"):
        client.document(f"{folder}/{name}").set(STARTING)
    client.document(f"{folder}/theirs").set(change, merge=True)
    client.document(f"{folder}/theirs-new").set(change, merge=True)
    store.commit([Write("merge", f"{folder}/ours", change)])
    store.commit([Write("merge", f"{folder}/ours-new-missing", change)])
    assert store.get(f"{folder}/ours") == store.get(f"{folder}/theirs")
    assert store.get(f"{folder}/ours-new-missing") == store.get(f"{folder}/theirs-new")


def test_an_update_of_a_missing_document_fails_as_the_librarys(
    client: firestore.Client, folder: str
) -> None:
    with pytest.raises(NotFound):
        FirestoreStore(client).commit([Write("update", f"{folder}/missing", {"x": 1})])
    request = wire.new_commit(client)
    assert not wire.add_update(request, client, f"{folder}/x", {"a": 1, ("a", "b"): 2})
    assert not wire.add_update(request, client, f"{folder}/x", {})
    assert not wire.add_merge(request, client, f"{folder}/x", {})
    assert len(request.writes) == 0
