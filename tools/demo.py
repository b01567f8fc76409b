"""`make demo`: with the local stack up, show each part answering and the local SIS serving a
synthetic district over OneRoster 1.2 and 1.1, fetched over HTTP with an OAuth 2.0 token.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from dataclasses import dataclass
from typing import Any

import requests
from google.cloud import firestore, tasks_v2

from shared.adapters.cloud_tasks import make_tasks_client
from shared.ids import safe_id
from tools.demo_classroom import classroom_demo
from tools.demo_csv import COUNTS, csv_demo
from tools.demo_export import export_demo
from tools.demo_sis_changes import change_sis
from tools.local_issuer import stack_id_token
from tools.localstack import ALL_SERVICES, LocalStack, queue_path
from tools.stack_console import DEMO_ADMIN, DEMO_DISTRICT

RESOURCES_12 = (
    "orgs",
    "schools",
    "academicSessions",
    "terms",
    "gradingPeriods",
    "courses",
    "classes",
    "users",
    "teachers",
    "students",
    "enrollments",
)
PAGE = 1000


@dataclass
class Count:
    resource: str
    records: int
    pages: int
    seconds: float


def token(session: requests.Session, sis_url: str, client_id: str, secret: str) -> str:
    response = session.post(
        f"{sis_url}/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(client_id, secret),
        timeout=10,
    )
    response.raise_for_status()
    return str(response.json()["access_token"])


def count(session: requests.Session, base: str, resource: str, envelope: str) -> Count:
    started = time.monotonic()
    url: str | None = f"{base}/{resource}?limit={PAGE}&offset=0"
    seen: set[str] = set()
    pages = 0
    while url:
        response = session.get(url, timeout=30)
        response.raise_for_status()
        pages += 1
        seen.update(r["sourcedId"] for r in response.json()[envelope])
        url = response.links.get("next", {}).get("url")
    return Count(resource, len(seen), pages, time.monotonic() - started)


def check_tasks_and_firestore(env: dict[str, str]) -> tuple[float, bool]:
    client = make_tasks_client(env["CLOUD_TASKS_EMULATOR_HOST"])
    queue = queue_path("roster-sync")
    started = time.monotonic()
    client.create_task(
        parent=queue,
        task=tasks_v2.Task(
            http_request=tasks_v2.HttpRequest(
                http_method=tasks_v2.HttpMethod.GET,
                url=f"{env['ROSTERSYNC_FUNCTIONS_URL']}/healthz",
            )
        ),
    )
    while list(client.list_tasks(parent=queue)) and time.monotonic() - started < 15:
        time.sleep(0.05)
    dispatched = time.monotonic() - started
    db = firestore.Client(project=env["GOOGLE_CLOUD_PROJECT"])
    ref = db.collection("demo").document("stack-check")
    ref.set({"checked_at": firestore.SERVER_TIMESTAMP})
    return dispatched, ref.get().exists


def admin_call(functions: str, method: str, path: str, body: Any = None) -> requests.Response:
    return requests.request(
        method,
        f"{functions}/sync_admin/districts/{DEMO_DISTRICT}{path}",
        json=body,
        headers={"Authorization": f"Bearer {stack_id_token(DEMO_ADMIN, LocalStack().env())}"},
        timeout=120,
    )


def wait_for_run(functions: str, run_id: str, timeout: float = 900) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    last = -1
    while time.monotonic() < deadline:
        status: dict[str, Any] = admin_call(functions, "GET", f"/runs/{run_id}").json()
        progress = status.get("progress", {})
        if progress.get("pages_done", 0) != last:
            last = progress.get("pages_done", 0)
            print(
                f"    … {status.get('state')}: {last} of {progress.get('pages_known', '?')} "
                "pages fetched",
                flush=True,
            )
        if status.get("state") not in ("queued", "running"):
            summary = admin_call(functions, "GET", f"/runs/{run_id}/warnings/summary").json()
            return {**status, "warning_kinds": summary.get("kinds", [])}
        time.sleep(1.0)
    raise SystemExit(f"demo: run {run_id} did not finish in {timeout:.0f} s")


def register_district(env: dict[str, str], db: firestore.Client, extra: dict[str, str]) -> None:
    """The admin's "Authorize": the secret goes to Secret Manager (the local fake, through the
    real client library), the connection settings to Firestore."""
    district = db.collection("districts").document(DEMO_DISTRICT)
    district.collection("staff").document(safe_id(DEMO_ADMIN)).set({"role": "admin"})
    sis = env["ROSTERSYNC_LOCAL_SIS_URL"]
    response = admin_call(
        env["ROSTERSYNC_FUNCTIONS_URL"],
        "PUT",
        "/connection",
        {
            "vendor": "generic",
            "version": "1.2",
            "rostering_base_url": f"{sis}/ims/oneroster/rostering/v1p2",
            "gradebook_base_url": f"{sis}/ims/oneroster/gradebook/v1p2",
            "token_url": f"{sis}/oauth/token",
            "client_id": extra["client_id"],
            "client_secret": extra["client_secret"],
            "local_dev": True,
            "page_size": 1000,
            "max_concurrency": 5,
        },
    )
    if response.status_code != 200:
        raise SystemExit(f"demo: connecting the SIS failed: {response.text}")
    print(
        f"  SIS connected ({response.json()['schools_seen']} school seen on the test read); "
        "secret kept in Secret Manager, settings in Firestore"
    )


def seed_accounts(sis: str, db: firestore.Client) -> int:
    """The classroom app's existing accounts: most SIS users already have one (by email)."""
    users = requests.get(f"{sis}/_control/records/users", timeout=60).json()["users"]
    accounts = db.collection("districts").document(DEMO_DISTRICT).collection("accounts")
    batch, count = db.batch(), 0
    for index, user in enumerate(users):
        if not user.get("email") or index % 10 == 9:
            continue  # every tenth user has no account yet
        batch.set(
            accounts.document(f"app-{index:06d}"),
            {"match_keys": {"email": user["email"].lower()}, "display_name": user["givenName"]},
        )
        count += 1
        if count % 400 == 0:
            batch.commit()
            batch = db.batch()
    batch.commit()
    return count


def print_run(title: str, status: dict[str, Any], records: int | None = None) -> None:
    counts = status.get("counts", {})
    print(
        f"\n  {title}: {status['state']} in {status.get('seconds', 0):.1f} s "
        f"({status['progress']['pages_done']} pages)"
    )
    for key in COUNTS:
        if counts.get(key):
            print(f"    {key.replace('_', ' '):<22}{counts[key]:>8}")
    kinds = sorted((k["code"], k["count"]) for k in status.get("warning_kinds", []))
    if kinds:
        print(f"    data warnings by kind: {', '.join(f'{c} {n}' for c, n in kinds)}")
    if records and status.get("seconds"):
        print(
            f"    {records:,} SIS records in {status['seconds']:.1f} s "
            f"({records / status['seconds']:,.0f} records/s)"
        )


def exit_quietly_on_signals() -> None:
    """Ctrl-C or SIGTERM ends the demo with 130 or 143 and no traceback. `make demo` runs it
    under `python -m tools.localstack run`, which then stops the stack it started."""
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda signum, _frame: sys.exit(128 + signum))


def stack_is_up(stack: LocalStack) -> bool:
    """True when every service runs; else says which do not and how to start them."""
    missing = [s for s in ALL_SERVICES if not stack.running(s)]
    if missing:
        print(
            f"demo: the local stack is not fully up (missing: {', '.join(missing)}); "
            "run `make demo` or `make up` first",
            file=sys.stderr,
        )
        return False
    return True


def show_stack(stack: LocalStack, env: dict[str, str]) -> bool:
    """Prints the services, then a task through Cloud Tasks and a Firestore write; returns
    whether the write was read back."""
    print("Local stack (all on 127.0.0.1):")
    for svc in stack.services.values():
        print(f"  {svc.name:<10} port {svc.port:<6} pid {svc.pid}")
    dispatched, stored = check_tasks_and_firestore(env)
    print(f"\nCloud Tasks -> functions /healthz: dispatched in {dispatched * 1000:.0f} ms")
    print(f"Firestore emulator: write and read back {'ok' if stored else 'FAILED'}")
    return stored


def show_sis(sis: str, extra: dict[str, str]) -> int:
    """Step 1: every OneRoster 1.2 resource read page by page with a token, as a table.
    Returns the classes, users and enrollments read (the records a full sync fetches)."""
    session = requests.Session()
    session.headers["Authorization"] = (
        f"Bearer {token(session, sis, extra['client_id'], extra['client_secret'])}"
    )
    print(
        f"\n1. The local OneRoster SIS at {sis} serves a synthetic district "
        f"(OneRoster 1.2, {PAGE} per page, following Link rel=next):"
    )
    base12 = f"{sis}/ims/oneroster/rostering/v1p2"
    envelopes = {
        "schools": "orgs",
        "terms": "academicSessions",
        "gradingPeriods": "academicSessions",
        "teachers": "users",
        "students": "users",
    }
    counts = [count(session, base12, r, envelopes.get(r, r)) for r in RESOURCES_12]
    print(f"\n  {'resource':<22}{'records':>9}{'pages':>7}{'ms':>8}")
    for row in counts:
        print(f"  {row.resource:<22}{row.records:>9}{row.pages:>7}{row.seconds * 1000:>8.0f}")
    return sum(c.records for c in counts if c.resource in ("classes", "users", "enrollments"))


def connect_district(env: dict[str, str], db: firestore.Client, extra: dict[str, str]) -> None:
    """Step 2: the admin connects the SIS; the classroom app's existing accounts are seeded."""
    print("\n2. A district admin connects the SIS and the app's accounts exist:")
    register_district(env, db, extra)
    accounts = seed_accounts(env["ROSTERSYNC_LOCAL_SIS_URL"], db)
    print(f"  {accounts:,} existing accounts in the classroom app")


def run_sync(functions: str, kind: str) -> dict[str, Any]:
    """Starts a run of ``kind`` (full or delta) through the admin API and waits for its end."""
    run_id = admin_call(functions, "POST", "/runs", {"kind": kind}).json()["run_id"]
    return wait_for_run(functions, run_id)


def full_sync(functions: str, db: firestore.Client, sis_records: int) -> dict[str, Any]:
    """Step 3: a full sync, then what Firestore holds; returns the run's status."""
    print("\n3. Full sync now (admin API -> Cloud Tasks -> one task per page -> Firestore):")
    full = run_sync(functions, "full")
    print_run("Full sync", full, sis_records)
    classes = list(
        db.collection("districts").document(DEMO_DISTRICT).collection("classes").stream()
    )
    members = sum(
        sum(1 for m in (c.to_dict() or {}).get("students", {}).values() if m["status"] == "active")
        for c in classes
    )
    print(f"    Firestore now holds {len(classes):,} classes with {members:,} student places")
    return full


def delta_sync(functions: str, sis: str) -> dict[str, Any]:
    """Steps 4 and 5: changes made in the SIS, then a delta sync; returns the run's status."""
    print("\n4. Changes in the SIS:")
    for line in change_sis(sis):
        print(f"    - {line}")
    print("\n5. Delta sync (dateLastModified after the watermark):")
    delta = run_sync(functions, "delta")
    print_run("Delta sync", delta)
    return delta


def main() -> int:
    exit_quietly_on_signals()
    stack = LocalStack()
    env = stack.env()
    os.environ.update(env)  # the google-cloud clients find the emulators through the environment
    if not stack_is_up(stack):
        return 1
    stored = show_stack(stack, env)
    sis = env["ROSTERSYNC_LOCAL_SIS_URL"]
    extra = stack.services["sis"].extra
    sis_records = show_sis(sis, extra)

    db = firestore.Client(project=env["GOOGLE_CLOUD_PROJECT"])
    functions = env["ROSTERSYNC_FUNCTIONS_URL"]
    connect_district(env, db, extra)
    full = full_sync(functions, db, sis_records)
    delta = delta_sync(functions, sis)
    exported = export_demo(env, db, sis)
    teacher_ok = classroom_demo(
        functions,
        db,
        DEMO_DISTRICT,
        lambda email: stack_id_token(email, LocalStack().env()),
        lambda kind: run_sync(functions, kind),
        step=9,
    )
    csv_ok = csv_demo(env, db, sis, step=11)
    ok = (
        stored
        and csv_ok
        and exported
        and teacher_ok
        and full["state"].startswith("succeeded")
        and delta["state"].startswith("succeeded")
    )
    print("\nDemo finished; the stack stops now." if ok else "\nDemo finished with problems.")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
