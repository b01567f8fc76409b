"""`make bench`: roster sync and mark export through the local stack, measured in one run.

    python -m bench.run [--students 10000] [--classes 30 --assignments 20 --per-class 30]

Starts its own stack (Firestore emulator, Cloud Tasks emulator, Secret Manager fake, functions)
in a temporary directory and a local SIS in this process, prints a table and writes
bench/results/latest.json. Numbers are wall-clock on this machine; compare them as ratios
within one run (the emulators dispatch one task at a time, production runs lanes in parallel).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests

from shared.ids import safe_id
from tools.local_issuer import stack_id_token
from tools.localstack import LocalStack
from tools.oneroster_sis.app import OneRosterSis, SisConfig
from tools.oneroster_sis.generator import DistrictSpec, generate_district
from tools.oneroster_sis.harness import serve
from tools.oneroster_sis.store import Store

CLIENT_ID, SECRET = "bench-client", "bench-secret-value"
ADMIN, TEACHER = "admin@bench.example.org", "teacher@bench.example.org"
RESULTS = Path(__file__).resolve().parent / "results"


def headers(email: str) -> dict[str, str]:
    """A signed ID token from the bench stack's local issuer (its environment is os.environ)."""
    return {"Authorization": f"Bearer {stack_id_token(email, os.environ)}"}


def admin(functions: str, district: str, method: str, path: str, body: Any = None) -> Any:
    response = requests.request(
        method,
        f"{functions}/sync_admin/districts/{district}{path}",
        json=body,
        headers=headers(ADMIN),
        timeout=300,
    )
    response.raise_for_status()
    return response.json()


def wait_run(functions: str, district: str, run_id: str) -> dict[str, Any]:
    while True:
        status: dict[str, Any] = admin(functions, district, "GET", f"/runs/{run_id}")
        if status.get("state") not in ("queued", "running"):
            return status
        time.sleep(0.5)


def sync_bench(functions: str, db: Any, running: Any, district: str) -> dict[str, Any]:
    db.collection("districts").document(district).collection("staff").document(safe_id(ADMIN)).set(
        {"role": "admin"}
    )
    admin(
        functions,
        district,
        "PUT",
        "/connection",
        {
            "version": "1.2",
            "rostering_base_url": running.base_url("1.2"),
            "gradebook_base_url": running.base_url("1.2", "gradebook"),
            "token_url": running.token_url,
            "client_id": CLIENT_ID,
            "client_secret": SECRET,
            "local_dev": True,
            "page_size": 1000,
            "max_concurrency": 5,
        },
    )
    records = sum(len(running.sis.store.all(k)) for k in ("classes", "users", "enrollments"))
    out: dict[str, Any] = {"sis_records": records}
    for label in ("full", "unchanged_resync"):
        before = len(running.sis.request_log)
        started = time.monotonic()
        run_id = admin(functions, district, "POST", "/runs", {"kind": "full"})["run_id"]
        status = wait_run(functions, district, run_id)
        seconds = time.monotonic() - started
        pages = (
            db.collection("districts")
            .document(district)
            .collection("runs")
            .document(run_id)
            .collection("pages")
            .stream()
        )
        written = sum(int((p.to_dict() or {}).get("written", 0)) for p in pages)
        out[label] = {
            "state": status["state"],
            "seconds": round(seconds, 1),
            "records_per_second": round(records / seconds),
            "sis_requests": len(running.sis.request_log) - before,
            "mirror_documents_written": written,
            "classes_offered": status.get("counts", {}).get("classes_offered", 0),
        }
    return out


def export_bench(
    functions: str,
    db: Any,
    running: Any,
    district: str,
    n_classes: int,
    n_assignments: int,
    per_class: int,
) -> dict[str, Any]:
    store = running.sis.store
    students = [u["sourcedId"] for u in store.all("users") if u["roles"][0]["role"] == "student"]
    sections = [s for s in store.all("classes")][:n_classes]
    base = db.collection("districts").document(district)
    base.collection("staff").document(safe_id(TEACHER)).set(
        {"role": "teacher", "sis_user_id": "bench-teacher"}
    )
    now = dt.datetime.now(dt.UTC)
    batch, pending = db.batch(), 0
    class_ids = []
    for index, section in enumerate(sections):
        class_id = f"bench-{index:03d}"
        class_ids.append(class_id)
        ref = base.collection("classes").document(class_id)
        batch.set(
            ref,
            {
                "origin": "sis",
                "offer_state": "accepted",
                "sis": {
                    "section_id": section["sourcedId"],
                    "school_id": section["school"]["sourcedId"],
                    "term_ids": [t["sourcedId"] for t in section["terms"]],
                },
                "owner": {"sis_user_id": "bench-teacher"},
            },
        )
        roster = students[index * per_class % len(students) :][:per_class]
        for a in range(n_assignments):
            work = ref.collection("coursework").document(f"a{a:02d}")
            batch.set(
                work,
                {
                    "title": f"Assignment {a + 1}",
                    "category": "Homework",
                    "max_points": 20,
                    "assigned_at": now - dt.timedelta(days=3),
                    "due_at": now,
                    "state": "published",
                },
            )
            for n, student in enumerate(roster):
                batch.set(
                    work.collection("marks").document(safe_id(student)),
                    {
                        "sis_user_id": student,
                        "status": "graded",
                        "score": float(10 + (n + a) % 10),
                        "updated_at": now,
                    },
                )
                pending += 1
                if pending >= 400:
                    batch.commit()
                    batch, pending = db.batch(), 0
    batch.commit()
    out: dict[str, Any] = {
        "classes": n_classes,
        "assignments": n_classes * n_assignments,
        "marks": n_classes * n_assignments * per_class,
    }
    for label in ("first_export", "unchanged_reexport"):
        before_requests = len(running.sis.request_log)
        before_results = sum(1 for w in running.sis.writes if w["kind"] == "results")
        started = time.monotonic()
        for class_id in class_ids:
            requests.post(
                f"{functions}/export_teacher/districts/{district}/classes/{class_id}/export",
                headers=headers(TEACHER),
                timeout=60,
            ).raise_for_status()
        while True:
            states = [
                (
                    (base.collection("classes").document(c).get().to_dict() or {}).get("export")
                    or {}
                ).get("state")
                for c in class_ids
            ]
            if all(s not in ("queued", None) for s in states):
                break
            time.sleep(0.5)
        seconds = time.monotonic() - started
        out[label] = {
            "seconds": round(seconds, 1),
            "sis_requests": len(running.sis.request_log) - before_requests,
            "results_sent": sum(1 for w in running.sis.writes if w["kind"] == "results")
            - before_results,
        }
    out["lineItems_in_sis"] = len(store.all("lineItems"))
    out["results_in_sis"] = len(store.all("results"))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.run",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--students", type=int, default=10_000)
    parser.add_argument("--classes", type=int, default=30)
    parser.add_argument("--assignments", type=int, default=20)
    parser.add_argument("--per-class", type=int, default=30)
    args = parser.parse_args()
    # SIGTERM (a stopped `make bench`) unwinds like Ctrl-C, so the stack below is stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # the in-process SIS's access log
    store = Store()
    generated = time.monotonic()
    store.replace_all(generate_district(DistrictSpec(seed=11, students=args.students)))
    generated = time.monotonic() - generated
    sis = OneRosterSis(store, {CLIENT_ID: SECRET}, SisConfig(strict=True))
    with tempfile.TemporaryDirectory(prefix="rostersync-bench-") as tmp:
        stack = LocalStack(Path(tmp))
        try:
            stack.up(["firestore", "tasks", "secrets", "functions"])
            os.environ.update(stack.env())
            from google.cloud import firestore

            db = firestore.Client(project=stack.env()["GOOGLE_CLOUD_PROJECT"])
            functions = stack.env()["ROSTERSYNC_FUNCTIONS_URL"]
            with serve(sis) as running:
                report: dict[str, Any] = {
                    "students": args.students,
                    "generate_seconds": round(generated, 1),
                }
                report["sync"] = sync_bench(functions, db, running, "bench-sync")
                report["export"] = export_bench(
                    functions,
                    db,
                    running,
                    "bench-sync",
                    args.classes,
                    args.assignments,
                    args.per_class,
                )
        finally:
            lingering = stack.down()
    sync, export = report["sync"], report["export"]
    print(f"\nRoster sync, {args.students:,} students ({sync['sis_records']:,} SIS records):")
    for label in ("full", "unchanged_resync"):
        row = sync[label]
        print(
            f"  {label:<18} {row['state']:<24} {row['seconds']:>7.1f} s "
            f"{row['records_per_second']:>8,} records/s  {row['sis_requests']:>5} requests  "
            f"{row['mirror_documents_written']:>7,} mirror docs written"
        )
    ratio = sync["unchanged_resync"]["seconds"] / max(sync["full"]["seconds"], 0.1)
    print(f"  unchanged re-sync / full sync time: {ratio:.2f}")
    print(
        f"\nMark export, {export['classes']} classes x {args.assignments} assignments x "
        f"{args.per_class} students ({export['marks']:,} marks):"
    )
    for label in ("first_export", "unchanged_reexport"):
        row = export[label]
        print(
            f"  {label:<20} {row['seconds']:>7.1f} s  {row['sis_requests']:>6,} SIS requests  "
            f"{row['results_sent']:>6,} results sent"
        )
    print(
        f"  SIS holds {export['lineItems_in_sis']} lineItems and {export['results_in_sis']:,} "
        "results"
    )
    ratio = export["unchanged_reexport"]["seconds"] / max(export["first_export"]["seconds"], 0.1)
    print(f"  unchanged re-export / first export time: {ratio:.2f}")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps(report, indent=2))
    if lingering:
        print(f"bench: still listening after stop: {lingering}")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
