"""What the store operations of a sync's steps cost on the Firestore emulator once a district is
stored: a full sync of the bench's district (the same seed and size) on a fresh stack, then each
operation repeated, with the emulator's CPU seconds (its process group, bench/usage.py), this
process's CPU seconds (the caller's decoding) and the wall time, per operation:

- a school's mirror read whole (four queries) against its snapshot and against the run's page
  copies put together with their four counts (shared/sync/mirror_copies.py);
- the school's synced classes by query (the versions a quiet check compares) and by path;
- a count of the run's ended schools (each school's end) and a run status read (a progress poll).

    .venv/bin/python -m bench.store_costs [--students 10000] [--out DIR]

Writes ``store_costs.json`` into ``--out`` (default ``bench/results``). docs/bench.md holds a
run.
"""

from __future__ import annotations

import argparse
import logging
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import report
from bench.measure import Bench, Progress, connect, sync_stage
from bench.run import SERVICES, district_sis
from bench.usage import cpu_seconds
from tools.localstack import LocalStack
from tools.oneroster_sis.harness import serve

REPEATS = 10


def timed(emulator: int, operation: Callable[[int], Any]) -> dict[str, float]:
    """``operation`` run REPEATS times (with the repeat's number): milliseconds per run."""
    cpu, own, wall = cpu_seconds(emulator), time.process_time(), time.monotonic()
    for n in range(REPEATS):
        operation(n)
    return {
        "emulator_cpu_ms": round((cpu_seconds(emulator) - cpu) * 1000 / REPEATS, 1),
        "caller_cpu_ms": round((time.process_time() - own) * 1000 / REPEATS, 1),
        "wall_ms": round((time.monotonic() - wall) * 1000 / REPEATS, 1),
    }


def operations(bench: Bench, run_id: str) -> dict[str, Callable[[int], Any]]:
    from shared.adapters.firestore_store import FirestoreStore
    from shared.store import layout
    from shared.store.ports import Filter
    from shared.sync import mirror_copies, mirror_snapshot, mirror_store, school_inputs

    store, district = FirestoreStore(bench.db), bench.district.id
    orgs = bench.running.sis.store.all("orgs")
    schools = [o["sourcedId"] for o in orgs if o.get("type") == "school"]

    def school(n: int) -> str:
        return str(schools[n % len(schools)])

    def copies(n: int) -> Any:
        fetches = school_inputs.read_fetches(store, district, run_id, school(n))
        found = school_inputs.read_pages(store, district, run_id, school(n), fetches).copies
        stored = mirror_copies.read_copies(store, district, run_id, found or ())
        return mirror_copies.holds_every_document(store, district, school(n), stored or {})

    def snapshot(n: int) -> Any:
        late = mirror_snapshot.read_writers(store, district, school(n))[1]
        return mirror_snapshot.read_snapshot(store, district, school(n), late)

    class_ids = {s: list(school_inputs.school_class_versions(store, district, s)) for s in schools}
    ended = Filter("state", "in", ["applied", "failed", "held"])
    return {
        "mirror read whole (4 queries)": lambda n: mirror_store._read_whole(
            store, district, school(n)
        ),
        "mirror snapshot": snapshot,
        "mirror from page copies, with 4 counts": copies,
        "classes' versions by query": lambda n: school_inputs.school_class_versions(
            store, district, school(n)
        ),
        "classes' versions by path": lambda n: store.versions_at(
            [layout.class_doc(district, c) for c in class_ids[school(n)]]
        ),
        "count of ended schools": lambda n: store.count(
            layout.run_part(district, run_id, "schools"), ended
        ),
        "run status read (admin API)": lambda n: bench.admin("GET", f"/runs/{run_id}"),
    }


def measure(students: int, state_dir: Path) -> dict[str, Any]:
    from google.cloud import firestore

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request otherwise
    progress = Progress(f"{students:,} students · ")
    sis = district_sis(students, progress)
    stack = LocalStack(state_dir)
    try:
        stack.up(SERVICES)
        os.environ.update(stack.env())
        db = firestore.Client(project=stack.env()["GOOGLE_CLOUD_PROJECT"])
        with serve(sis) as running:
            bench = Bench(stack, db, running, progress)
            connect(bench)
            run = sync_stage(bench, "full", "full sync")
            run_id = bench.district.collection("runs").limit(1).get()[0].id
            emulator = stack.services["firestore"].pid
            costs = {
                name: timed(emulator, operation)
                for name, operation in operations(bench, run_id).items()
            }
    finally:
        stack.down()
    return {"students": students, "full_sync_seconds": run["seconds"], "per_operation": costs}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=10_000)
    parser.add_argument("--out", type=Path, default=report.RESULTS)
    options = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="store-costs-") as state:
        result = measure(options.students, Path(state))
    for name, cost in result["per_operation"].items():
        print(f"{name:<40} " + ", ".join(f"{k} {v:,.1f}" for k, v in cost.items()))
    report.save_measurement(options.out, "store_costs.json", result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
