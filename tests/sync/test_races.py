"""Races as production meets them: the whole stack with tasks delivered in parallel and EVERY task
delivered twice at once. The documents must equal those of a sequential run of the same data (the
step runner on in-memory ports), and each run must finish exactly once."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from google.cloud import firestore

from shared.adapters.firestore_store import FirestoreStore
from shared.store import layout
from shared.sync.runs import create_run
from shared.sync.warning_sets import run_warnings
from tests.conftest import StepWorld, SyncHarness
from tools.localstack import LocalStack

RUN_STAMPS = {"created_at", "updated_at", "updated_by_run", "linked_at", "unlinked_at"}


@pytest.fixture(scope="module")
def duplicating_harness(
    local_stack: LocalStack, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SyncHarness]:
    stack = LocalStack(
        tmp_path_factory.mktemp("dup-stack"), tasks_time_scale=0.02, tasks_duplicate_rate=1.0
    )
    saved = dict(os.environ)
    try:
        stack.up(["firestore", "tasks", "secrets", "functions"])
        os.environ.update(stack.env())
        client = firestore.Client(project=stack.env()["GOOGLE_CLOUD_PROJECT"])
        yield SyncHarness(stack, client)
    finally:
        os.environ.clear()
        os.environ.update(saved)
        assert not stack.down()


def _plain(docs: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {k: {f: v for f, v in d.items() if f not in RUN_STAMPS} for k, d in docs.items()}


def _firestore_docs(harness: SyncHarness, district_id: str, collection: str) -> dict[str, Any]:
    ref = harness.district(district_id).collection(collection)
    return _plain({s.id: s.to_dict() or {} for s in ref.stream()})


def _memory_docs(world: StepWorld, district_id: str, folder: str) -> dict[str, Any]:
    return _plain(
        {d.id: d.data for d in world.store.query(f"{layout.district(district_id)}/{folder}")}
    )


def _firestore_run_warnings(harness: SyncHarness, district_id: str, run_id: str) -> set[str]:
    return {w["key"] for w in run_warnings(FirestoreStore(harness.db), district_id, run_id)}


def _memory_run_warnings(world: StepWorld, district_id: str, run_id: str) -> set[str]:
    return {w["key"] for w in run_warnings(world.store, district_id, run_id)}


def _run_done_lines(stack: LocalStack, run_id: str) -> int:
    lines = Path(stack.services["functions"].log).read_text(encoding="utf-8").splitlines()
    return sum(1 for line in lines if '"sync.run_done"' in line and json.dumps(run_id) in line)


def _add_accounts(running: Any, harness: SyncHarness, world: StepWorld, district: str) -> None:
    """An app account for every other SIS user with an email, in both stores."""
    users = [u for u in running.sis.store.all("users") if u.get("email")][::2]
    for index, user in enumerate(users):
        doc = {"match_keys": {"email": user["email"].lower()}, "display_name": f"user {index}"}
        harness.district(district).collection("accounts").document(f"acc-{index}").set(doc)
        world.store.set(f"{layout.accounts(district)}/acc-{index}", doc)


def test_parallel_duplicate_deliveries_end_as_a_sequential_run(
    make_sis, duplicating_harness: SyncHarness, step_world: StepWorld
) -> None:
    running = make_sis(students=400, schools=4, seed=21)
    district = duplicating_harness.register(running)
    sequential = step_world.register(running, district)
    _add_accounts(running, duplicating_harness, step_world, district)
    status = duplicating_harness.sync(district, timeout=240)
    run_id = create_run(step_world.ports, sequential, kind="full", dry_run=False, requested_by="t")
    step_world.drain()
    baseline = step_world.store.get(layout.run(sequential, run_id)) or {}
    assert status["state"] == baseline["state"] and status["counts"] == baseline["counts"]
    warnings = _firestore_run_warnings(duplicating_harness, district, status["run_id"])
    assert warnings == _memory_run_warnings(step_world, sequential, run_id)
    for folder in ("classes", "account_links"):
        assert _firestore_docs(duplicating_harness, district, folder) == _memory_docs(
            step_world, sequential, folder
        ), folder
    assert _run_done_lines(duplicating_harness.stack, status["run_id"]) == 1
