"""Isolation, read by read: a signed-in member of district A who calls any admin or teacher route
of the OpenAPI document with district B's ids reads nothing of district B but the one staff
document that says they are not B's staff (the membership check), and gets 404. The store logs
every path it reads; the API handlers are called directly on in-memory ports with a token
verifier double (sign-in itself is tested in tests/functions/test_isolation.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

import pytest

from shared.adapters.sis_clients import OneRosterClients
from shared.export.ports import ExportPorts
from shared.export.teacher_api import handle_teacher
from shared.settings import Settings
from shared.store import layout
from shared.store.memory import MemoryStore
from shared.store.ports import Data, Doc, Filter, Order, Write
from shared.sync.admin_api import handle_admin
from shared.sync.ports import AdminPorts, SyncPorts
from shared.web.edge import ApiRequest, Response, respond
from tests.conftest import MemorySecrets, RecordingQueue
from tests.functions.test_isolation import ADMIN_OPS, TEACHER_OPS, _id, _resolve, example

A, B = "district-a", "district-b"
A_ADMIN, A_TEACHER = "admin@a.example.org", "teacher@a.example.org"
B_IDS = {
    "district_id": B,
    "class_id": "sis-cls-b",
    "run_id": "run-b",
    "school_id": "sch-b",
    "member_key": "stu-b",
    "package_id": "pkg-b",
}


class ReadLog:
    """A DocumentStore that delegates to a MemoryStore and logs the path of every read."""

    def __init__(self, store: MemoryStore) -> None:
        self.store = store
        self.reads: list[str] = []

    def get(self, path: str) -> Data | None:
        self.reads.append(path)
        return self.store.get(path)

    def get_many(
        self, paths: Sequence[str], fields: Sequence[str] | None = None
    ) -> dict[str, Data]:
        self.reads.extend(paths)
        return self.store.get_many(paths, fields)

    def create(self, path: str, data: Mapping[str, Any]) -> bool:
        return self.store.create(path, data)

    def set(self, path: str, data: Mapping[str, Any], *, merge: bool = False) -> None:
        self.store.set(path, data, merge=merge)

    def update(self, path: str, data: Mapping[Any, Any]) -> None:
        self.store.update(path, data)

    def commit(self, writes: Iterable[Write]) -> int:
        return self.store.commit(writes)

    def query(self, collection: str, *filters: Filter, limit: int | None = None) -> Iterator[Doc]:
        self.reads.append(collection)
        return self.store.query(collection, *filters, limit=limit)

    def descendants(self, parent: str, collection_id: str) -> Iterator[Doc]:
        self.reads.append(f"{parent}/{collection_id}")
        return self.store.descendants(parent, collection_id)

    def count(self, collection: str, *filters: Filter) -> int:
        self.reads.append(collection)
        return self.store.count(collection, *filters)

    def versions(self, collection: str, *filters: Filter) -> dict[str, str]:
        self.reads.append(collection)
        return self.store.versions(collection, *filters)

    def page(
        self,
        collection: str,
        *filters: Filter,
        order: Sequence[Order],
        after: Sequence[Any] | None = None,
        limit: int,
    ) -> list[Doc]:
        self.reads.append(collection)
        return self.store.page(collection, *filters, order=order, after=after, limit=limit)

    def update_if(
        self, path: str, condition: Callable[[Data | None], bool], data: Mapping[Any, Any]
    ) -> bool:
        self.reads.append(path)
        return self.store.update_if(path, condition, data)


class Claims:
    """The token verifier double: the token is the caller's email."""

    def verify(self, token: str, audience: str | None) -> dict[str, Any]:
        return {"email": token, "email_verified": True, "aud": audience}


SETTINGS = Settings(
    project_id="p",
    tasks_location="l",
    firestore_emulator_host=None,
    tasks_emulator_host=None,
    local_dev=True,
    functions_url="http://localhost",
    id_token_audience="rostersync",
)


def _two_districts() -> MemoryStore:
    store = MemoryStore()
    for district, admin in ((A, A_ADMIN), (B, "admin@b.example.org")):
        store.set(layout.district(district), {"connected": True, "settings": {}})
        store.set(layout.staff(district, admin), {"role": "admin"})
    store.set(layout.staff(A, A_TEACHER), {"role": "teacher", "sis_user_id": "t-a"})
    store.set(layout.run(B, B_IDS["run_id"]), {"state": "held", "kind": "full"})
    store.set(
        layout.class_doc(B, B_IDS["class_id"]),
        {"origin": "sis", "owner": {"sis_user_id": "t-a", "account_id": None}},
    )
    return store


def _call(op: tuple[str, str, dict[str, Any]], caller: str) -> tuple[Response, list[str]]:
    log = ReadLog(_two_districts())
    now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)  # noqa: E731
    secrets, queue = MemorySecrets(), RecordingQueue()
    sis = OneRosterClients(secrets, local_dev=True)
    method, template, operation = op
    function, _, rest = template.lstrip("/").partition("/")
    content = _resolve(operation.get("requestBody") or {}).get("content") or {}
    schema = (content.get("application/json") or {}).get("schema")
    request = ApiRequest(
        method,
        "/" + rest.format(**B_IDS),
        {"Authorization": f"Bearer {caller}"},
        example(schema) if schema else None,
    )
    if function == "sync_admin":
        ports = AdminPorts(SyncPorts(log, queue, sis, now), secrets, Claims(), SETTINGS)
        return respond(lambda: handle_admin(ports, request)), log.reads
    export = ExportPorts(log, queue, sis, now, Claims(), SETTINGS, "http://localhost/export_task")
    return respond(lambda: handle_teacher(export, request)), log.reads


@pytest.mark.parametrize("caller", [A_ADMIN, A_TEACHER])
@pytest.mark.parametrize("op", ADMIN_OPS + TEACHER_OPS, ids=_id)
def test_a_member_of_another_district_reads_only_their_missing_staff_document(
    op: Any, caller: str
) -> None:
    (status, body), reads = _call(op, caller)
    of_b = [
        path
        for path in reads
        if path == layout.district(B) or path.startswith(f"{layout.district(B)}/")
    ]
    assert of_b == [layout.staff(B, caller)]
    assert status == 404, body
