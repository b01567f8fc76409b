"""`rostersync connect --csv` and `rostersync upload` (also as installed: .venv/bin/rostersync)
against the local stack: the zip goes to the Cloud Storage emulator through an upload session, the
bucket's event starts the run, and the command follows it to its end with `sync --watch`'s exit
codes (0 done; 1 failed, with the run's reason)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

from shared.ids import safe_id
from tests.cli.test_cli import CLEAN_ENV, as_admin
from tests.conftest import ADMIN, SyncHarness, id_token
from tools.oneroster_sis.csvexport import write_package
from tools.oneroster_sis.generator import DistrictSpec, generate_district

ROSTERSYNC = Path(sys.executable).with_name("rostersync")


def rostersync(harness: SyncHarness, district: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in CLEAN_ENV}
    env |= {"ROSTERSYNC_URL": harness.functions, "ROSTERSYNC_DISTRICT": district, "COLUMNS": "200"}
    env["ROSTERSYNC_TOKEN"] = id_token(harness.stack, ADMIN)
    done = subprocess.run([str(ROSTERSYNC), *args], capture_output=True, text=True, env=env,
                          timeout=120, check=False)  # fmt: skip
    assert "Traceback" not in done.stderr and env["ROSTERSYNC_TOKEN"] not in done.stdout
    return done


def package(path: Path, schools: bool = True) -> Path:
    records = generate_district(DistrictSpec(seed=11, students=10))
    if not schools:
        records["orgs"] = [{**o, "type": "department"} if o["type"] == "school" else o
                           for o in records["orgs"]]  # fmt: skip
    out = io.BytesIO()
    write_package(records, out)
    path.write_bytes(out.getvalue())
    return path


def test_upload_follows_the_run_and_exits_by_its_end(
    sync_harness: SyncHarness, tmp_path: Path
) -> None:
    district = f"cli-csv-{os.getpid()}-{id(tmp_path) % 10**6}"
    sync_harness.district(district).collection("staff").document(safe_id(ADMIN)).set(
        {"role": "admin"}
    )
    good_zip, bad_zip = package(tmp_path / "good.zip"), package(tmp_path / "x.zip", schools=False)
    # in process (typer's runner, as tests/cli/test_cli.py), then the installed command
    connected = as_admin(sync_harness, district, "connect", "--csv")
    good = rostersync(sync_harness, district, "upload", str(good_zip), "--interval", "0.2")
    bad = as_admin(sync_harness, district, "upload", str(bad_zip), "--interval", "0.2")
    assert connected.exit_code == 0 and f"districts/{district}/inbox/" in connected.stdout
    assert good.returncode == 0, good.stderr
    assert "succeeded" in good.stdout and "counts:" in good.stdout, good.stdout
    assert bad.exit_code == 1, bad.output
    assert "failed:" in bad.stdout and "department" in bad.stdout, bad.stdout
