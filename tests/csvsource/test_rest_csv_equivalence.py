"""REST and CSV give the same district (issue 13, "Equivalence"): one district in the local SIS,
synced over its OneRoster REST API into district A and exported as a OneRoster CSV package
(tools/oneroster_sis/csvexport.py) dropped into the packages bucket for district B, ends as the
same Firestore classes (members included), accounts and account links, document for document.

The CSV run is started as in production: the zip lands at ``districts/{B}/inbox/{date}.zip`` in
the Cloud Storage emulator, the stack's event delivery (tools/storage_events.py) sends the
``csv_landed`` CloudEvent, and the run goes through staging, the page steps and the school steps.
"""

from __future__ import annotations

import datetime as dt
import re
import time
import unicodedata
import uuid
from collections import Counter
from typing import Any

import pytest
import requests
from google.cloud import firestore

from shared.adapters.package_storage import make_storage_client
from shared.ids import safe_id
from shared.settings import Settings
from tests.conftest import ADMIN, SyncHarness
from tools.oneroster_sis.harness import RunningSis

SETTINGS: dict[str, Any] = {"schedule": {"enabled": False}, "accounts": {"create_accounts": True}}
COLLECTIONS = ("classes", "accounts", "account_links", "sis_schools", "sis_terms")
# The only fields that may differ between the two districts, replaced before comparing: when
# the run wrote the document and which run it was. Everything else must be equal.
NORMALIZED = {
    "classes": ("created_at", "updated_at", "updated_by_run"),
    "accounts": ("created_at",),
    "account_links": ("linked_at",),
    "sis_schools": ("seen_at",),
    "sis_terms": ("seen_at",),
}
# A created account's username is the first free one of its stem (shared/sync/accounts.py), so
# two users of different schools with one stem get theirs in the order the school steps run: a
# seed whose users' stems all differ (checked below) keeps that race out of the comparison.
SEED = 39


def documents(db: firestore.Client, district_id: str, collection: str) -> dict[str, Any]:
    ref = db.collection("districts").document(district_id).collection(collection)
    return {snap.id: snap.to_dict() or {} for snap in ref.stream()}


def normalized(collection: str, doc: dict[str, Any]) -> dict[str, Any]:
    return {k: ("<normalized>" if k in NORMALIZED[collection] else v) for k, v in doc.items()}


def username_stem(user: dict[str, Any]) -> str:
    """First initial and family name, letters and digits only (no K-2 students here)."""
    text = unicodedata.normalize("NFKD", user["givenName"][:1] + user["familyName"])
    return re.sub(r"[^a-z0-9]", "", text.encode("ascii", "ignore").decode().lower())


def connect_csv(harness: SyncHarness) -> str:
    district_id = f"csv-{uuid.uuid4().hex[:8]}"
    harness.district(district_id).collection("staff").document(safe_id(ADMIN)).set(
        {"role": "admin"}
    )
    connected = harness.admin("PUT", district_id, "/connection", {"source": "csv"})
    assert connected.status_code == 200, connected.text
    assert harness.admin("PATCH", district_id, "/settings", SETTINGS).status_code == 200
    return district_id


def drop_package(harness: SyncHarness, district_id: str, package: bytes) -> None:
    """What a district's SFTP gateway does: the zip lands in its inbox in the packages bucket."""
    settings = Settings.from_env(harness.stack.env())
    client = make_storage_client(settings.project_id, settings.storage_emulator_host)
    name = f"districts/{district_id}/inbox/{dt.date.today().isoformat()}.zip"
    client.bucket(settings.packages_bucket).blob(name).upload_from_string(
        package, content_type="application/zip"
    )


def landed_run(harness: SyncHarness, district_id: str, timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        runs = harness.admin("GET", district_id, "/runs").json()["runs"]
        if runs:
            return str(runs[0]["run_id"])
        time.sleep(0.2)
    raise AssertionError(f"no run started for the package dropped for {district_id}")


@pytest.mark.parametrize("version", ["1.2", "1.1"])
def test_rest_and_csv_sync_the_same_documents(
    sync_harness: SyncHarness, make_sis: Any, version: str
) -> None:
    running: RunningSis = make_sis(students=48, schools=2, seed=SEED)
    stems = Counter(username_stem(u) for u in running.sis.store.all("users"))
    assert max(stems.values()) == 1, f"pick another SEED: {stems.most_common(2)}"
    export = requests.get(
        f"{running.origin}/_control/export-csv", params={"version": version}, timeout=30
    )
    assert export.status_code == 200, export.text
    via_csv = connect_csv(sync_harness)
    drop_package(sync_harness, via_csv, export.content)
    via_rest = sync_harness.register(running, version=version, **SETTINGS)

    rest_run = sync_harness.sync(via_rest, timeout=60)
    csv_run = sync_harness.wait(via_csv, landed_run(sync_harness, via_csv), timeout=60)
    assert rest_run["state"].startswith("succeeded"), rest_run
    assert csv_run["state"].startswith("succeeded"), csv_run
    assert csv_run["source"] == "csv" and csv_run["package"]["version"] == version

    for collection in COLLECTIONS:
        rest_docs = documents(sync_harness.db, via_rest, collection)
        csv_docs = documents(sync_harness.db, via_csv, collection)
        assert rest_docs, collection
        for name in NORMALIZED[collection]:  # the list names fields that exist, no more
            assert any(name in doc for doc in rest_docs.values()), (collection, name)
        rest_docs = {k: normalized(collection, v) for k, v in rest_docs.items()}
        csv_docs = {k: normalized(collection, v) for k, v in csv_docs.items()}
        assert sorted(csv_docs) == sorted(rest_docs), collection
        for doc_id, rest_doc in rest_docs.items():
            assert csv_docs[doc_id] == rest_doc, (collection, doc_id)
