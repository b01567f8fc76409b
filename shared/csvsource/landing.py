"""``csv_landed``: a CSV package landed in the packages bucket; start its run.

Eventarc delivers Cloud Storage's ``google.cloud.storage.object.v1.finalized`` as a CloudEvent in
binary mode (the ``ce-*`` headers carry the attributes, the body is the StorageObjectData JSON),
with an OIDC token of the trigger's service account: the task service account, checked exactly as
the task handlers check theirs. Locally tools/storage_events.py delivers the same request.

The object's name says what it is (docs/operations.md, "CSV packages: upload and SFTP drop"):
``districts/{d}/inbox/<file>.zip`` is a district's scheduled drop through an SFTP gateway and
``districts/{d}/uploads/{package_id}.zip`` an admin's upload (shared/csvsource/uploads.py made its
package document); any other name is answered 200 ``{"ignored": reason}`` and logged.

Statuses and redelivery: Eventarc's transport is a Pub/Sub push subscription, which takes only
102, 200, 201, 202 and 204 as acknowledged and redelivers anything else with exponential backoff
(10 s up to 600 s) until the message retention ends, 24 hours by default
(https://cloud.google.com/eventarc/docs/retry-events, https://cloud.google.com/pubsub/docs/push).
So a name that is not a package is 200 (never redelivered), an event that is not the one
expected is 400 naming the field (redelivered at most for the retention, never accepted), and a
transient failure 503 (redelivered until it passes). Eventarc may deliver an event more than
once: the run id depends only on the object's bucket, name and generation, so a repeated event
finds the same run (start_csv_run)."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
)

from shared.csvsource.ports import StoredObject
from shared.csvsource.runs import start_csv_run
from shared.errors import InvalidInput, NotFound
from shared.identity import verify_task_caller
from shared.store import layout
from shared.sync.ports import AdminPorts
from shared.web.edge import ID_PATTERN, ApiRequest, Response, describe_validation

log = logging.getLogger(__name__)

FINALIZED = "google.cloud.storage.object.v1.finalized"
INBOX, UPLOADS = "inbox", "uploads"
Text = Annotated[str, StringConstraints(min_length=1, max_length=1024)]
_ID = re.compile(ID_PATTERN)


def _as_text(value: Any) -> Any:
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


# Cloud Storage sends int64 fields as decimal strings; a number is taken as well.
Digits = Annotated[str, BeforeValidator(_as_text), StringConstraints(pattern=r"^[0-9]{1,20}$")]


class EventAttributes(BaseModel):
    """The CloudEvents attributes Eventarc sends as ``ce-*`` headers (binary content mode)."""

    specversion: Literal["1.0"] = Field(alias="ce-specversion")
    type: Literal["google.cloud.storage.object.v1.finalized"] = Field(alias="ce-type")
    id: Text = Field(alias="ce-id")
    source: Text = Field(alias="ce-source")


class StorageObjectData(BaseModel):
    """The event's body: the object as Cloud Storage describes it (numbers come as strings)."""

    model_config = ConfigDict(extra="ignore")
    bucket: Text
    name: Text
    generation: Digits
    size: Digits
    contentType: str | None = Field(None, max_length=256)  # the event's field name


def _check(model: type[BaseModel], data: Mapping[str, Any], fix: str) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput(f"{describe_validation(exc)}; {fix}") from None


def parse_event(headers: Mapping[str, str], body: Mapping[str, Any] | None) -> StoredObject:
    """The object the event is about; InvalidInput names the header or body field that is wrong."""
    names = ("ce-specversion", "ce-type", "ce-id", "ce-source")
    attributes = {name: headers[name] for name in names if headers.get(name) is not None}
    fix = f"send a CloudEvent 1.0 of type {FINALIZED} in binary mode (ce-* headers)"
    _check(EventAttributes, attributes, fix)
    if body is None:
        raise InvalidInput("body: the event carries no data; send the StorageObjectData JSON")
    data = _check(StorageObjectData, body, "send the StorageObjectData JSON of the object")
    return StoredObject(data.bucket, data.name, data.generation, int(data.size), data.contentType)


@dataclass(frozen=True)
class Landing:
    """Where a landed object goes: a district's inbox, or one of its admin uploads."""

    district_id: str
    package_id: str | None  # None: an inbox drop


def classify(packages_bucket: str, obj: StoredObject) -> Landing | str:
    """The landing of an object, or why it is ignored (pure)."""
    if obj.bucket != packages_bucket:
        return f"bucket {obj.bucket!r} is not the packages bucket {packages_bucket!r}"
    parts = obj.name.split("/")
    if len(parts) != 4 or parts[0] != "districts" or parts[2] not in (INBOX, UPLOADS):
        return (
            f"{obj.name!r} is not districts/<district>/inbox/<file>.zip or "
            "districts/<district>/uploads/<package>.zip"
        )
    district_id, where, file = parts[1], parts[2], parts[3]
    if not _ID.fullmatch(district_id):
        return f"{district_id!r} is not a district id"
    if not file.lower().endswith(".zip") or len(file) <= 4:
        return f"{file!r} is not a .zip package (other files in {where}/ are left alone)"
    if where == INBOX:
        return Landing(district_id, None)
    package_id = file[:-4]
    if not _ID.fullmatch(package_id):
        return f"{package_id!r} is not a package id"
    return Landing(district_id, package_id)


def _ignored(obj: StoredObject, reason: str) -> Response:
    log.info(
        "csv.landed_ignored",
        extra={"fields": {"bucket": obj.bucket, "object": obj.name, "reason": reason}},
    )
    return 200, {"ignored": reason}


def _start_upload(ports: AdminPorts, obj: StoredObject, landing: Landing) -> Response:
    """An admin upload: the package document says who asked and whether it is a dry run."""
    assert landing.package_id is not None
    path = layout.package(landing.district_id, landing.package_id)
    package = ports.sync.store.get(path)
    if package is None:
        why = "no package document: upload through POST /districts/{d}/packages"
        return _ignored(obj, why.replace("{d}", landing.district_id))
    run_id = start_csv_run(
        ports.sync,
        landing.district_id,
        obj,
        requested_by=str(package.get("requested_by") or "upload"),
        dry_run=package.get("dry_run") is True,
    )
    landed = {"state": "landed", "run_id": run_id, "generation": obj.generation, "size": obj.size}
    ports.sync.store.set(path, {**landed, "landed_at": ports.sync.clock()}, merge=True)
    answer = {"district_id": landing.district_id, "run_id": run_id}
    return 200, {**answer, "package_id": landing.package_id}


def _start_inbox(ports: AdminPorts, obj: StoredObject, landing: Landing) -> Response:
    run_id = start_csv_run(ports.sync, landing.district_id, obj, requested_by="inbox")
    log.info("csv.landed", extra={"labels": {"district": landing.district_id, "run": run_id}})
    return 200, {"district_id": landing.district_id, "run_id": run_id}


def handle_landed(ports: AdminPorts, request: ApiRequest) -> Response:
    """The csv_landed function: verify the caller, read the event, start the package's run."""
    verify_task_caller(request.headers, ports.settings, ports.tokens)
    obj = parse_event(request.headers, request.body)
    landing = classify(ports.sync.packages_bucket, obj)
    if isinstance(landing, str):
        return _ignored(obj, landing)
    try:
        if landing.package_id is not None:
            return _start_upload(ports, obj, landing)
        return _start_inbox(ports, obj, landing)
    except NotFound as exc:  # no such district, or the object is gone: nothing will change that
        return _ignored(obj, exc.message)
