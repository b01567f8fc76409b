"""The `rostersync` CLI through the real admin API on the local stack (issue 15, part 3): run
in-process with typer's CliRunner, signed in with ID tokens of the stack's local issuer."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import time
from typing import Any

from typer.testing import CliRunner, Result

from shared.ids import safe_id
from tests.conftest import ADMIN, CLIENT_ID, CLIENT_SECRET, ROOT, SyncHarness, id_token
from tests.held_runs_sis import empty_sections, taught_sections
from tools.cli.main import app
from tools.cli.render import WARNING_COLUMNS

# Nothing from the caller's environment chooses the API, the district or the sign-in.
CLEAN_ENV: dict[str, str | None] = dict.fromkeys(
    (
        "ROSTERSYNC_URL",
        "ROSTERSYNC_DISTRICT",
        "ROSTERSYNC_TOKEN",
        "ROSTERSYNC_TOKEN_COMMAND",
        "ROSTERSYNC_EMAIL",
        "ROSTERSYNC_STACK_DIR",
    )
) | {"COLUMNS": "200"}  # fmt: skip  (wide tables: ids whole on one line)


def rostersync(*args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(app, list(args), input=stdin, env=CLEAN_ENV)


def as_admin(harness: SyncHarness, district: str, *args: str, stdin: str | None = None) -> Result:
    token = id_token(harness.stack, ADMIN)
    base = ("--url", harness.functions, "--district", district, "--token", token)
    result = rostersync(*base, *args, stdin=stdin)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert token not in result.output
    return result


def new_district(harness: SyncHarness) -> str:
    district = f"cli-{time.time_ns() % 10**12}"
    harness.district(district).collection("staff").document(safe_id(ADMIN)).set({"role": "admin"})
    return district


def connect_args(running: Any) -> list[str]:
    return [
        "connect", "--version", "1.2", "--rostering-url", running.base_url("1.2"),
        "--gradebook-url", running.base_url("1.2", "gradebook"), "--token-url",
        running.token_url, "--client-id", CLIENT_ID, "--page-size", "40", "--local-dev",
    ]  # fmt: skip


def test_connect_names_the_cause_saves_nothing_then_connects_and_disconnects(
    make_sis, sync_harness
) -> None:
    running, district = make_sis(students=10), new_district(sync_harness)
    wrong = as_admin(sync_harness, district, *connect_args(running), "--secret-stdin",
                     stdin="not-the-secret\n")  # fmt: skip
    saved_after_wrong = sync_harness.district(district).get().to_dict() or {}
    right = as_admin(sync_harness, district, *connect_args(running), stdin=f"{CLIENT_SECRET}\n")
    asked = as_admin(sync_harness, district, "disconnect", stdin="n\n")
    gone = as_admin(sync_harness, district, "disconnect", "--yes")
    refused = as_admin(sync_harness, district, "sync")
    assert wrong.exit_code == 1 and "the connection failed" in wrong.stderr
    assert "nothing was saved" in wrong.stderr and "connection" not in saved_after_wrong
    assert "not-the-secret" not in wrong.output and CLIENT_SECRET not in right.output
    assert right.exit_code == 0 and "connected (generic)" in right.stdout, right.output
    assert asked.exit_code == 1 and "Disconnect district" in asked.stderr
    assert gone.exit_code == 0 and "disconnected" in gone.stdout
    assert refused.exit_code == 1 and "disconnected" in refused.stderr


def test_a_watched_sync_ends_and_every_read_shows_it(make_sis, sync_harness) -> None:
    district = sync_harness.register(make_sis(students=40))
    watched = as_admin(sync_harness, district, "sync", "--watch", "--interval", "0.2")
    listed = json.loads(as_admin(sync_harness, district, "runs", "--json").stdout)
    run_id = listed["runs"][0]["run_id"]
    shown = as_admin(sync_harness, district, "run", run_id)
    table = as_admin(sync_harness, district, "runs", "--kind", "full")
    school = json.loads(as_admin(sync_harness, district, "--json", "schools").stdout)["schools"][0]
    chosen = as_admin(sync_harness, district, "schools", "--select", school["id"], "--json")
    found = json.loads(
        as_admin(sync_harness, district, "warnings", "--run", run_id, "--json").stdout
    )
    rows = list(csv.DictReader(io.StringIO(
        as_admin(sync_harness, district, "warnings", "--run", run_id, "--csv").stdout
    )))  # fmt: skip
    assert watched.exit_code == 0 and "pages" in watched.stderr, watched.output
    assert f"run {run_id}: succeeded" in watched.stdout
    assert shown.exit_code == 0 and "counts:" in shown.stdout and run_id in table.stdout
    assert [s["selected"] for s in json.loads(chosen.stdout)["schools"]].count(True) == 1
    assert len(rows) == len(found["warnings"])
    assert all(list(row)[: len(WARNING_COLUMNS)] == list(WARNING_COLUMNS) for row in rows)
    assert [r["code"] for r in rows] == [w["code"] for w in found["warnings"]]


def test_a_held_run_exits_3_until_approved(make_sis, sync_harness) -> None:
    running = make_sis(students=40)
    district = sync_harness.register(running, guards={"max_count": 2, "max_fraction": 0.5})
    sync_harness.sync(district)
    empty_sections(running, taught_sections(running)[1:3])
    held = as_admin(sync_harness, district, "sync", "--watch", "--interval", "0.2", "--json")
    run_id = json.loads(held.stdout)["run_id"]
    shown = as_admin(sync_harness, district, "run", run_id)
    approved = as_admin(sync_harness, district, "approve", run_id)
    after = as_admin(sync_harness, district, "run", run_id)
    again = as_admin(sync_harness, district, "discard", run_id)
    assert held.exit_code == 3 and json.loads(held.stdout)["state"] == "held"
    assert shown.exit_code == 3 and "held for review" in shown.stdout
    assert "change(s)" in shown.stdout and "remove_students" in shown.stdout
    assert approved.exit_code == 0 and f"approved run {run_id}" in approved.stdout
    assert after.exit_code == 0 and "succeeded" in after.stdout
    assert again.exit_code == 1 and "approve" in again.stderr  # decided once: the API's 409


def test_switches_settings_and_sign_in_from_the_local_stack(make_sis, sync_harness) -> None:
    district = sync_harness.register(make_sis(students=10))
    off = as_admin(sync_harness, district, "export", "off")
    settings = json.loads(as_admin(sync_harness, district, "settings", "--json").stdout)
    stack = ("--stack-dir", str(sync_harness.stack.state_dir), "--district", district)
    by_email = rostersync(*stack, "--email", ADMIN, "runs", "--json")
    command = f"{sys.executable} -m tools.local_issuer token {ADMIN} --state-dir "
    by_command = rostersync(*stack, "--token-command", command + str(sync_harness.stack.state_dir),
                            "settings")  # fmt: skip
    assert off.exit_code == 0 and "mark export is off" in off.stdout
    assert settings["export_enabled"] is False and "secret_name" not in settings
    assert by_email.exit_code == 0 and json.loads(by_email.stdout)["runs"] == [], by_email.output
    assert by_command.exit_code == 0 and "connection" in by_command.stdout, by_command.output


def test_a_token_that_expires_is_renewed_by_the_token_command(
    make_sis, sync_harness, tmp_path
) -> None:
    """ID tokens last an hour, a watched sync can last longer: a 401 makes the CLI run its
    --token-command again and send the call once more (here the first token is expired)."""
    district = sync_harness.register(make_sis(students=10))
    expired = id_token(sync_harness.stack, ADMIN, exp=int(time.time()) - 3600)
    tokens = tmp_path / "tokens.txt"
    tokens.write_text(f"{expired}\n{id_token(sync_harness.stack, ADMIN)}\n")
    pop = "import pathlib,sys; p=pathlib.Path(sys.argv[1]); t=p.read_text().split(); "
    pop += "print(t[0]); p.write_text(chr(10).join(t[1:]))"
    command = f"{sys.executable} -c '{pop}' {tokens}"
    base = ("--url", sync_harness.functions, "--district", district)
    renewed = rostersync(*base, "--token-command", command, "settings")
    given = rostersync(*base, "--token", expired, "settings")
    assert renewed.exit_code == 0 and "connection" in renewed.stdout, renewed.output
    assert tokens.read_text() == ""  # the command ran twice: the expired token, then the new
    assert given.exit_code == 1 and "(401)" in given.output, given.output  # nothing to renew
    assert expired not in renewed.output + given.output


def test_bad_flags_bad_values_no_sign_in_and_no_stack_say_what_to_fix(
    make_sis, sync_harness, tmp_path
) -> None:
    district = sync_harness.register(make_sis(students=10))
    bad_flag = as_admin(sync_harness, district, "runs", "--limit", "many")
    bad_switch = as_admin(sync_harness, district, "export", "maybe")
    bad_value = as_admin(sync_harness, district, "runs", "--limit", "0")
    bad_json = as_admin(sync_harness, district, "runs", "--limit", "0", "--json")
    unsigned = rostersync("--url", sync_harness.functions, "--district", district, "runs")
    no_stack = rostersync("--stack-dir", str(tmp_path), "--district", district, "--email", ADMIN,
                          "--url", sync_harness.functions, "runs")  # fmt: skip
    unreachable = rostersync("--url", "http://127.0.0.1:9", "--district", district, "runs")
    assert bad_flag.exit_code == 2 and "--limit" in bad_flag.stderr
    assert bad_switch.exit_code == 2 and "maybe" in bad_switch.stderr
    assert bad_value.exit_code == 1 and "limit" in bad_value.stderr and "(400)" in bad_value.stderr
    assert bad_json.exit_code == 1 and json.loads(bad_json.stdout)["status"] == 400
    assert unsigned.exit_code == 1 and "(401)" in unsigned.stderr
    assert "sign in with --token" in unsigned.stderr
    assert no_stack.exit_code == 1 and "no local stack runs" in no_stack.stderr
    assert unreachable.exit_code == 1 and "cannot reach http://127.0.0.1:9" in unreachable.stderr
    assert "Traceback" not in unreachable.output + unsigned.output + bad_value.output


def test_the_installed_console_script_runs() -> None:
    script = ROOT / ".venv" / "bin" / "rostersync"
    done = subprocess.run([str(script), "--help"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "sync" in done.stdout, done.stderr
