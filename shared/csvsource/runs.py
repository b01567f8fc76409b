"""A CSV package's run: created when the package lands (csv_landed) with an id that depends only
on the object (bucket, name, generation), so a repeated event finds the same run.

Before the run is queued the package is checked cheaply: its size (0 bytes, over the limit) and
its manifest and header lines (only those are read). A package that fails a check still gets a
run, failed with the reason and the fix, so the admin sees it in the runs list like any failed
run; nothing is staged and nothing is removed. A sound package gets a queued run whose first task
stages it (stage.py); from there it is an ordinary run (docs/csv-packages.md)."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from shared.csvpackage import PackageError, open_package
from shared.csvsource.ports import StoredObject
from shared.districts import load_district
from shared.ids import digest
from shared.oneroster.errors import OneRosterError
from shared.store import layout
from shared.sync.ports import SyncPorts
from shared.sync.runs import DISCONNECTED, create_run, failure_text
from shared.sync.warning_log import latest_full_run

log = logging.getLogger(__name__)

MIB = 1024 * 1024
CHECK = "package checks"
NOT_CSV = (
    "the district syncs over the OneRoster API, so a CSV package does not start a run; to take "
    'packages instead, connect it with PUT /districts/{d}/connection and {"source": "csv"}'
)
_YEAR_2000 = 946_684_800  # seconds since the epoch
_YEAR_9000 = 221_845_392_000


def _size(count: int) -> str:
    return f"{count:,} bytes ({count / MIB:.1f} MiB)" if count >= MIB else f"{count:,} bytes"


def landed_at(obj: StoredObject) -> dt.datetime:
    """When the object was written: Cloud Storage's generation is its time in microseconds since
    the epoch. A generation of nanoseconds (the local emulator's), milliseconds or seconds is read
    as such, and one that is no time at all gives the epoch: the run id must not depend on when
    it is asked."""
    number = int(obj.generation) if obj.generation.isdigit() else 0
    for scale in (10**6, 10**9, 10**3, 1):
        if _YEAR_2000 * scale <= number < _YEAR_9000 * scale:
            return dt.datetime.fromtimestamp(number / scale, dt.UTC)
    return dt.datetime.fromtimestamp(0, dt.UTC)


def csv_run_id(obj: StoredObject, kind: str, at: dt.datetime) -> str:
    """``{time}-{kind}-csv{digest}``: sorts with the other runs (new_run_id) and is the same for
    every event of one generation of one object."""
    token = digest(obj.bucket, obj.name, obj.generation)[:8]
    return f"{at:%Y%m%dT%H%M%S}-{kind}-csv{token}"


def package_fields(obj: StoredObject, version: str | None) -> dict[str, Any]:
    return {
        "bucket": obj.bucket,
        "name": obj.name,
        "generation": obj.generation,
        "size": obj.size,
        "version": version,
    }


def size_problem(size: int, limit: int) -> str | None:
    """Why a package of ``size`` bytes is not read, or None. Pure."""
    if size <= 0:
        return "the package is empty (0 bytes); export the package again and upload it again"
    if size > limit:
        return (
            f"the package is {_size(size)}, over the limit of {_size(limit)}; split the district's "
            "export (for example by school) or raise ROSTERSYNC_MAX_PACKAGE_BYTES"
        )
    return None


def _existing(ports: SyncPorts, district_id: str, obj: StoredObject) -> str | None:
    """The run an earlier event of this object already made (any kind)."""
    for kind in ("full", "delta"):
        run_id = csv_run_id(obj, kind, landed_at(obj))
        if ports.store.get(layout.run(district_id, run_id)) is not None:
            return run_id
    return None


def _failed_run(
    ports: SyncPorts,
    district_id: str,
    obj: StoredObject,
    reason: str,
    *,
    requested_by: str,
    dry_run: bool,
) -> str:
    """A run that failed before it was queued, written as fail_run writes a failure."""
    now = ports.clock()
    run_id = csv_run_id(obj, "full", landed_at(obj))
    ports.store.create(
        layout.run(district_id, run_id),
        {
            "district_id": district_id,
            "kind": "full",
            "dry_run": dry_run,
            "requested_by": requested_by,
            "state": "failed",
            "created_at": now,
            "finished_at": now,
            "failure": {"reason": failure_text(reason), "where": CHECK},
            "full_epoch": latest_full_run(ports.store, district_id) or run_id,
            "source": "csv",
            "package": package_fields(obj, None),
        },
    )
    labels = {"district": district_id, "run": run_id}
    log.warning("csv.package_refused", extra={"labels": labels, "fields": {"where": CHECK}})
    return run_id


def _read_version(ports: SyncPorts, obj: StoredObject) -> tuple[str, str]:
    """(kind, version) from the manifest; PackageError when the package cannot be read."""
    if ports.packages is None:
        raise PackageError("no package storage is configured", None, "set up Cloud Storage")
    with ports.packages.open_read(obj.bucket, obj.name) as stream, open_package(stream) as package:
        return package.manifest.kind, package.manifest.version


def _refusal(ports: SyncPorts, district_id: str, obj: StoredObject) -> str | None:
    """Why the district does not take this package now, or None."""
    try:
        district = load_district(ports.store, district_id)
    except OneRosterError as exc:  # settings unusable: ConfigurationError names the field
        return exc.message
    if district.source != "csv":
        return NOT_CSV.replace("{d}", district_id)
    if not district.connected:
        return DISCONNECTED
    return size_problem(obj.size, ports.max_package_bytes)


def start_csv_run(
    ports: SyncPorts,
    district_id: str,
    obj: StoredObject,
    requested_by: str,
    dry_run: bool = False,
) -> str:
    """The package's run id: a queued run whose first task stages the package, or a failed run
    saying why the package is refused. A repeated call returns the same id and queues nothing
    new. NotFound when the district is not registered."""
    existing = _existing(ports, district_id, obj)
    if existing is not None:
        return existing
    refused = _refusal(ports, district_id, obj)
    if refused is None:
        try:
            kind, version = _read_version(ports, obj)
        except PackageError as exc:
            refused = str(exc)
    if refused is not None:
        return _failed_run(
            ports, district_id, obj, refused, requested_by=requested_by, dry_run=dry_run
        )
    run_id = csv_run_id(obj, kind, landed_at(obj))
    return create_run(
        ports,
        district_id,
        kind="delta" if kind == "delta" else "full",
        dry_run=dry_run,
        requested_by=requested_by,
        run_id=run_id,
        package=package_fields(obj, version),
    )
