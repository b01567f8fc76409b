"""Firestore: client construction and batched writes. The client library reads
FIRESTORE_EMULATOR_HOST itself, so there is no emulator branch here."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from google.cloud.firestore import Client, DocumentReference

T = TypeVar("T")


def make_firestore_client(project_id: str) -> Client:
    from google.cloud import firestore

    return firestore.Client(project=project_id or None)


BATCH = 400  # writes per commit (the emulator accepts more; production's request limit is 10 MiB)
Write = tuple[str, "DocumentReference", dict[str, Any]]


def chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def commit_writes(db: Client, writes: Iterable[Write]) -> int:
    """Applies ("set" | "merge" | "update", ref, data) writes in batches; returns how many."""
    count = pending = 0
    batch = db.batch()
    for op, ref, data in writes:
        if op == "set":
            batch.set(ref, data)
        elif op == "merge":
            batch.set(ref, data, merge=True)
        else:
            batch.update(ref, data)
        pending += 1
        count += 1
        if pending >= BATCH:
            batch.commit()
            batch, pending = db.batch(), 0
    if pending:
        batch.commit()
    return count


def field_filter(field: str, op: str, value: Any) -> Any:
    """A query filter (the keyword form; positional where() is deprecated)."""
    from google.cloud.firestore_v1.base_query import FieldFilter

    return FieldFilter(field, op, value)


def field_path(*parts: str) -> str:
    """A quoted field path, safe for map keys made from sourcedIds (safe_id)."""
    from google.cloud.firestore_v1.field_path import FieldPath

    return str(FieldPath(*parts).to_api_repr())
