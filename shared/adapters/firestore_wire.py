"""The Firestore client library's own RPCs (Commit, BatchGetDocuments, RunQuery), with their
messages built and read as plain protobuf.

The library turns every field value into a proto-plus object on the way out and back, which
costs more client CPU than anything else a sync does: 2,000 mirror documents took 0.18 s of CPU
to commit through a write batch and 0.025 s here; reading them back, 0.36 to 0.57 s through a
query's snapshots and 0.12 to 0.25 s here (docs/bench.md, "Firestore values without proto-plus").
So the hot paths build ``google.firestore.v1`` messages directly, following the public reference
of ``Value`` and ``Document`` (https://cloud.google.com/firestore/docs/reference/rpc/google.firestore.v1#value),
and send them through the client's transport: the same channel, credentials, emulator setting,
metadata and default retries as its own calls. What this module does not know (a sentinel such as
a field delete or an array union, a value of another type, a transaction) stays with the library.

The client's private members it uses (``_firestore_api``, ``_rpc_metadata``,
``_database_string``, a query's ``_to_protobuf`` and its parent's ``_parent_info``, a
collection's ``_query``) are those of
the pinned google-cloud-firestore (constraints.txt); tests/store runs every store method against
the emulator, so a release that moves them fails there first."""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from google.api_core.datetime_helpers import DatetimeWithNanoseconds
from google.cloud.firestore_v1 import _helpers
from google.cloud.firestore_v1.collection import CollectionReference
from google.cloud.firestore_v1.types import document as document_types
from google.cloud.firestore_v1.types import firestore as firestore_types

from shared.store.ports import Data, Doc

_COMMIT = firestore_types.CommitRequest.pb()
_BATCH_GET = firestore_types.BatchGetDocumentsRequest.pb()
_RUN_QUERY = firestore_types.RunQueryRequest.pb()


class NotPlain(Exception):
    """A value left to the client library: a sentinel or a type this module does not encode."""


def encode(target: Any, value: Any) -> None:
    """Fills the ``Value`` message ``target`` with ``value``, as the client library would."""
    if value is None:
        target.null_value = 0
    elif isinstance(value, bool):
        target.boolean_value = value
    elif isinstance(value, int):
        target.integer_value = value
    elif isinstance(value, float):
        target.double_value = value
    elif isinstance(value, str):
        target.string_value = value
    elif isinstance(value, bytes):
        target.bytes_value = value
    elif isinstance(value, dt.datetime):
        _timestamp(target.timestamp_value, value)
    elif isinstance(value, Mapping):
        _encode_map(target.map_value.fields, value)
        target.map_value.SetInParent()  # an empty map is still a map
    elif isinstance(value, (list, tuple)):
        values = target.array_value.values
        for item in value:
            encode(values.add(), item)
        target.array_value.SetInParent()
    else:
        raise NotPlain(type(value).__name__)


def _encode_map(fields: Any, data: Mapping[Any, Any]) -> None:
    for key, item in data.items():
        if not isinstance(key, str):
            raise NotPlain(f"map key {key!r}")
        encode(fields[key], item)


def _timestamp(target: Any, value: dt.datetime) -> None:
    if isinstance(value, DatetimeWithNanoseconds):
        stamp: Any = value
        target.CopyFrom(stamp.timestamp_pb())
        return
    target.seconds = calendar.timegm(value.utctimetuple())
    target.nanos = value.microsecond * 1000


def _datetime(stamp: Any) -> DatetimeWithNanoseconds:
    make: Any = DatetimeWithNanoseconds.from_timestamp_pb
    found: DatetimeWithNanoseconds = make(stamp)
    return found


def _version(stamp: Any) -> str:
    """An update time as text, to the nanosecond (RFC 3339)."""
    text: Any = _datetime(stamp)
    return str(text.rfc3339())


def decode(value: Any, client: Any) -> Any:
    """A ``Value`` message as the client library's snapshots give it."""
    kind = value.WhichOneof("value_type")
    if kind == "string_value":
        return value.string_value
    if kind == "integer_value":
        return value.integer_value
    if kind == "boolean_value":
        return value.boolean_value
    if kind == "null_value":
        return None
    if kind == "double_value":
        return value.double_value
    if kind == "timestamp_value":
        return _datetime(value.timestamp_value)
    if kind == "map_value":
        return fields_of(value.map_value, client)
    if kind == "array_value":
        return [decode(item, client) for item in value.array_value.values]
    return _helpers.decode_value(document_types.Value.wrap(value), client)  # bytes, references


def fields_of(message: Any, client: Any) -> dict[str, Any]:
    return {key: decode(item, client) for key, item in message.fields.items()}


def root(client: Any) -> str:
    """The prefix of every document name: ``projects/{p}/databases/{d}/documents``."""
    return f"{client._database_string}/documents"


def new_commit(client: Any) -> Any:
    return _COMMIT(database=client._database_string)


def add_set(request: Any, client: Any, path: str, data: Mapping[str, Any]) -> bool:
    """Adds to the Commit ``request`` a write that replaces the document at ``path`` with
    ``data``; False, with nothing added, when ``data`` holds a value left to the library."""
    write = request.writes.add()
    write.update.name = f"{root(client)}/{path}"
    try:
        _encode_map(write.update.fields, data)
    except NotPlain:
        del request.writes[-1]
        return False
    return True


def send_commit(client: Any, request: Any) -> None:
    client._firestore_api.commit(
        request=firestore_types.CommitRequest.wrap(request), metadata=client._rpc_metadata
    )


def batch_get(
    client: Any, paths: Sequence[str], fields: Sequence[str] | None
) -> Iterator[tuple[str, Data]]:
    """The documents found among ``paths`` (relative), with only ``fields`` when given."""
    prefix = root(client)
    request = _BATCH_GET(database=client._database_string)
    request.documents.extend(f"{prefix}/{path}" for path in paths)
    if fields:
        request.mask.field_paths.extend(fields)
    responses = client._firestore_api.batch_get_documents(
        request=firestore_types.BatchGetDocumentsRequest.wrap(request),
        metadata=client._rpc_metadata,
    )
    for response in responses:
        found = response._pb.found
        if response._pb.WhichOneof("result") == "found":
            yield found.name[len(prefix) + 1 :], fields_of(found, client)


def run_query(client: Any, query: Any) -> Iterator[Doc]:
    """The documents a query built with the library finds, each with its update time as its
    version (RFC 3339, to the nanosecond)."""
    if isinstance(query, CollectionReference):  # a whole collection
        query = query._query()
    parent, _ = query._parent._parent_info()
    request = _RUN_QUERY(parent=parent)
    request.structured_query.CopyFrom(query._to_protobuf()._pb)
    prefix = root(client)
    responses = client._firestore_api.run_query(
        request=firestore_types.RunQueryRequest.wrap(request), metadata=client._rpc_metadata
    )
    for response in responses:
        if not response._pb.HasField("document"):
            continue
        found = response._pb.document
        path = found.name[len(prefix) + 1 :]
        version = _version(found.update_time)
        yield Doc(path.rsplit("/", 1)[-1], path, fields_of(found, client), version)
