"""What a read costs on the Firestore emulator as the database grows: the same 15,000 mark
documents (30 classes, 20 assignments each, 25 marks each) read three ways, first on an emptied
emulator, then with unrelated documents added (the mirror records a sync writes):

- one query per assignment's ``marks`` collection (600 queries);
- one collection group query per class, scoped to the class document (30 queries;
  ``DocumentStore.descendants``);
- batched reads by path (``get_all``, 300 paths a call).

    .venv/bin/python -m bench.emulator_reads [--extra 100000,300000] [--out DIR]

Starts its own emulator on a free loopback port and stops it at the end; writes
``emulator_reads.json`` into ``--out`` (default ``bench/results``). docs/bench.md holds a run.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from bench import report
from shared.adapters.firestore_store import FirestoreStore
from tools.localstack import LocalStack

CLASSES, ASSIGNMENTS, MARKS = 30, 20, 25
THREADS = 8  # the export's and the school step's own degree of parallel reads
ROOT = "districts/reads"
Read = Callable[[Any], int]


def mark_paths() -> list[str]:
    return [
        f"{ROOT}/classes/c{c:02d}/coursework/a{a:02d}/marks/s{s:02d}"
        for c in range(CLASSES)
        for a in range(ASSIGNMENTS)
        for s in range(MARKS)
    ]


def write(db: Any, docs: Iterable[tuple[str, dict[str, Any]]]) -> None:
    batch, pending = db.batch(), 0
    for path, data in docs:
        batch.set(db.document(path), data)
        pending += 1
        if pending == 500:
            batch.commit()
            batch, pending = db.batch(), 0
    if pending:
        batch.commit()


def timed(read: Read, items: list[Any]) -> float:
    started = time.monotonic()
    with ThreadPoolExecutor(THREADS) as pool:
        found = sum(pool.map(read, items))
    if found != CLASSES * ASSIGNMENTS * MARKS:
        raise SystemExit(f"bench: read {found} marks, expected {CLASSES * ASSIGNMENTS * MARKS}")
    return round(time.monotonic() - started, 2)


def read_shapes(db: Any) -> dict[str, float]:
    store = FirestoreStore(db)
    classes = [f"{ROOT}/classes/c{c:02d}" for c in range(CLASSES)]
    collections = [f"{c}/coursework/a{a:02d}/marks" for c in classes for a in range(ASSIGNMENTS)]
    paths = mark_paths()
    chunks = [paths[i : i + 300] for i in range(0, len(paths), 300)]
    return {
        "query_per_assignment": timed(lambda c: sum(1 for _ in store.query(c)), collections),
        "query_per_class": timed(lambda c: sum(1 for _ in store.descendants(c, "marks")), classes),
        "get_by_path": timed(lambda chunk: len(store.get_many(chunk)), chunks),
    }


def unrelated(start: int, count: int) -> Iterable[tuple[str, dict[str, Any]]]:
    for i in range(start, start + count):
        yield (
            f"{ROOT}/schools/s{i % 20:02d}/mirror/r{i:07d}",
            {"data": {"name": f"record {i}", "n": i}, "hash": f"{i:040d}"},
        )


def measure(extra: list[int], state_dir: Path) -> list[dict[str, Any]]:
    from google.cloud import firestore

    stack = LocalStack(state_dir, firestore_heap="8g")
    try:
        stack.up(["firestore"])
        os.environ.update(stack.env())
        db = firestore.Client(project=stack.env()["GOOGLE_CLOUD_PROJECT"])
        write(db, ((p, {"score": 10, "status": "graded", "export": {"hash": "h"}})
                   for p in mark_paths()))  # fmt: skip
        rows, stored = [], 0
        for total in [0, *extra]:
            write(db, unrelated(stored, total - stored))
            stored = total
            rows.append({"other_documents": total, **read_shapes(db)})
            print(json.dumps(rows[-1]), flush=True)
        return rows
    finally:
        stack.down()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--extra", default="100000,300000", help="unrelated documents, in steps")
    parser.add_argument("--out", type=Path, default=report.RESULTS)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="rostersync-reads-") as state_dir:
        rows = measure(sorted(int(n) for n in args.extra.split(",")), Path(state_dir))
    report.save_measurement(args.out, "emulator_reads.json", {"rows": rows})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
