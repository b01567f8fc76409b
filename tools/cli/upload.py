"""`rostersync upload PACKAGE.zip`: uploads a OneRoster CSV package and follows its run.

The admin API hands out a Cloud Storage upload session (POST /packages); the zip goes straight
to the bucket in one PUT, streamed from disk (never read whole); the bucket's event starts the
run, whose id appears on the package (GET /packages/{id}); then the run is followed as
`sync --watch` follows one, with the same exit codes (0 done, 1 failed, 3 held)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import IO, Annotated, Any

import requests
import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

from tools.cli import render
from tools.cli.api import AdminApi, CliFailure
from tools.cli.app import JsonFlag, api_of, app, as_json, handled
from tools.cli.commands import finish_run
from tools.cli.watch import watch

Opt = typer.Option
PUT_TIMEOUT = (10.0, 600.0)  # connect, then at most this long between two chunks
BLOCK = 1 << 20


class _Streamed:
    """The file as a request body: requests sends it in blocks (its length is known, so no
    chunked encoding), and each block moves the progress bar."""

    def __init__(self, file: IO[bytes], size: int, progress: Progress, task: Any) -> None:
        self._file, self._size, self._progress, self._task = file, size, progress, task

    def __len__(self) -> int:
        return self._size

    def read(self, amount: int = -1) -> bytes:
        block = self._file.read(BLOCK if amount is None or amount < 0 else amount)
        self._progress.advance(self._task, len(block))
        return block


def put_file(url: str, path: Path, headers: dict[str, str], quiet: bool) -> None:
    """One PUT of the whole file to the upload session, streamed from disk."""
    size = path.stat().st_size
    columns = (TextColumn("upload"), BarColumn(), DownloadColumn(), TransferSpeedColumn())
    with Progress(*columns, console=render.err(), disable=quiet) as progress, path.open("rb") as f:
        task = progress.add_task("upload", total=size)
        body = _Streamed(f, size, progress, task)
        try:
            sent = requests.put(url, data=body, headers=headers, timeout=PUT_TIMEOUT)
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise CliFailure(f"the upload broke off ({type(exc).__name__}); upload again") from None
    if sent.status_code >= 300:
        raise CliFailure(
            f"the storage refused the upload ({sent.status_code}): {sent.text[:300]}; upload again"
        )


def wait_for_run(api: AdminApi, status_path: str, timeout: float, interval: float) -> str:
    """The run id the package's event started (polled on the package)."""
    deadline = time.monotonic() + timeout
    while True:
        package = api.call("GET", status_path.removeprefix(f"/districts/{api.district}"))
        if package.get("run_id"):
            return str(package["run_id"])
        if time.monotonic() >= deadline:
            raise CliFailure(
                f"the package was uploaded, but no run started within {timeout:g} s (state "
                f"{package.get('state')}): the bucket's event (Eventarc → csv_landed) may be "
                "late or not set up; look again later with rostersync packages"
            )
        time.sleep(interval)


@app.command()
@handled
def upload(
    ctx: typer.Context,
    package: Annotated[
        Path,
        typer.Argument(exists=True, dir_okay=False, readable=True, help="The package (.zip)."),
    ],
    dry_run: Annotated[
        bool, Opt("--dry-run", help="Plan only: store the plan, apply nothing.")
    ] = False,
    watch_run: Annotated[
        bool, Opt("--watch/--no-watch", help="Follow the run to its end; exit by its end.")
    ] = True,
    timeout: Annotated[float, Opt(min=1, help="Seconds to wait for the run to start.")] = 120.0,
    interval: Annotated[float, Opt(min=0.1, help="Seconds between polls.")] = 1.0,
    json_out: JsonFlag = False,
) -> None:
    """Upload a OneRoster CSV package and follow its run (exit 0, 1 failed, 3 held)."""
    api, json_mode = api_of(ctx), as_json(ctx, json_out)
    body = {"filename": package.name, "size": package.stat().st_size, "dry_run": dry_run}
    session = api.call("POST", "/packages", body)
    put_file(session["upload_url"], package, dict(session.get("headers") or {}), json_mode)
    run_id = wait_for_run(api, session["status"], timeout, interval)
    if not watch_run:
        started = {"package_id": session["package_id"], "run_id": run_id}
        message = f"uploaded; run {run_id} started: rostersync run {run_id}"
        if json_mode:
            render.print_json(started)
        else:
            render.out().print(message)
        return
    status = watch(api, run_id, interval, None if json_mode else render.err())
    finish_run(status, json_mode, holds={})


@app.command()
@handled
def packages(ctx: typer.Context, json_out: JsonFlag = False) -> None:
    """The latest uploaded CSV packages and the runs they started."""
    answer = api_of(ctx).call("GET", "/packages")
    if as_json(ctx, json_out):
        render.print_json(answer)
        return
    rows = [
        (p.get("package_id"), p.get("state"), p.get("run_id"), p.get("filename"), p.get("size"),
         "yes" if p.get("dry_run") else "", p.get("created_at"))
        for p in answer.get("packages") or []
    ]  # fmt: skip
    if not rows:
        render.out().print("no packages uploaded")
        return
    columns = ("package", "state", "run", "file", "bytes", "dry run", "created")
    render.out().print(render.table(None, columns, rows))
