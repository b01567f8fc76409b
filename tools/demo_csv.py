"""`make demo`'s CSV steps: a second district takes OneRoster CSV packages instead of the API.

The local SIS exports the district it serves as a OneRoster 1.2 CSV package
(``GET /_control/export-csv``, tools/oneroster_sis/csvexport.py); the demo drops it where a
district's SFTP-to-Cloud-Storage gateway would, ``districts/<d>/inbox/<date>.zip`` in the packages
bucket (the stack's Cloud Storage emulator, through google-cloud-storage); the stack's event
delivery sends the ``csv_landed`` CloudEvent and the run goes as a REST run does. Then a few
changes in the SIS travel as a delta package. The district takes one school (its selection), so
the steps stay short at the demo's 5,000 students; the package holds the whole district.

    python -m tools.demo_csv [--state-dir DIR]       # alone, against `make up` (or its stack)
"""

from __future__ import annotations

import datetime as dt
import io
import os
import sys
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from shared.adapters.package_storage import make_storage_client
from shared.ids import safe_id
from shared.settings import Settings
from tools.local_issuer import stack_id_token
from tools.localstack import LocalStack

CSV_DISTRICT = "demo-csv-district"
CSV_ADMIN = "admin@rusd.example.org"
COUNTS = (  # the run counts both demos print, in this order
    "classes_offered",
    "classes_renamed",
    "classes_archived",
    "owners_changed",
    "students_added",
    "students_removed",
    "students_restored",
    "co_teachers_added",
    "co_teachers_removed",
)


@dataclass
class CsvDistrict:
    """The CSV district as its admin sees it, and the packages bucket as its gateway does."""

    env: dict[str, str]
    sis: str

    def admin(self, method: str, path: str, body: Any = None) -> requests.Response:
        return requests.request(
            method,
            f"{self.env['ROSTERSYNC_FUNCTIONS_URL']}/sync_admin/districts/{CSV_DISTRICT}{path}",
            json=body,
            headers={"Authorization": f"Bearer {stack_id_token(CSV_ADMIN, self.env)}"},
            timeout=120,
        )

    def connect(self, db: Any, school: str) -> None:
        district = db.collection("districts").document(CSV_DISTRICT)
        district.collection("staff").document(safe_id(CSV_ADMIN)).set({"role": "admin"})
        for method, path, body in (
            ("PUT", "/connection", {"source": "csv"}),
            ("PATCH", "/settings", {"schedule": {"enabled": False}, "selected_schools": [school]}),
        ):
            answer = self.admin(method, path, body)
            if answer.status_code != 200:
                raise SystemExit(f"demo: {method} {path} failed: {answer.text}")

    def export(self, since: dt.datetime | None = None) -> bytes:
        params = {"version": "1.2", **({"since": since.isoformat()} if since else {})}
        answer = requests.get(f"{self.sis}/_control/export-csv", params=params, timeout=300)
        answer.raise_for_status()
        return answer.content

    def drop(self, file_name: str, package: bytes) -> str:
        settings = Settings.from_env(self.env)
        client = make_storage_client(settings.project_id, settings.storage_emulator_host)
        name = f"districts/{CSV_DISTRICT}/inbox/{file_name}"
        blob = client.bucket(settings.packages_bucket).blob(name)
        blob.upload_from_string(package, content_type="application/zip")
        return f"gs://{settings.packages_bucket}/{name}"

    def landed_run(self, object_name: str, timeout: float = 60) -> str:
        """The run the package's CloudEvent started (the newest run naming the object)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for run in self.admin("GET", "/runs?limit=5").json().get("runs", []):
                shown = self.admin("GET", f"/runs/{run['run_id']}").json()
                package = shown.get("package") or {}
                if f"gs://{package.get('bucket')}/{package.get('name')}" == object_name:
                    return str(run["run_id"])
            time.sleep(0.5)
        raise SystemExit(f"demo: no run started for {object_name} in {timeout:.0f} s")

    def wait(self, run_id: str, timeout: float = 300) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status: dict[str, Any] = self.admin("GET", f"/runs/{run_id}").json()
            if status.get("state") not in ("queued", "running"):
                kinds = self.admin("GET", f"/runs/{run_id}/warnings/summary").json()
                return {**status, "warning_kinds": kinds.get("kinds", [])}
            time.sleep(0.5)
        raise SystemExit(f"demo: CSV run {run_id} did not finish in {timeout:.0f} s")


def describe_package(package: bytes) -> str:
    archive = zipfile.ZipFile(io.BytesIO(package))
    rows = {
        info.filename: archive.read(info.filename).count(b"\r\n") - 1
        for info in archive.infolist()
        if info.filename != "manifest.csv"
    }
    files = ", ".join(f"{name} {n:,}" for name, n in rows.items())
    return f"{len(package) / 1024:,.0f} KiB zip; rows: {files}"


def print_csv_run(title: str, status: dict[str, Any]) -> None:
    counts = status.get("counts", {})
    print(
        f"    {title}: {status.get('state')} in {status.get('seconds', 0):.1f} s "
        f"({status.get('kind')} run from the package)"
    )
    if status.get("failure"):
        print(f"    failure: {status['failure']}")
    for key in COUNTS:
        if counts.get(key):
            print(f"      {key.replace('_', ' '):<22}{counts[key]:>8}")
    kinds = sorted((k["code"], k["count"]) for k in status.get("warning_kinds", []))
    if kinds:
        print(f"      data warnings by kind: {', '.join(f'{c} {n}' for c, n in kinds)}")


def change_in_sis(sis: str, db: Any, school: str) -> list[str]:
    """A registrar's edits: a class renamed, a student moved from one class to another."""
    classes = db.collection("districts").document(CSV_DISTRICT).collection("classes").stream()
    placed = {
        doc.get("sis")["section_id"]: {
            m["sis_user_id"]
            for m in (doc.get("students") or {}).values()
            if m["status"] == "active"
        }
        for doc in classes
    }
    first, second = sorted(c for c, members in placed.items() if members)[:2]
    student = sorted(placed[first] - placed[second])[0]
    control = f"{sis}/_control/records"
    requests.patch(
        f"{control}/classes/{first}", json={"title": "Algebra I Honors"}, timeout=30
    ).raise_for_status()
    enrollments = requests.get(f"{control}/enrollments", timeout=60).json()["enrollments"]
    leaving = next(
        e
        for e in enrollments
        if isinstance(e.get("user"), dict)
        and e["user"]["sourcedId"] == student
        and e["class"]["sourcedId"] == first
        and e.get("status") == "active"
    )
    requests.delete(
        f"{control}/enrollments/{leaving['sourcedId']}", params={"mode": "tobedeleted"}, timeout=30
    ).raise_for_status()
    moved = {
        **leaving,
        "sourcedId": "enr-demo-moved",
        "class": {"sourcedId": second, "type": "class"},
    }
    requests.put(f"{control}/enrollments", json={"records": [moved]}, timeout=30).raise_for_status()
    return [f"class {first} renamed to 'Algebra I Honors'", f"student {student} moved to {second}"]


def first_school(sis: str) -> str:
    orgs = requests.get(f"{sis}/_control/records/orgs", timeout=30).json()["orgs"]
    return str(next(o["sourcedId"] for o in orgs if o.get("type") == "school"))


def csv_demo(env: dict[str, str], db: Any, sis: str, step: int) -> bool:
    """Prints steps ``step`` and ``step + 1``; True when both runs succeeded and changed what
    was changed."""
    district = CsvDistrict(env, sis)
    school = first_school(sis)
    print(
        f"\n{step}. A second district takes OneRoster CSV packages instead of the API "
        f"(school {school}):"
    )
    district.connect(db, school)
    package = district.export()
    print(f"    the SIS exports its district as OneRoster 1.2 CSV: {describe_package(package)}")
    today = dt.date.today().isoformat()
    where = district.drop(f"{today}.zip", package)
    print(f"    dropped at {where}; the stack's event delivery starts the run")
    full = district.wait(district.landed_run(where))
    print_csv_run("CSV import", full)

    print(f"\n{step + 1}. Changes in the SIS travel as a delta package:")
    since = dt.datetime.now(dt.UTC)
    for line in change_in_sis(sis, db, school):
        print(f"    - {line}")
    delta_package = district.export(since)
    print(f"    delta package: {describe_package(delta_package)}")
    delta = district.wait(district.landed_run(district.drop(f"{today}-changes.zip", delta_package)))
    print_csv_run("CSV delta import", delta)
    counts = delta.get("counts", {})
    return (
        str(full.get("state")).startswith("succeeded")
        and str(delta.get("state")).startswith("succeeded")
        and counts.get("classes_renamed", 0) >= 1
        and counts.get("students_added", 0) >= 1
    )


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    state_dir = Path(args[1]) if args[:1] == ["--state-dir"] and len(args) > 1 else None
    stack = LocalStack(state_dir)
    env = stack.env()
    os.environ.update(env)
    from google.cloud import firestore

    db = firestore.Client(project=env["GOOGLE_CLOUD_PROJECT"])
    started = time.monotonic()
    ok = csv_demo(env, db, env["ROSTERSYNC_LOCAL_SIS_URL"], step=1)
    print(f"\n{'done' if ok else 'finished with problems'} in {time.monotonic() - started:.0f} s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
