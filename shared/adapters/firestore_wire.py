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
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from google.api_core import exceptions
from google.api_core.datetime_helpers import DatetimeWithNanoseconds
from google.cloud.firestore_v1 import _helpers
from google.cloud.firestore_v1.base_document import DocumentSnapshot
from google.cloud.firestore_v1.collection import CollectionReference
from google.cloud.firestore_v1.field_path import FieldPath
from google.cloud.firestore_v1.types import document as document_types
from google.cloud.firestore_v1.types import firestore as firestore_types

from shared.store.ports import Data, Doc

# What the client retries on a query (its default RunQuery retry); a broken stream goes on.
RESUMABLE = (
    exceptions.DeadlineExceeded,
    exceptions.InternalServerError,
    exceptions.ResourceExhausted,
    exceptions.ServiceUnavailable,
)
RESUMES = 5
_COMMIT = firestore_types.CommitRequest.pb()
_BATCH_GET = firestore_types.BatchGetDocumentsRequest.pb()
_RUN_QUERY = firestore_types.RunQueryRequest.pb()
NAME_ONLY = "__name__"


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
    return _add(request, client, path, lambda write: _encode_map(write.update.fields, data))


def add_merge(request: Any, client: Any, path: str, data: Mapping[str, Any]) -> bool:
    """A write that sets every leaf of ``data`` (a nested map's own fields, not the map whole),
    creating the document when missing: the library's ``set(..., merge=True)``."""

    def fill(write: Any) -> None:
        if not data:
            raise NotPlain("an empty merge")
        _encode_map(write.update.fields, data)
        write.update_mask.field_paths.extend(_api_path(parts) for parts in _leaves(data, ()))

    return _add(request, client, path, fill)


def add_update(request: Any, client: Any, path: str, data: Mapping[Any, Any]) -> bool:
    """A write that sets the given fields (a name, or a tuple of names for a nested field) of
    a document that must exist: the library's ``update``."""

    def fill(write: Any) -> None:
        paths = [(name,) if isinstance(name, str) else tuple(name) for name in data]
        if not paths or _conflicting(paths):
            raise NotPlain("an update the library explains")
        for parts, value in zip(paths, data.values(), strict=True):
            fields = write.update.fields
            for part in parts[:-1]:
                fields = fields[part].map_value.fields
            encode(fields[parts[-1]], value)
        write.update_mask.field_paths.extend(sorted(_api_path(parts) for parts in paths))
        write.current_document.exists = True

    return _add(request, client, path, fill)


def _add(request: Any, client: Any, path: str, fill: Callable[[Any], None]) -> bool:
    write = request.writes.add()
    write.update.name = f"{root(client)}/{path}"
    try:
        fill(write)
    except NotPlain:
        del request.writes[-1]
        return False
    return True


def _leaves(data: Mapping[Any, Any], prefix: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
    for key, value in data.items():
        if isinstance(value, Mapping) and value:
            yield from _leaves(value, (*prefix, key))
        else:
            yield (*prefix, key)


def _conflicting(paths: Sequence[tuple[str, ...]]) -> bool:
    """Whether a field is named twice, or with a field inside it (the library refuses it)."""
    seen = set(paths)
    if len(seen) < len(paths) or any(
        not p or not all(isinstance(n, str) for n in p) for p in paths
    ):
        return True
    return any(parts[:end] in seen for parts in paths for end in range(1, len(parts)))


def _api_path(parts: tuple[str, ...]) -> str:
    return str(FieldPath(*parts).to_api_repr())


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


def batch_versions(client: Any, paths: Sequence[str]) -> Iterator[tuple[str, str]]:
    """The version (update time) of each document found among ``paths``, without its data: the
    mask names one field path, ``__name__``, that no document holds as a field."""
    prefix = root(client)
    request = _BATCH_GET(database=client._database_string)
    request.documents.extend(f"{prefix}/{path}" for path in paths)
    request.mask.field_paths.append(NAME_ONLY)
    responses = client._firestore_api.batch_get_documents(
        request=firestore_types.BatchGetDocumentsRequest.wrap(request),
        metadata=client._rpc_metadata,
    )
    for response in responses:
        if response._pb.WhichOneof("result") == "found":
            found = response._pb.found
            yield found.name[len(prefix) + 1 :], _version(found.update_time)


def run_query(client: Any, query: Any, limit: int | None = None) -> Iterator[Doc]:
    """The documents a query built with the library finds (at most ``limit``), each with its
    update time as its version (RFC 3339, to the nanosecond). A stream broken by an error the
    client retries (unavailable, internal, deadline, exhausted) goes on after the last document
    it gave, as the library's own ``stream`` does, up to RESUMES times."""
    base = query._query() if isinstance(query, CollectionReference) else query
    given, last, resumes = 0, None, 0
    while True:
        left = None if limit is None else limit - given
        current = base if last is None else base.start_after(_snapshot(client, last))
        try:
            for doc in _stream(client, current if left is None else current.limit(left)):
                given, last = given + 1, doc
                yield doc
            return
        except RESUMABLE:
            resumes += 1
            if resumes > RESUMES:
                raise


def _snapshot(client: Any, doc: Doc) -> Any:
    """The library's snapshot of a document read here, for a cursor after it."""
    reference = client.document(doc.path)
    return DocumentSnapshot(reference, doc.data, True, None, None, None)


def _stream(client: Any, query: Any) -> Iterator[Doc]:
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
