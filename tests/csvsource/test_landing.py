"""csv_landed (shared/csvsource/landing.py) on in-memory ports: the CloudEvent checked field by
field, object names mapped to districts or ignored, a repeated event finding the same run, an
upload taking its package document's settings, and the caller's token checked as the task
handlers check theirs (signed by a local issuer key, verified with google-auth)."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pytest
from google.auth import jwt
from werkzeug.datastructures import Headers

from shared.adapters.sis_clients import OneRosterClients
from shared.csvsource.landing import FINALIZED, Landing, classify, handle_landed
from shared.csvsource.ports import MemoryPackageStorage, StoredObject
from shared.csvsource.runs import csv_run_id, landed_at
from shared.errors import Unauthenticated
from shared.settings import Settings
from shared.store import layout
from shared.store.memory import MemoryStore
from shared.sync.connection import connect_csv
from shared.sync.district import DistrictConfig
from shared.sync.ports import AdminPorts, SyncPorts
from shared.web.edge import ApiRequest, respond
from tests.conftest import MemorySecrets, RecordingQueue
from tools.local_issuer import IssuerKeys, create_keys
from tools.oneroster_sis.csvexport import write_package
from tools.oneroster_sis.generator import DistrictSpec, generate_district

BUCKET = "p-rostersync-packages"
SERVICE_ACCOUNT = "tasks@p.iam.gserviceaccount.com"
FUNCTIONS = "http://127.0.0.1:9"
SETTINGS = Settings(
    project_id="p",
    tasks_location="us-central1",
    firestore_emulator_host=None,
    tasks_emulator_host=None,
    local_dev=True,
    functions_url=FUNCTIONS,
    tasks_service_account=SERVICE_ACCOUNT,
    id_token_audience="rostersync-local",
)
CSV_DISTRICT = {"connection": {"source": "csv"}, "connected": True, "schedule": {"enabled": False}}
REST_DISTRICT = {
    "connection": {
        "vendor": "generic",
        "version": "1.2",
        "rostering_base_url": "https://sis.example.org/ims/oneroster/rostering/v1p2",
        "token_url": "https://sis.example.org/oauth/token",
        "client_id": "c",
    },
    "secret_name": "rostersync-d-sis",
    "connected": True,
}


class IssuerVerifier:
    """A TokenVerifier for the local issuer's key: google-auth's signature, expiry and audience
    checks, as shared/adapters/google_tokens.py does with the certificates it fetches."""

    def __init__(self, keys: IssuerKeys) -> None:
        self.keys = keys

    def verify(self, token: str, audience: str | None) -> dict[str, Any]:
        try:
            claims: dict[str, Any] = jwt.decode(token, certs=self.keys.certs(), audience=audience)
        except ValueError:
            raise Unauthenticated("the token is not valid") from None
        if claims.get("iss") != self.keys.issuer:
            raise Unauthenticated("the token's issuer is not trusted")
        return claims


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> IssuerKeys:
    return create_keys(tmp_path_factory.mktemp("issuer"), "https://issuer.test")


@pytest.fixture(scope="module")
def package_bytes() -> bytes:
    out = io.BytesIO()
    write_package(generate_district(DistrictSpec(seed=5, students=8)), out, version="1.2")
    return out.getvalue()


@dataclass
class World:
    store: MemoryStore
    queue: RecordingQueue
    storage: MemoryPackageStorage
    ports: AdminPorts
    keys: IssuerKeys

    def token(self, email: str = SERVICE_ACCOUNT, audience: str = f"{FUNCTIONS}/csv_landed") -> str:
        return self.keys.mint(email, audience)

    def deliver(
        self,
        obj: StoredObject | Mapping[str, Any] | None,
        token: str | None = "",
        **header_changes: str | None,
    ) -> tuple[int, dict[str, Any]]:
        """What Eventarc POSTs: ce-* headers, the StorageObjectData body, the bearer token."""
        body = _data(obj) if isinstance(obj, StoredObject) else obj
        headers = {
            "ce-specversion": "1.0",
            "ce-id": "4242",
            "ce-source": f"//storage.googleapis.com/projects/_/buckets/{BUCKET}",
            "ce-type": FINALIZED,
            "Content-Type": "application/json",
            "Authorization": f"Bearer {self.token() if token == '' else token}",
        }
        for name, value in header_changes.items():
            headers[name.replace("_", "-")] = value  # type: ignore[assignment]
        if token is None:
            headers.pop("Authorization")
        kept = Headers([(k, v) for k, v in headers.items() if v is not None])
        request = ApiRequest("POST", "/", kept, dict(body) if body is not None else None)
        return respond(lambda: handle_landed(self.ports, request))

    def runs(self, district_id: str) -> dict[str, dict[str, Any]]:
        return {doc.id: doc.data for doc in self.store.query(layout.runs(district_id))}


def _data(obj: StoredObject) -> dict[str, Any]:
    return {
        "bucket": obj.bucket,
        "name": obj.name,
        "generation": obj.generation,
        "size": str(obj.size),
        "contentType": obj.content_type,
        "kind": "storage#object",
    }


@pytest.fixture
def world(keys: IssuerKeys) -> World:
    store, queue, storage = MemoryStore(), RecordingQueue(), MemoryPackageStorage()
    now = lambda: dt.datetime.now(dt.UTC)  # noqa: E731
    sync = SyncPorts(
        store,
        queue,
        OneRosterClients(MemorySecrets(), local_dev=True),
        now,
        packages=storage,
        packages_bucket=BUCKET,
        staging_bucket="p-rostersync-staging",
    )
    return World(
        store,
        queue,
        storage,
        AdminPorts(sync, MemorySecrets(), IssuerVerifier(keys), SETTINGS),
        keys,
    )


OBJECT = {"bucket": BUCKET, "name": "districts/d1/inbox/a.zip", "generation": "17", "size": "9"}


@pytest.mark.parametrize(
    ("body", "headers", "named"),
    [
        (OBJECT, {"ce_id": None}, "ce-id"),
        (OBJECT, {"ce_specversion": "0.3"}, "ce-specversion"),
        (OBJECT, {"ce_type": "google.cloud.storage.object.v1.deleted"}, "ce-type"),
        (OBJECT, {"ce_source": ""}, "ce-source"),
        (None, {}, "body"),
        ({**OBJECT, "name": None}, {}, "name"),
        ({**OBJECT, "size": "nine"}, {}, "size"),
        ({**OBJECT, "generation": "-1"}, {}, "generation"),
        ({k: v for k, v in OBJECT.items() if k != "bucket"}, {}, "bucket"),
    ],
)
def test_an_event_that_is_not_a_finalized_object_is_a_400_naming_the_field(
    world: World, body: Any, headers: dict[str, Any], named: str
) -> None:
    status, answer = world.deliver(body, **headers)
    assert status == 400, answer
    assert answer["detail"].startswith(f"{named}:"), answer["detail"]
    assert "Traceback" not in answer["detail"] and world.runs("d1") == {}


@pytest.mark.parametrize(
    ("name", "landing"),
    [
        ("districts/d1/inbox/export.zip", Landing("d1", None)),
        ("districts/d1/inbox/EXPORT.ZIP", Landing("d1", None)),
        ("districts/d-2/uploads/20260101T000000-abc.zip", Landing("d-2", "20260101T000000-abc")),
        ("districts/d1/inbox/export.csv", "is not a .zip package"),
        ("districts/d1/inbox/sub/export.zip", "is not districts/<district>/inbox/"),
        ("districts/d1/outbox/export.zip", "is not districts/<district>/inbox/"),
        ("districts/__x__/inbox/a.zip", "is not a district id"),
        ("districts/d1/uploads/.zip", "is not a .zip package"),
        ("districts/d1/uploads/_bad.zip", "is not a package id"),
        ("runs/d1/r1/index.json", "is not districts/<district>/inbox/"),
    ],
)
def test_object_names_map_to_a_district_or_are_ignored(name: str, landing: Any) -> None:
    found = classify(BUCKET, StoredObject(BUCKET, name, "1", 10, None))
    if isinstance(landing, Landing):
        assert found == landing
    else:
        assert isinstance(found, str) and landing in found
    other = classify(BUCKET, StoredObject("another-bucket", name, "1", 10, None))
    assert isinstance(other, str) and "not the packages bucket" in other


def test_ignored_objects_answer_200_and_start_nothing(world: World) -> None:
    world.store.set(layout.district("d1"), CSV_DISTRICT)
    for name in ("districts/d1/inbox/notes.txt", "districts/d1/uploads/nopackage.zip",
                 "districts/nowhere/inbox/a.zip"):  # fmt: skip
        obj = world.storage.put(BUCKET, name, b"PK")
        status, answer = world.deliver(obj)
        assert status == 200 and "ignored" in answer, answer
    assert world.runs("d1") == {} and world.queue.take() == []


def test_a_dropped_package_starts_one_run_however_often_the_event_comes(
    world: World, package_bytes: bytes
) -> None:
    world.store.set(layout.district("d1"), CSV_DISTRICT)
    obj = world.storage.put(BUCKET, "districts/d1/inbox/nightly.zip", package_bytes)
    answers = [world.deliver(obj) for _ in range(3)]
    assert {status for status, _ in answers} == {200}, answers
    run_ids = {answer["run_id"] for _, answer in answers}
    runs = world.runs("d1")
    assert len(run_ids) == 1 and set(runs) == run_ids
    run = runs[run_ids.pop()]
    assert run["state"] == "queued" and run["source"] == "csv" and run["requested_by"] == "inbox"
    assert run["package"]["name"] == obj.name and run["dry_run"] is False
    assert [task["step"] for task in world.queue.take()] == ["stage"]
    again = world.storage.put(BUCKET, obj.name, package_bytes)  # a new generation: a new run
    assert world.deliver(again)[1]["run_id"] not in run_ids | {None}


def test_an_upload_runs_as_its_package_says_and_records_the_run(
    world: World, package_bytes: bytes
) -> None:
    world.store.set(layout.district("d1"), CSV_DISTRICT)
    name = "districts/d1/uploads/20260102T030405-p1.zip"
    world.store.set(
        layout.package("d1", "20260102T030405-p1"),
        {"state": "awaiting_upload", "dry_run": True, "requested_by": "admin@d1.example.org"},
    )
    status, answer = world.deliver(world.storage.put(BUCKET, name, package_bytes))
    assert status == 200 and answer["package_id"] == "20260102T030405-p1", answer
    run = world.runs("d1")[answer["run_id"]]
    assert run["dry_run"] is True and run["requested_by"] == "admin@d1.example.org"
    package = world.store.get(layout.package("d1", "20260102T030405-p1")) or {}
    assert package["state"] == "landed" and package["run_id"] == answer["run_id"]


def test_a_package_for_a_rest_district_is_a_failed_run_saying_how_to_switch(
    world: World, package_bytes: bytes
) -> None:
    world.store.set(layout.district("d1"), REST_DISTRICT)
    obj = world.storage.put(BUCKET, "districts/d1/inbox/nightly.zip", package_bytes)
    status, answer = world.deliver(obj)
    run = world.runs("d1")[answer["run_id"]]
    assert status == 200 and run["state"] == "failed", run
    assert '{"source": "csv"}' in run["failure"]["reason"]
    assert world.queue.take() == []


def test_only_the_task_service_account_with_this_audience_may_call(world: World) -> None:
    world.store.set(layout.district("d1"), CSV_DISTRICT)
    obj = world.storage.put(BUCKET, "districts/d1/inbox/a.zip", b"PK")
    teacher = world.token("teacher@d1.example.org", SETTINGS.id_token_audience or "")
    elsewhere = world.token(SERVICE_ACCOUNT, "https://elsewhere.example.org/csv_landed")
    forged = world.token()[:-8] + "AAAAAAAA"
    assert world.deliver(obj, token=None)[0] == 401
    assert world.deliver(obj, token=forged)[0] == 401
    assert world.deliver(obj, token=teacher)[0] == 403
    assert world.deliver(obj, token=elsewhere)[0] == 403
    assert world.runs("d1") == {}


def test_connecting_csv_replaces_a_rest_connection_whole_and_keeps_the_rest(world: World) -> None:
    world.store.set(layout.district("d1"), {**REST_DISTRICT, "export_enabled": False})
    answer = connect_csv(world.ports, "d1", {"source": "csv"})
    doc = world.store.get(layout.district("d1")) or {}
    assert answer["inbox"] == f"gs://{BUCKET}/districts/d1/inbox/"
    assert doc["connection"] == {"source": "csv"} and doc["connected"] is True
    assert doc["export_enabled"] is False and doc["secret_name"] == REST_DISTRICT["secret_name"]
    assert DistrictConfig.from_doc("d1", doc).source == "csv"


@pytest.mark.parametrize(
    ("generation", "landed"),
    [
        ("1796552886002892", "20261206T102806"),  # Cloud Storage: microseconds
        ("1796552886002892585", "20261206T102806"),  # the local emulator: nanoseconds
        ("1796552886002", "20261206T102806"),
        ("12", "19700101T000000"),  # no time at all: the epoch, never the clock
    ],
)
def test_a_runs_id_carries_the_time_its_object_was_written(generation: str, landed: str) -> None:
    obj = StoredObject(BUCKET, "districts/d1/inbox/a.zip", generation, 10, None)
    assert csv_run_id(obj, "full", landed_at(obj)).startswith(f"{landed}-full-csv")
