"""Small hand-made OneRoster CSV packages for tests, and a CSV district on in-memory ports.

``package_zip`` writes every column of the binding's header (shared/csvpackage/binding.py) with
the given values, blank for the rest; ``modes`` marks files delta or absent in the manifest.

How a test starts a CSV run (see tests/csvsource/test_stage.py):

    world = csv_world()                                   # MemoryStore, queue, MemoryPackageStorage
    world.register_csv("d1")                              # connection {"source": "csv"}
    obj = world.land("d1", package_zip("1.2", FILES))     # the zip lands in the packages bucket
    run_id = start_csv_run(world.ports, "d1", obj, requested_by="inbox")
    world.drain()                                         # stage, start, pages, schools
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from shared.adapters.sis_clients import OneRosterClients
from shared.csvpackage.binding import COLUMNS, MANIFEST, ROSTER_FILES
from shared.csvsource.ports import MemoryPackageStorage, StoredObject
from shared.store import layout
from shared.store.memory import MemoryStore
from shared.sync.ports import SyncPorts
from tests.conftest import MemorySecrets, RecordingQueue, StepWorld

PACKAGES = "test-packages"
STAGING = "test-staging"
Rows = Sequence[Mapping[str, str]]


def _csv(header: Sequence[str], rows: Rows) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(column, "") for column in header])
    return out.getvalue().encode("utf-8")


def package_zip(
    version: str, files: Mapping[str, Rows], modes: Mapping[str, str] | None = None
) -> bytes:
    """A zip with manifest.csv and one CSV per entry of ``files`` (stem -> rows)."""
    modes = dict(modes or {})
    manifest = [("manifest.version", "1.0"), ("oneroster.version", version)]
    for stem in sorted(ROSTER_FILES & set(COLUMNS[version]) | set(files)):
        manifest.append((f"file.{stem}", modes.get(stem, "bulk" if stem in files else "absent")))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        lines = [{"propertyName": k, "value": v} for k, v in manifest]
        archive.writestr(MANIFEST, _csv(("propertyName", "value"), lines))
        for stem, rows in files.items():
            archive.writestr(f"{stem}.csv", _csv(COLUMNS[version][stem], rows))
    return buffer.getvalue()


class CsvWorld(StepWorld):
    storage: MemoryPackageStorage

    def register_csv(self, district_id: str = "d1", **doc: Any) -> str:
        self.store.set(
            layout.district(district_id),
            {
                "connection": {"source": "csv"},
                "connected": True,
                "schedule": {"enabled": False},
                **doc,
            },
        )
        return district_id

    def land(self, district_id: str, data: bytes, name: str = "export.zip") -> StoredObject:
        return self.storage.put(PACKAGES, f"districts/{district_id}/inbox/{name}", data)


def csv_world(clock: Callable[[], dt.datetime] | None = None) -> CsvWorld:
    store, queue, secrets = MemoryStore(), RecordingQueue(), MemorySecrets()
    storage = MemoryPackageStorage()
    now = clock or (lambda: dt.datetime.now(dt.UTC))
    ports = SyncPorts(
        store,
        queue,
        OneRosterClients(secrets, local_dev=True),
        now,
        packages=storage,
        packages_bucket=PACKAGES,
        staging_bucket=STAGING,
    )
    world = CsvWorld(store, queue, ports, secrets)
    world.storage = storage
    return world
