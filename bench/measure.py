"""The stages `make bench` measures on one running stack, besides the export's
(bench/export_stages.py): the emulator's raw batched-write rate, a full sync, an unchanged
re-sync, a 1 % delta and the same district imported from a OneRoster CSV package, each with the
functions process's peak memory and the services' CPU. Each returns plain numbers for
bench/report.py."""

from __future__ import annotations

import datetime as dt
import os
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any

import requests

from bench.usage import with_usage
from shared.adapters.package_storage import make_storage_client
from shared.ids import safe_id
from shared.settings import Settings
from tools.local_issuer import stack_id_token
from tools.localstack import LocalStack
from tools.oneroster_sis.csvexport import write_package
from tools.oneroster_sis.model import KINDS

CLIENT_ID, SECRET = "bench-client", "bench-secret-value"
ADMIN, TEACHER = "admin@bench.example.org", "teacher@bench.example.org"
DISTRICT = "bench-district"
CSV_DISTRICT = "bench-csv-district"  # the same district, imported from a CSV package
SYNC_STAGES = ("full", "resync", "delta", "csv")
POLL_SECONDS = 2.0  # status reads run on the same functions server as the tasks: keep them rare
RAW_DOCS, RAW_BATCH = 20_000, 500
TOKEN_LIFETIME = 600.0  # seconds a fetched ID token is reused (the issuer's last an hour)


class Progress:
    """One line per event, prefixed with the seconds since the bench started."""

    def __init__(self, label: str = "") -> None:
        self.started = time.monotonic()
        self.label = label

    def say(self, text: str) -> None:
        elapsed = time.monotonic() - self.started
        print(f"[{elapsed:7.1f} s] {self.label}{text}", flush=True)


CPU_SERVICES = (
    "functions",
    "firestore",
    "tasks",
)  # the functions server, the emulator, Cloud Tasks


@dataclass
class Bench:
    """What every stage needs: the stack's URLs, a Firestore client and the in-process SIS."""

    stack: LocalStack
    db: Any
    running: Any
    progress: Progress
    with_accounts: bool = False  # every SIS user with an email has an app account (--accounts)
    _tokens: dict[str, tuple[float, str]] = field(default_factory=dict)

    def service_groups(self) -> dict[str, int]:
        """The process group of each service whose CPU a stage reports (bench/usage.py)."""
        services = self.stack.services
        return {name: services[name].pid for name in CPU_SERVICES if name in services}

    @property
    def functions(self) -> str:
        return self.stack.env()["ROSTERSYNC_FUNCTIONS_URL"]

    def headers(self, email: str) -> dict[str, str]:
        # No token yet counts as expired: the monotonic clock starts at boot, so a machine up
        # for less than TOKEN_LIFETIME would otherwise send an empty one.
        fetched, token = self._tokens.get(email, (None, ""))
        if fetched is None or time.monotonic() - fetched > TOKEN_LIFETIME:
            token = stack_id_token(email, self.stack.env())
            self._tokens[email] = (time.monotonic(), token)
        return {"Authorization": f"Bearer {token}"}

    def admin(self, method: str, path: str, body: Any = None, district: str = DISTRICT) -> Any:
        response = requests.request(
            method,
            f"{self.functions}/sync_admin/districts/{district}{path}",
            json=body,
            headers=self.headers(ADMIN),
            timeout=300,
        )
        response.raise_for_status()
        return response.json()

    @property
    def district(self) -> Any:
        return self.db.collection("districts").document(DISTRICT)

    def sis_requests(self) -> int:
        return len(self.running.sis.request_log)


def timed(action: Callable[[], Any]) -> tuple[Any, float]:
    started = time.monotonic()
    result = action()
    return result, time.monotonic() - started


class BatchWriter:
    def __init__(self, db: Any, size: int = 500) -> None:
        self.db, self.size = db, size
        self.batch, self.pending = db.batch(), 0

    def set(self, ref: Any, data: dict[str, Any]) -> None:
        self.batch.set(ref, data)
        self.pending += 1
        if self.pending >= self.size:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            self.batch.commit()
        self.batch, self.pending = self.db.batch(), 0


# ---- the emulator's own write rate -----------------------------------------------------------


def raw_write_rate(bench: Bench) -> dict[str, Any]:
    """20,000 small documents in 500-document batches through the bench's Firestore client, in a
    scratch collection; the emulator's database is emptied afterwards so the sync starts clean."""
    scratch = bench.db.collection("bench_scratch")
    now = dt.datetime.now(dt.UTC)

    def write() -> None:
        for start in range(0, RAW_DOCS, RAW_BATCH):
            batch = bench.db.batch()
            for n in range(start, min(start + RAW_BATCH, RAW_DOCS)):
                batch.set(scratch.document(f"doc-{n:06d}"), {"n": n, "label": f"d{n}", "at": now})
            batch.commit()

    _, seconds = timed(write)
    clear_emulator(bench.stack)
    return {
        "documents": RAW_DOCS,
        "batch": RAW_BATCH,
        "seconds": round(seconds, 2),
        "docs_per_second": round(RAW_DOCS / seconds),
    }


def clear_emulator(stack: LocalStack) -> None:
    """The Firestore emulator's own reset endpoint: every document of the project goes."""
    env = stack.env()
    url = (
        f"http://{env['FIRESTORE_EMULATOR_HOST']}/emulator/v1/projects/"
        f"{env['GOOGLE_CLOUD_PROJECT']}/databases/(default)/documents"
    )
    requests.delete(url, timeout=120).raise_for_status()


# ---- roster sync -----------------------------------------------------------------------------


def connect(bench: Bench) -> int:
    """Registers the district against the in-process SIS; returns its record count."""
    bench.district.collection("staff").document(safe_id(ADMIN)).set({"role": "admin"})
    running = bench.running
    bench.admin(
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
    return sum(len(running.sis.store.all(k)) for k in ("classes", "users", "enrollments"))


def seed_accounts(bench: Bench) -> int:
    """An app account for every SIS user with an email, matched by email (the district's match
    key), as a district whose users already use the app has: the sync links them instead of
    warning that no account matches. Returns the accounts written."""
    accounts = bench.district.collection("accounts")
    writer, written = BatchWriter(bench.db), 0
    for user in bench.running.sis.store.all("users"):
        email = str(user.get("email") or "").strip().lower()
        if email:
            keys = {"email": email, "username": str(user.get("username") or "").lower()}
            writer.set(accounts.document(f"app-{safe_id(user['sourcedId'])}"), {"match_keys": keys})
            written += 1
    writer.flush()
    return written


def wait_run(bench: Bench, run_id: str, stage: str, district: str = DISTRICT) -> dict[str, Any]:
    """Polls the run's status every 2 s; a progress line when pages or schools moved, or every
    10 s."""
    shown: tuple[tuple[int, int], str] = ((-1, -1), "")
    last_line = 0.0
    while True:
        status: dict[str, Any] = bench.admin("GET", f"/runs/{run_id}", district=district)
        if status.get("state") not in ("queued", "running"):
            return status
        progress = status.get("progress") or {}
        now = (int(progress.get("pages_done", 0)), int(progress.get("pages_known", 0)))
        schools = Counter(str(s.get("state")) for s in (status.get("schools") or {}).values())
        states = ", ".join(f"{n} {state}" for state, n in sorted(schools.items()))
        if (now, states) != shown or time.monotonic() - last_line >= 10:
            bench.progress.say(
                f"{stage}: {now[0]} of {now[1]} pages done"
                + (f"; schools: {states}" if states else "")
            )
            shown, last_line = (now, states), time.monotonic()
        time.sleep(POLL_SECONDS)


def sync_stage(bench: Bench, kind: str, stage: str) -> dict[str, Any]:
    bench.progress.say(f"{stage}: started")
    before = bench.sis_requests()
    started = time.monotonic()
    run_id = bench.admin("POST", "/runs", {"kind": kind})["run_id"]
    status = wait_run(bench, run_id, stage)
    wall = time.monotonic() - started
    seconds = run_seconds(status, wall)
    schools: dict[str, Any] = status.get("schools") or {}
    pages = bench.district.collection("runs").document(run_id).collection("pages").stream()
    written = sum(int((p.to_dict() or {}).get("written", 0)) for p in pages)
    bench.progress.say(
        f"{stage}: {status['state']} in {seconds:.1f} s, {written:,} records written"
    )
    return {
        "state": status["state"],
        "seconds": round(seconds, 2),
        "wall_seconds": round(wall, 2),
        "sis_requests": bench.sis_requests() - before,
        "record_documents_written": written,
        "counts": status.get("counts", {}),
        "schools_by_state": dict(Counter(str(v.get("state")) for v in schools.values())),
        "hold_reasons": {k: v["hold_reasons"] for k, v in schools.items() if v.get("hold_reasons")},
    }


def run_seconds(status: dict[str, Any], wall: float) -> float:
    """The run's own clock, from the admin's request to its end (queued plus running), so the
    2 s poll does not blur a short stage; the bench's wall clock if the run has none."""
    if not isinstance(status.get("seconds"), (int, float)):
        return wall
    return float(status["seconds"]) + float(status.get("queued_seconds") or 0)


Edit = Callable[[dict[str, Any]], dict[str, Any]]
# What a registrar changes: a class title, a given name, a student's enrollment start (a day
# later, still in the past). Teacher enrollments carry no start date, and giving one a date
# ahead would end a co-teacher's place: a removal the sync's guards rightly hold.
EDITS: dict[str, tuple[Callable[[dict[str, Any]], bool], Edit]] = {
    "classes": (lambda r: True, lambda r: {**r, "title": f"{r.get('title', '')} (moved)"}),
    "users": (lambda r: True, lambda r: {**r, "givenName": f"{r.get('givenName', '')}e"}),
    "enrollments": (
        lambda r: isinstance(r.get("beginDate"), str),
        lambda r: {**r, "beginDate": _day_after(r["beginDate"])},
    ),
}


def change_one_percent(running: Any) -> int:
    """1 % of the classes, users and enrollments (spread evenly) change in the SIS (``running``,
    tools/oneroster_sis/harness.py) through its control API, as a registrar's edits would (the
    SIS moves their dateLastModified)."""
    store, changed = running.sis.store, 0
    for kind, (fits, edit) in EDITS.items():
        every = list(store.all(kind))
        candidates = [r for r in every if fits(r)]
        wanted = min(len(candidates), max(1, len(every) // 100))
        step = len(candidates) / wanted if wanted else 1
        records = [edit(dict(candidates[int(i * step)])) for i in range(wanted)]
        for start in range(0, len(records), 500):
            requests.put(
                f"{running.origin}/_control/records/{kind}",
                json={"records": records[start : start + 500]},
                timeout=120,
            ).raise_for_status()
        changed += len(records)
    return changed


def _day_after(value: str) -> str:
    return (dt.date.fromisoformat(value) + dt.timedelta(days=1)).isoformat()


def sync_stages(bench: Bench, stages: Collection[str] = SYNC_STAGES) -> dict[str, Any]:
    """The chosen sync stages in order (a re-sync or delta needs the full sync before it), each
    with the functions process's peak RSS and the services' CPU seconds during it."""
    records = connect(bench)
    out: dict[str, Any] = {"sis_records": records}
    if bench.with_accounts:
        out["accounts"] = seed_accounts(bench)
        bench.progress.say(f"{out['accounts']:,} app accounts, one per SIS user with an email")
    groups = bench.service_groups()
    if "full" in stages:
        out["full"] = with_usage(groups, lambda: sync_stage(bench, "full", "full sync"))
    if "resync" in stages:
        again = lambda: sync_stage(bench, "full", "unchanged re-sync")  # noqa: E731
        out["unchanged_resync"] = with_usage(groups, again)
    if "delta" in stages:  # first with nothing changed: what any delta costs at least
        unchanged = lambda: sync_stage(bench, "delta", "unchanged delta")  # noqa: E731
        out["unchanged_delta"] = with_usage(groups, unchanged)
        out["delta_records_changed"] = change_one_percent(bench.running)
        bench.progress.say(f"changed {out['delta_records_changed']:,} SIS records (1 %)")
        out["delta"] = with_usage(groups, lambda: sync_stage(bench, "delta", "1 % delta sync"))
    if "csv" in stages:
        rest = float((out.get("full") or {}).get("seconds") or 0)
        out["csv_full"] = with_usage(groups, lambda: csv_import_stage(bench, records, rest))
    return out


# ---- the same district from a CSV package ----------------------------------------------------


def csv_import_stage(bench: Bench, records: int, rest_seconds: float) -> dict[str, Any]:
    """The SIS's district (as it is after the delta) exported as a OneRoster 1.2 CSV package
    (tools/oneroster_sis/csvexport.py), dropped into the packages bucket for a second district
    connected to CSV; the run the stack's event delivery starts, timed as the REST full sync."""
    stage = "CSV import"
    bench.db.collection("districts").document(CSV_DISTRICT).collection("staff").document(
        safe_id(ADMIN)
    ).set({"role": "admin"})
    bench.admin("PUT", "/connection", {"source": "csv"}, district=CSV_DISTRICT)
    store = bench.running.sis.store
    with tempfile.TemporaryFile() as package:
        _, export_seconds = timed(
            lambda: write_package({k: store.all(k) for k in KINDS}, package, version="1.2")
        )
        size = package.seek(0, os.SEEK_END)
        package.seek(0)
        bench.progress.say(f"{stage}: package of {size / 2**20:,.1f} MiB in {export_seconds:.1f} s")
        started = time.monotonic()
        upload_seconds = drop_package(bench, package, size)
    run_id = landed_run(bench)
    status = wait_run(bench, run_id, stage, CSV_DISTRICT)
    wall = time.monotonic() - started
    seconds = run_seconds(status, wall)
    bench.progress.say(f"{stage}: {status['state']} in {seconds:.1f} s")
    return {
        "state": status["state"],
        "seconds": round(seconds, 2),
        "wall_seconds": round(wall, 2),
        "records": records,
        "records_per_second": round(records / seconds) if seconds else None,
        "seconds_vs_rest_full": round(seconds / rest_seconds, 2) if rest_seconds else None,
        "package_bytes": size,
        "export_seconds": round(export_seconds, 2),
        "upload_seconds": round(upload_seconds, 2),
        "counts": status.get("counts", {}),
    }


def drop_package(bench: Bench, package: Any, size: int) -> float:
    """The zip into the district's inbox, as an SFTP gateway writes it; the upload's seconds."""
    settings = Settings.from_env(bench.stack.env())
    client = make_storage_client(settings.project_id, settings.storage_emulator_host)
    blob = client.bucket(settings.packages_bucket).blob(f"districts/{CSV_DISTRICT}/inbox/bench.zip")
    _, seconds = timed(
        lambda: blob.upload_from_file(package, size=size, content_type="application/zip")
    )
    return seconds


def landed_run(bench: Bench, timeout: float = 120) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        runs = bench.admin("GET", "/runs?limit=1", district=CSV_DISTRICT)["runs"]
        if runs:
            return str(runs[0]["run_id"])
        time.sleep(0.5)
    raise RuntimeError(f"no run started for the package in {timeout:.0f} s")
