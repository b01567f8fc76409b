"""Admin uploads of CSV packages (docs/http-api.md, "CSV packages"): the admin API hands out a
resumable upload session on the packages bucket for ``districts/{d}/uploads/{package_id}.zip``
and keeps a package document (``districts/{d}/packages/{package_id}``) saying who asked and
whether it is a dry run; when the object lands, csv_landed (landing.py) starts its run and
records the run id there. The file never passes through a function: an HTTP function's request
body is limited, a Cloud Storage upload session is not.

Also here: what makes a district a CSV district (``connection: {"source": "csv"}``) and the
answers that tell the admin how to switch."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from shared.audit import record_action
from shared.errors import Conflict, InvalidInput, NotFound, TooLarge
from shared.identity import Caller
from shared.store import layout
from shared.store.ports import DOC_ID, DocumentStore, Order
from shared.sync.admin_models import PackageRequest
from shared.sync.ports import AdminPorts
from shared.web.edge import ApiRequest, Response

ZIP = "application/zip"
LISTED = 20
NEWEST_FIRST = (Order("created_at", descending=True), Order(DOC_ID, descending=True))
SHOWN = ("package_id", "state", "run_id", "filename", "size", "dry_run", "requested_by")


def is_csv(doc: Mapping[str, Any] | None) -> bool:
    connection = (doc or {}).get("connection")
    return isinstance(connection, Mapping) and connection.get("source") == "csv"


def inbox(bucket: str, district_id: str) -> str:
    """Where a district's SFTP gateway drops its packages."""
    return f"gs://{bucket}/districts/{district_id}/inbox/"


def refuse_rest_run(ports: AdminPorts, district_id: str) -> None:
    """``POST /runs`` has nothing to read for a CSV district: a package starts its run."""
    if is_csv(ports.sync.store.get(layout.district(district_id))):
        where = inbox(ports.sync.packages_bucket, district_id)
        raise Conflict(
            "this district syncs from CSV packages: upload one (POST "
            f"/districts/{district_id}/packages) or drop it in {where}"
        )


def _require_csv(store: DocumentStore, district_id: str) -> None:
    doc = store.get(layout.district(district_id))
    if not is_csv(doc):
        raise Conflict(
            "this district does not sync from CSV packages; switch it with PUT "
            f'/districts/{district_id}/connection {{"source": "csv"}} (rostersync connect --csv)'
        )
    if (doc or {}).get("connected") is False:
        raise Conflict(
            f"the district is disconnected; reconnect with PUT /districts/{district_id}/connection "
            '{"source": "csv"}'
        )


def _check_size(size: int, limit: int) -> None:
    if size == 0:
        raise InvalidInput(
            "size: the file is empty (0 bytes); export the package again and upload the zip"
        )
    if size > limit:
        raise TooLarge(
            f"size: the file is {size:,} bytes ({size / 2**20:,.0f} MiB), over the limit of "
            f"{limit:,} bytes ({limit / 2**20:,.0f} MiB); export fewer schools or a delta "
            "package, or ask the operator to raise ROSTERSYNC_MAX_PACKAGE_BYTES"
        )


def _new_package_id(ports: AdminPorts) -> str:
    return f"{ports.sync.clock():%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:10]}"


def create_package(
    ports: AdminPorts, request: ApiRequest, caller: Caller, district_id: str
) -> Response:
    """201: the upload session to PUT the zip to, and where to poll for its run."""
    body = PackageRequest.model_validate(request.body or {})
    if not body.filename.lower().endswith(".zip"):
        raise InvalidInput("filename: a OneRoster CSV package is a .zip file; upload the zip")
    _check_size(body.size, ports.sync.max_package_bytes)
    _require_csv(ports.sync.store, district_id)
    if ports.sync.packages is None:
        raise Conflict("CSV packages are not set up here (no packages bucket)")
    package_id, bucket = _new_package_id(ports), ports.sync.packages_bucket
    name = f"districts/{district_id}/uploads/{package_id}.zip"
    url = ports.sync.packages.upload_session(bucket, name, body.size, ZIP)
    now = ports.sync.clock()
    doc = {**body.model_dump(), "package_id": package_id, "requested_by": caller.email}
    doc |= {"state": "awaiting_upload", "created_at": now, "bucket": bucket, "object": name}
    ports.sync.store.set(layout.package(district_id, package_id), doc)
    record_action(ports.sync.store, district_id, actor=caller.email, action="package.create",
                  target=f"packages/{package_id}", at=now, details=body.model_dump())  # fmt: skip
    return 201, {
        "package_id": package_id,
        "upload_url": url,
        "method": "PUT",
        "headers": {"Content-Type": ZIP},
        "object": f"gs://{bucket}/{name}",
        "max_bytes": ports.sync.max_package_bytes,
        "status": f"/districts/{district_id}/packages/{package_id}",
    }


def _shown(doc: Mapping[str, Any]) -> dict[str, Any]:
    out = {key: doc[key] for key in SHOWN if doc.get(key) is not None}
    for key in ("created_at", "landed_at"):
        if hasattr(doc.get(key), "isoformat"):
            out[key] = doc[key].isoformat()
    return out


def show_package(
    ports: AdminPorts, request: ApiRequest, caller: Caller, district_id: str, package_id: str
) -> Response:
    doc = ports.sync.store.get(layout.package(district_id, package_id))
    if doc is None:
        raise NotFound(
            f"no package {package_id!r}; POST /districts/{district_id}/packages makes one"
        )
    return 200, _shown(doc)


def list_packages(
    ports: AdminPorts, request: ApiRequest, caller: Caller, district_id: str
) -> Response:
    docs = ports.sync.store.page(layout.packages(district_id), order=NEWEST_FIRST, limit=LISTED)
    return 200, {"packages": [_shown(doc.data) for doc in docs]}
