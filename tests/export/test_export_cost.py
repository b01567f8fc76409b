"""What an export costs: an unchanged re-export sends nothing and writes no assignment or mark
document; a changed mark costs one result and one mark write; results go out side by side within
the connection's max_concurrency, one PUT per mark; a refused mark fails alone; a retry or a
duplicate delivery sends a result at most once more than needed. The export task runs on
in-memory ports (a store that counts its writes) against a real local SIS, after a real sync."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, cast

import pytest

from shared.adapters.sis_clients import OneRosterClients
from shared.export.ports import ExportPorts
from shared.export.sending import Sender
from shared.export.status import export_status
from shared.export.task import handle_export
from shared.ids import safe_id
from shared.oneroster.errors import TransientError
from shared.oneroster.transport import RetryPolicy
from shared.store import layout
from shared.store.memory import MemoryStore
from shared.store.ports import Write
from shared.sync.runs import create_run
from shared.tasks import ExportTask
from tests.conftest import StepWorld
from tools.oneroster_sis.faults import FaultSettings
from tools.oneroster_sis.harness import RunningSis


class CountingStore:
    """The in-memory store, counting the writes per document path."""

    def __init__(self, inner: MemoryStore) -> None:
        self.inner = inner
        self.written: Counter[str] = Counter()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def set(self, path: str, data: Mapping[str, Any], *, merge: bool = False) -> None:
        self.written[path] += 1
        self.inner.set(path, data, merge=merge)

    def update(self, path: str, data: Mapping[Any, Any]) -> None:
        self.written[path] += 1
        self.inner.update(path, data)

    def commit(self, writes: Iterable[Write]) -> int:
        batch = list(writes)
        self.written.update(w.path for w in batch)
        return self.inner.commit(batch)


class WatchedClients:
    """The real clients; counts the result PUTs in flight at once (``peak``)."""

    def __init__(self, clients: Any) -> None:
        self.clients, self.peak, self._in_flight = clients, 0, 0
        self._lock = threading.Lock()

    def client_for(self, district: Any) -> Any:
        client = self.clients.client_for(district)
        watched = self

        class Watched:
            def __getattr__(self, name: str) -> Any:
                return getattr(client, name)

            def put_result(self, result: Any, *, now: dt.datetime) -> int:
                with watched._lock:
                    watched._in_flight += 1
                    watched.peak = max(watched.peak, watched._in_flight)
                try:
                    return int(client.put_result(result, now=now))
                finally:
                    with watched._lock:
                        watched._in_flight -= 1

        return Watched()


@dataclass
class World:
    running: RunningSis
    store: CountingStore
    ports: ExportPorts
    district: str
    classes: dict[str, list[str]] = field(default_factory=dict)  # class id -> students

    def add_assignment(self, class_id: str, assignment_id: str, score: float = 8) -> None:
        now = dt.datetime.now(dt.UTC)
        path = f"{layout.coursework(self.district, class_id)}/{assignment_id}"
        self.store.inner.set(
            path,
            {
                "title": f"Quiz {assignment_id}",
                "assigned_at": now - dt.timedelta(days=1),
                "due_at": now,
                "max_points": 10,
                "category": "homework",
                "state": "published",
            },
        )
        for student in self.classes[class_id]:
            self.set_mark(class_id, assignment_id, student, score)

    def set_mark(self, class_id: str, assignment_id: str, student: str, score: float) -> str:
        path = self.mark_path(class_id, assignment_id, student)
        mark = {"sis_user_id": student, "status": "graded", "score": score}
        self.store.inner.set(path, {**mark, "updated_at": dt.datetime.now(dt.UTC)}, merge=True)
        return path

    def mark_path(self, class_id: str, assignment_id: str, student: str) -> str:
        coursework = layout.coursework(self.district, class_id)
        return f"{coursework}/{assignment_id}/marks/{safe_id(student)}"

    def export(self, class_id: str, retry_count: int = 0) -> dict[str, Any]:
        self.store.written.clear()
        return handle_export(self.ports, ExportTask(self.district, class_id), retry_count)

    def status(self, class_id: str) -> dict[str, Any]:
        cls = self.store.get(layout.class_doc(self.district, class_id)) or {}
        return export_status(cast(Any, self.store), self.district, class_id, cls)

    def puts(self, kind: str = "results") -> int:
        """PUT requests the SIS received for ``kind``, refused and failed ones included."""
        log = list(self.running.sis.request_log)
        return sum(1 for r in log if r["method"] == "PUT" and f"/{kind}/" in r["path"])


def synced_world(make_sis: Any, world: StepWorld, sis: Any = None, classes: int = 1) -> World:
    running = make_sis(students=40)
    district = world.register(running, export_enabled=True)
    create_run(world.ports, district, kind="full", dry_run=False, requested_by="t@example.org")
    world.drain()
    store = CountingStore(world.store)
    ports = ExportPorts(
        store=cast(Any, store),
        queue=world.queue,
        sis=sis or world.ports.sis,
        clock=lambda: dt.datetime.now(dt.UTC),
        tokens=cast(Any, None),
        settings=cast(Any, None),
        task_url="",
    )
    out = World(running, store, ports, district)
    for doc in world.store.query(layout.classes(district)):
        students = sorted(
            m["sis_user_id"] for m in doc.data["students"].values() if m["status"] == "active"
        )
        if len(students) >= 4 and len(out.classes) < classes:
            out.classes[doc.id] = students
    return out


def mark_states(status: dict[str, Any]) -> Counter[str]:
    return Counter(m["state"] for a in status["assignments"] for m in a["marks"].values())


def test_an_unchanged_reexport_sends_nothing_and_writes_only_the_class(
    make_sis, step_world
) -> None:
    world = synced_world(make_sis, step_world)
    class_id, students = next(iter(world.classes.items()))
    class_path = layout.class_doc(world.district, class_id)
    for assignment_id in ("a1", "a2"):
        world.add_assignment(class_id, assignment_id)
    first = world.export(class_id)
    assert first["counts"]["sent"] == 2 + 2 * len(students)
    assert world.puts() == 2 * len(students) and world.puts("lineItems") == 2
    again = world.export(class_id)
    unchanged = 2 + 2 * len(students)
    assert again["counts"] == {"sent": 0, "unchanged": unchanged, "held": 0, "failed": 0}
    assert world.puts() == 2 * len(students) and world.puts("lineItems") == 2
    assert dict(world.store.written) == {class_path: 1}
    status = world.status(class_id)
    assert {a["state"] for a in status["assignments"]} == {"unchanged"}
    assert mark_states(status) == {"unchanged": 2 * len(students)}
    ran_at = status["export"]["started_at"]
    assert {m["last_attempt_at"] for a in status["assignments"] for m in a["marks"].values()} == {
        ran_at
    }
    # one mark changed: one result PUT and one mark document written, nothing else
    changed = world.set_mark(class_id, "a2", students[1], 3)
    world.export(class_id)
    assert world.puts() == 2 * len(students) + 1 and world.puts("lineItems") == 2
    assert dict(world.store.written) == {class_path: 1, changed: 1}
    assert mark_states(world.status(class_id)) == {"unchanged": 2 * len(students) - 1, "sent": 1}


def test_a_refused_mark_fails_alone_and_only_it_is_tried_again(make_sis, step_world) -> None:
    world = synced_world(make_sis, step_world)
    class_id, students = next(iter(world.classes.items()))
    world.add_assignment(class_id, "a1")
    stranger = next(  # a student of the district who is not in this section: the SIS refuses
        u["sourcedId"]
        for u in world.running.sis.store.all("users")
        if u["roles"][0]["role"] == "student" and u["sourcedId"] not in students
    )
    refused = world.set_mark(class_id, "a1", stranger, 9)
    world.export(class_id)
    marks = world.status(class_id)["assignments"][0]["marks"]
    assert mark_states(world.status(class_id)) == {"sent": len(students), "failed": 1}
    assert "not enrolled" in marks[safe_id(stranger)]["message"]
    assert len(world.running.sis.store.all("results")) == len(students)
    before = world.puts()
    world.export(class_id)
    assert world.puts() == before + 1  # the refused one again, no other
    class_path = layout.class_doc(world.district, class_id)
    assert dict(world.store.written) == {class_path: 1, refused: 1}


def test_results_go_out_side_by_side_within_the_limit_one_put_per_mark(
    make_sis, step_world
) -> None:
    watched = WatchedClients(step_world.ports.sis)
    world = synced_world(make_sis, step_world, sis=watched, classes=2)
    for class_id in world.classes:
        world.add_assignment(class_id, "a1")
    marks = sum(len(s) for s in world.classes.values())
    world.running.sis.faults.configure(FaultSettings(slow_seconds=0.05))
    world.running.sis.faults.script("slow", times=marks, path_contains="/results/", method="PUT")
    with ThreadPoolExecutor(2) as pool:  # two classes of the district exported at once
        list(pool.map(world.export, world.classes))
    assert watched.peak == 3  # the district's max_concurrency (tests/conftest.py registers 3)
    assert world.puts() == marks == len(world.running.sis.store.all("results"))
    assert all(w["status"] in (200, 201) for w in world.running.sis.writes)


def test_a_retry_after_a_transient_failure_sends_only_what_was_not_accepted(
    make_sis, step_world
) -> None:
    once = OneRosterClients(step_world.secrets, local_dev=True, retry=RetryPolicy(max_attempts=1))
    world = synced_world(make_sis, step_world, sis=once)
    class_id, students = next(iter(world.classes.items()))
    world.add_assignment(class_id, "a1")
    world.running.sis.faults.script("503", times=2, path_contains="/results/", method="PUT")
    with pytest.raises(TransientError):
        world.export(class_id)
    accepted = mark_states(world.status(class_id))["sent"]
    assert accepted == len(students) - 2  # recorded before the task asked for a retry
    world.export(class_id, retry_count=1)
    assert world.puts() == len(students) + 2  # each refused attempt once more, nothing else
    assert mark_states(world.status(class_id)) == {"sent": 2, "unchanged": len(students) - 2}
    assert world.puts("lineItems") == 1


def test_duplicate_concurrent_deliveries_send_each_result_at_most_twice(
    make_sis, step_world
) -> None:
    world = synced_world(make_sis, step_world)
    class_id, students = next(iter(world.classes.items()))
    for assignment_id in ("a1", "a2"):
        world.add_assignment(class_id, assignment_id)
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda _: world.export(class_id), range(2)))
    assert 2 * len(students) <= world.puts() <= 4 * len(students)
    assert len(world.running.sis.store.all("results")) == 2 * len(students)
    before = world.puts()
    world.export(class_id)
    assert world.puts() == before  # the state both left says the SIS holds every result
    assert mark_states(world.status(class_id)) == {"unchanged": 2 * len(students)}


def test_a_sender_runs_at_most_its_limit_at_once() -> None:
    sender, lock = Sender("d-limit", 2), threading.Lock()
    running: list[int] = [0, 0]  # now, peak
    gate = threading.Barrier(2)

    def call() -> None:
        with lock:
            running[0] += 1
            running[1] = max(running[1], running[0])
        gate.wait(timeout=5)  # passes only when two run at once
        with lock:
            running[0] -= 1

    try:
        outcomes = sender.run_all([call] * 6)
    finally:
        sender.close()
    assert outcomes == [None] * 6 and running[1] == 2
