"""A school's delta watermarks (shared/sync/watermarks.py) move forward only, and the school
step commits them with one batched read and one commit, whatever number of resources moved."""

from __future__ import annotations

import datetime as dt
from typing import Any

from shared.store import layout
from shared.store.memory import MemoryStore
from shared.sync.watermarks import commit_school_watermarks, watermark_writes

NOW = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)
STAMPS = {
    "classes": ["2026-12-01T10:00:00Z", "2026-12-03T10:00:00Z"],
    "teachers": [None],
    "students": ["2026-12-02T10:00:00Z"],
    "enrollments": ["2026-11-30T10:00:00.000Z", None],
}


def _path(resource: str) -> str:
    return f"{layout.watermarks('d1')}/{layout.item_key('s1', resource)}"


def test_only_a_later_stamp_moves_a_watermark() -> None:
    current = {"a": {"value": "2026-12-02T00:00:00Z"}, "b": {"value": "2026-12-05T00:00:00Z"}}
    candidates = {"a": "2026-12-03T00:00:00Z", "b": "2026-12-04T00:00:00Z", "c": "2026-12-01"}
    writes = watermark_writes(current, candidates, "run-2", NOW)
    assert [(w.path, w.data["value"]) for w in writes] == [
        ("a", "2026-12-03T00:00:00Z"),
        ("c", "2026-12-01"),
    ]
    assert all(w.op == "set" and w.data["run_id"] == "run-2" for w in writes)


def test_a_school_commits_its_watermarks_in_one_read_and_one_commit() -> None:
    store = MemoryStore()
    store.set(_path("students"), {"value": "2026-12-09T00:00:00Z", "run_id": "run-1"})
    calls: list[str] = []
    depth = [0]  # the in-memory store's own calls inside one are not the caller's
    for name in ("get", "get_many", "set", "commit"):
        original = getattr(store, name)

        def counted(*args: Any, __name: str = name, __original: Any = original, **kw: Any) -> Any:
            if not depth[0]:
                calls.append(__name)
            depth[0] += 1
            try:
                return __original(*args, **kw)
            finally:
                depth[0] -= 1

        setattr(store, name, counted)
    commit_school_watermarks(store, lambda: NOW, "d1", "run-2", "s1", STAMPS)
    assert calls == ["get_many", "commit"]
    assert store.get(_path("classes"))["value"] == "2026-12-03T10:00:00Z"
    assert store.get(_path("students"))["value"] == "2026-12-09T00:00:00Z"  # never back
    assert store.get(_path("enrollments"))["value"] == "2026-11-30T10:00:00.000Z"
    assert store.get(_path("teachers")) is None
