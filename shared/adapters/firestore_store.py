"""The DocumentStore port on Cloud Firestore. The client library reads FIRESTORE_EMULATOR_HOST
itself, so there is no emulator branch here; the same code runs against the emulator and
production."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from shared.adapters import firestore_wire as wire
from shared.errors import Busy
from shared.store.ports import (
    DELETE_FIELD,
    ArrayRemove,
    ArrayUnion,
    Build,
    Data,
    Doc,
    FieldName,
    Filter,
    Order,
    Write,
)

if TYPE_CHECKING:
    from google.cloud.firestore import Client, Query

BATCH = 400  # writes per commit (production's request limit is 10 MiB and 500 writes)
GET_MANY = 300  # documents per batched read
# How each kind of write is encoded here (firestore_wire.py); False leaves it to the library.
FAST = {"set": wire.add_set, "merge": wire.add_merge, "update": wire.add_update}


# A transaction that meets another writer of the same document (a teacher's change and the sync's
# apply on one class) is tried again; the client's default of 5 attempts ran out on the emulator
# under load ("Transaction lock timeout", tests/classroom/test_concurrent_changes.py).
TRANSACTION_ATTEMPTS = 20
BUSY = (
    "Someone else changed this at the same moment, each time it was tried; nothing was written. "
    "Please try again in a moment."
)


def make_firestore_client(project_id: str) -> Client:
    from google.cloud import firestore

    return firestore.Client(project=project_id or None)


def _field(name: FieldName) -> str:
    from google.cloud.firestore_v1.field_path import FieldPath

    parts = (name,) if isinstance(name, str) else name
    return str(FieldPath(*parts).to_api_repr())


def _value(value: Any) -> Any:
    if value is DELETE_FIELD:
        from google.cloud.firestore import DELETE_FIELD as FIRESTORE_DELETE

        return FIRESTORE_DELETE
    if isinstance(value, ArrayUnion):
        from google.cloud import firestore

        return firestore.ArrayUnion(list(value.values))
    if isinstance(value, ArrayRemove):
        from google.cloud import firestore

        return firestore.ArrayRemove(list(value.values))
    if isinstance(value, Mapping):
        return {k: _value(v) for k, v in value.items()}
    return value


def _update_data(data: Mapping[Any, Any]) -> dict[str, Any]:
    return {_field(name): _value(value) for name, value in data.items()}


class FirestoreStore:
    def __init__(self, client: Client, *, transaction_attempts: int = TRANSACTION_ATTEMPTS) -> None:
        self._db = client
        self._attempts = transaction_attempts

    def __repr__(self) -> str:
        return f"FirestoreStore(project={self._db.project!r})"

    def get(self, path: str) -> Data | None:
        return self.get_many([path]).get(path)

    def get_many(
        self, paths: Sequence[str], fields: Sequence[str] | None = None
    ) -> dict[str, Data]:
        found: dict[str, Data] = {}
        for start in range(0, len(paths), GET_MANY):
            found.update(wire.batch_get(self._db, paths[start : start + GET_MANY], fields))
        return found

    def versions_at(self, paths: Sequence[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        for start in range(0, len(paths), GET_MANY):
            found.update(wire.batch_versions(self._db, paths[start : start + GET_MANY]))
        return found

    def create(self, path: str, data: Mapping[str, Any]) -> bool:
        from google.api_core.exceptions import AlreadyExists

        try:
            self._db.document(path).create(_value(data))
        except AlreadyExists:
            return False
        return True

    def set(self, path: str, data: Mapping[str, Any], *, merge: bool = False) -> None:
        self._db.document(path).set(_value(data), merge=merge)

    def update(self, path: str, data: Mapping[Any, Any]) -> None:
        self._db.document(path).update(_update_data(data))

    def commit(self, writes: Iterable[Write]) -> int:
        """Commits of up to BATCH writes each; a write of plain values is encoded here
        (firestore_wire.py), one with a sentinel (a field delete, an array union) by the client
        library."""
        count = pending = 0
        request = wire.new_commit(self._db)
        for write in writes:
            if not FAST[write.op](request, self._db, write.path, write.data):
                request.writes.extend(self._library_writes(write))
            count, pending = count + 1, pending + 1
            if pending >= BATCH:
                wire.send_commit(self._db, request)
                request, pending = wire.new_commit(self._db), 0
        if pending:
            wire.send_commit(self._db, request)
        return count

    def _library_writes(self, write: Write) -> list[Any]:
        """The protobuf writes the client library builds for ``write``."""
        batch: Any = self._db.batch()
        ref = self._db.document(write.path)
        if write.op == "update":
            batch.update(ref, _update_data(write.data))
        else:
            batch.set(ref, _value(write.data), merge=write.op == "merge")
        return [pb._pb for pb in batch._write_pbs]

    def _query(self, collection: str, filters: Sequence[Filter]) -> Query:
        from google.cloud.firestore_v1.base_query import FieldFilter

        query: Any = self._db.collection(collection)
        for spec in filters:
            query = query.where(filter=FieldFilter(spec.field, spec.op, spec.value))
        result: Query = query
        return result

    def query(self, collection: str, *filters: Filter, limit: int | None = None) -> Iterator[Doc]:
        yield from wire.run_query(self._db, self._query(collection, filters), limit)

    def descendants(self, parent: str, collection_id: str) -> Iterator[Doc]:
        # A collection group query whose parent is a document, not the database root
        # (RunQuery's StructuredQuery.CollectionSelector with all_descendants): on the emulator
        # it costs what it returns, where one query per collection also pays for every
        # document stored (docs/bench.md).
        from google.cloud.firestore_v1.query import CollectionGroup

        group = CollectionGroup(self._db.collection(f"{parent}/{collection_id}"))
        yield from wire.run_query(self._db, group)

    def page(
        self,
        collection: str,
        *filters: Filter,
        order: Sequence[Order],
        after: Sequence[Any] | None = None,
        limit: int,
    ) -> list[Doc]:
        query: Any = self._query(collection, filters)
        for spec in order:
            query = query.order_by(
                spec.field, direction="DESCENDING" if spec.descending else "ASCENDING"
            )
        if after is not None:
            query = query.start_after(list(after))
        return list(wire.run_query(self._db, query, limit))

    def versions(self, collection: str, *filters: Filter) -> dict[str, str]:
        query: Any = self._query(collection, filters)
        return {doc.id: str(doc.version) for doc in wire.run_query(self._db, query.select([]))}

    def count(self, collection: str, *filters: Filter) -> int:
        aggregation: Any = self._query(collection, filters).count()
        return int(aggregation.get()[0][0].value)

    def update_if(
        self, path: str, condition: Callable[[Data | None], bool], data: Mapping[Any, Any]
    ) -> bool:
        ref = self._db.document(path)

        def change(transaction: Any) -> bool:
            snapshot = ref.get(transaction=transaction)
            if not condition((snapshot.to_dict() or {}) if snapshot.exists else None):
                return False
            transaction.update(ref, _update_data(data))
            return True

        return self._transaction(change)

    def update_with(self, path: str, build: Build) -> bool:
        ref = self._db.document(path)

        def change(transaction: Any) -> bool:
            snapshot = ref.get(transaction=transaction)
            update = build((snapshot.to_dict() or {}) if snapshot.exists else None)
            if update is None:
                return False
            if update.fields:
                transaction.update(ref, _update_data(update.fields))
            for write in update.also:
                target = self._db.document(write.path)
                if write.op == "update":
                    transaction.update(target, _update_data(write.data))
                else:
                    transaction.set(target, _value(write.data), merge=write.op == "merge")
            return True

        return self._transaction(change)

    def _transaction(self, change: Callable[[Any], bool]) -> bool:
        """Runs the transactional ``change``; Busy when every attempt collided with other
        writers (the client then raises a bare ValueError after its last attempt)."""
        from google.cloud import firestore

        attempts = 0

        @firestore.transactional
        def counted(transaction: Any) -> bool:
            nonlocal attempts
            attempts += 1
            return change(transaction)

        try:
            return bool(counted(self._db.transaction(max_attempts=self._attempts)))
        except ValueError:
            if attempts < self._attempts:
                raise
            raise Busy(BUSY) from None
