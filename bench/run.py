"""`make bench`: roster sync and mark export measured through the local stack, per district size.

    python -m bench.run [--sizes 1000,10000] [--out bench/results] [--state-dir DIR]
                        [--firestore-heap 8g] [--stages full,resync,delta,csv,export]

For each size: a synthetic district in a local SIS in this process, a fresh local stack
(Firestore emulator, Cloud Tasks, Secret Manager fake, ID-token issuer, Cloud Storage emulator and
its events, functions), then the emulator's raw batched-write rate, a full sync, an unchanged
re-sync, a 1 % delta, the same district imported from a OneRoster CSV package, a first mark
export and an unchanged re-export, and the functions process's peak memory. Prints the goals
table, writes <out>/latest.json and <out>/stages.png. Ctrl-C or SIGTERM stops the stack and
exits 130 or 143. docs/bench.md explains the figures.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import report
from bench.export_stages import ExportShape, export_stages
from bench.measure import (
    CLIENT_ID,
    SECRET,
    Bench,
    Progress,
    raw_write_rate,
    sync_stages,
)
from bench.usage import peak_rss_mib, with_usage
from tools.localstack import LocalStack
from tools.oneroster_sis.app import OneRosterSis, SisConfig
from tools.oneroster_sis.generator import DistrictSpec, generate_district
from tools.oneroster_sis.harness import serve
from tools.oneroster_sis.store import Store
from tools.stack_session import down_on_signals

# The sizes the goals are read at: about 20 minutes on a busy 2-core machine before the speed
# work, about three at the goals' ratios. Add 100000 for the large run (an hour or more today).
DEFAULT_SIZES = "1000,10000"
STAGES = ("full", "resync", "delta", "csv", "export")
SERVICES = ["firestore", "tasks", "secrets", "storage", "functions", "events"]


def export_shape(students: int, args: argparse.Namespace) -> ExportShape:
    """30 classes x 20 assignments x 30 students from 10,000 students up; fewer classes below,
    so a small district's export stays in proportion."""
    classes = args.classes or max(1, min(30, students // 330))
    return ExportShape(classes, args.assignments, args.per_class)


def district_sis(students: int, progress: Progress) -> OneRosterSis:
    store = Store()
    started = time.monotonic()
    store.replace_all(generate_district(DistrictSpec(seed=11, students=students)))
    progress.say(f"district generated in {time.monotonic() - started:.1f} s")
    return OneRosterSis(store, {CLIENT_ID: SECRET}, SisConfig(strict=True))


def measure_size(students: int, args: argparse.Namespace, state_dir: Path) -> dict[str, Any]:
    progress = Progress(f"{students:,} students · ")
    sis = district_sis(students, progress)
    stack = LocalStack(state_dir, firestore_heap=args.firestore_heap)
    result: dict[str, Any] = {"students": students}
    with down_on_signals(stack):
        try:
            stack.up(SERVICES)
            os.environ.update(stack.env())
            progress.say(f"stack up (state in {state_dir})")
            shape = export_shape(students, args)
            stages = measure_stages(stack, sis, progress, shape, args.stages, args.accounts)
            result.update(stages)
        except Exception:
            keep_logs(state_dir, args.out / "logs")
            raise
        finally:
            lingering = stack.down()
    if lingering:
        raise SystemExit(f"bench: still listening after stop: {lingering}")
    return result


def keep_logs(state_dir: Path, into: Path) -> None:
    """A failed stage's evidence: the services' logs outlive the temporary state directory."""
    into.mkdir(parents=True, exist_ok=True)
    for log in state_dir.glob("*.log"):
        shutil.copy(log, into / log.name)
    print(f"bench: a stage failed; the services' logs are in {into}", file=sys.stderr)


def measure_stages(
    stack: LocalStack,
    sis: OneRosterSis,
    progress: Progress,
    shape: ExportShape,
    stages: frozenset[str],
    accounts: bool = False,
) -> dict[str, Any]:
    from google.cloud import firestore

    db = firestore.Client(project=stack.env()["GOOGLE_CLOUD_PROJECT"])
    out: dict[str, Any] = {}
    with serve(sis) as running:
        bench = Bench(stack, db, running, progress, with_accounts=accounts)
        out["raw_write"] = raw_write_rate(bench)
        progress.say(f"raw batched writes: {out['raw_write']['docs_per_second']:,} docs/s")
        out["sync"] = sync_stages(bench, stages)
        if "export" in stages:
            out["export"] = with_usage(bench.service_groups(), lambda: export_stages(bench, shape))
        out["peak_rss_mib"] = {
            name: peak_rss_mib(stack.services[name].pid) for name in ("functions", "firestore")
        }
    progress.say(f"peak RSS (MiB): {out['peak_rss_mib']}")
    return out


def parse_sizes(text: str) -> list[int]:
    try:
        sizes = sorted({int(part.replace("_", "")) for part in text.split(",") if part.strip()})
    except ValueError:
        raise SystemExit(
            f"bench: --sizes takes student counts like 1000,10000, not {text!r}"
        ) from None
    if not sizes or sizes[0] < 1:
        raise SystemExit("bench: --sizes needs at least one positive student count")
    return sizes


def parse_stages(text: str) -> frozenset[str]:
    """The stages to run: all by default; a re-sync or a delta needs the full sync."""
    stages = frozenset(part.strip() for part in text.split(",") if part.strip())
    unknown = sorted(stages - set(STAGES))
    if unknown or not stages:
        raise SystemExit(f"bench: --stages takes some of {','.join(STAGES)}, not {text!r}")
    if stages & {"resync", "delta"} and "full" not in stages:
        raise SystemExit("bench: --stages resync and delta measure against full; add full")
    return stages


def arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.run",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--sizes", default=DEFAULT_SIZES, help="students per run, e.g. 1000,10000")
    parser.add_argument(
        "--classes", type=int, default=0, help="classes exported (default: by size)"
    )
    parser.add_argument("--assignments", type=int, default=20)
    parser.add_argument("--per-class", type=int, default=30)
    parser.add_argument("--out", type=Path, default=report.RESULTS)
    parser.add_argument("--state-dir", type=Path, default=None, help="the stack's state directory")
    parser.add_argument("--firestore-heap", default=None, help="emulator JVM heap, e.g. 8g")
    parser.add_argument(
        "--accounts",
        action="store_true",
        help="give every SIS user with an email an app account before the first sync "
        "(by default the district has none: every user gets a no_matching_account warning)",
    )
    parser.add_argument(
        "--stages",
        type=parse_stages,
        default=frozenset(STAGES),
        help=f"some of {','.join(STAGES)} (default: all), e.g. full,csv for a large district",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = arguments(argv)
    sizes = parse_sizes(args.sizes)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # the in-process SIS's access log
    facts = report.machine()
    print(
        f"bench: sizes {', '.join(f'{s:,}' for s in sizes)} on {facts['cores']} cores", flush=True
    )
    # Outside a stack's lifetime (generating a district) an interruption has nothing to stop.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    results: dict[int, dict[str, Any]] = {}
    try:
        with tempfile.TemporaryDirectory(prefix="rostersync-bench-") as tmp:
            for students in sizes:
                results[students] = measure_size(students, args, args.state_dir or Path(tmp))
    except KeyboardInterrupt:
        return 130
    print("\nSeconds per stage:\n" + report.stage_table(results))
    print("\nCPU seconds per sync stage, and what the cores offered in its wall seconds:")
    print(report.cpu_table(results))
    print("\nGoals (ratios within one run on this machine):\n" + report.table(results))
    print(f"\nwrote {report.write_results(facts, results, args.out)}")
    print(f"wrote {report.plot(results, facts, args.out)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
