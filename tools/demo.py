"""`make demo`: with the local stack up, show each part answering and the local SIS serving a
synthetic district over OneRoster 1.2 and 1.1, fetched over HTTP with an OAuth 2.0 token.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass

import requests
from google.cloud import firestore, tasks_v2

from shared.adapters.cloud_tasks import make_tasks_client
from tools.localstack import LocalStack, queue_path

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
    reported_total: str
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
    pages, total = 0, "-"
    while url:
        response = session.get(url, timeout=30)
        response.raise_for_status()
        pages += 1
        total = response.headers.get("X-Total-Count", "-")
        seen.update(r["sourcedId"] for r in response.json()[envelope])
        url = response.links.get("next", {}).get("url")
    return Count(resource, len(seen), pages, total, time.monotonic() - started)


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


def main() -> int:
    stack = LocalStack()
    env = stack.env()
    os.environ.update(env)  # the google-cloud clients find the emulators through the environment
    missing = [s for s in ("firestore", "tasks", "sis", "functions") if not stack.running(s)]
    if missing:
        print(
            f"demo: the local stack is not fully up (missing: {', '.join(missing)}); "
            "run `make demo` or `make up` first",
            file=sys.stderr,
        )
        return 1
    print("Local stack (all on 127.0.0.1):")
    for svc in stack.services.values():
        print(f"  {svc.name:<10} port {svc.port:<6} pid {svc.pid}")
    dispatched, stored = check_tasks_and_firestore(env)
    print(f"\nCloud Tasks emulator -> functions /healthz: dispatched in {dispatched * 1000:.0f} ms")
    print(f"Firestore emulator: write and read back {'ok' if stored else 'FAILED'}")

    sis = env["ROSTERSYNC_LOCAL_SIS_URL"]
    extra = stack.services["sis"].extra
    session = requests.Session()
    session.headers["Authorization"] = (
        f"Bearer {token(session, sis, extra['client_id'], extra['client_secret'])}"
    )
    print(
        f"\nLocal OneRoster SIS at {sis}: OAuth 2.0 token issued; walking every collection "
        f"({PAGE} per page, following Link rel=next)"
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
    counts.append(count(session, f"{sis}/ims/oneroster/gradebook/v1p2", "categories", "categories"))
    counts.append(count(session, f"{sis}/ims/oneroster/v1p1", "users", "users"))
    print(f"\n  {'resource':<22}{'records':>9}{'pages':>7}{'X-Total-Count':>15}{'ms':>8}")
    for row in counts:
        label = row.resource if row is not counts[-1] else "users (OneRoster 1.1)"
        print(
            f"  {label:<22}{row.records:>9}{row.pages:>7}{row.reported_total:>15}"
            f"{row.seconds * 1000:>8.0f}"
        )
    records = sum(c.records for c in counts)
    seconds = sum(c.seconds for c in counts)
    print(f"\n  {records} records in {seconds:.2f} s ({records / seconds:,.0f} records/s)")
    return 0 if stored else 1


if __name__ == "__main__":
    raise SystemExit(main())
