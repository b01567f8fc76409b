"""`sync --watch`: polls the run's status and shows a progress bar (pages done / known, records
per second, ETA) until the run ends; the exit code follows the run's end."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from tools.cli.api import AdminApi

ENDED = frozenset(
    {"succeeded", "succeeded_with_warnings", "held", "deciding", "failed", "cancelled"}
)
DONE, FAILED, HELD = 0, 1, 3


def exit_code(state: Any) -> int:
    """0 done (or still going), 1 failed or cancelled, 3 held for review."""
    if state == "held":
        return HELD
    return FAILED if state in ("failed", "cancelled") else DONE


def _eta(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes // 60}:{minutes % 60:02d}:{secs:02d}"


def bar_fields(status: Mapping[str, Any]) -> dict[str, Any]:
    """The bar's numbers from one status poll: pages, records/s (the API's upper bound), and
    the time left at the current page rate ("~" while the total is still an estimate)."""
    progress = status.get("progress") or {}
    done, known = int(progress.get("pages_done", 0)), int(progress.get("pages_known", 0))
    rate = status.get("rate") or {}
    per_page = rate.get("pages_per_second") or 0
    records = rate.get("records_per_second")
    eta = "-"
    if per_page > 0 and status.get("state") not in ENDED:
        eta = ("" if progress.get("total_final") else "~") + _eta((known - done) / per_page)
    elif status.get("state") in ENDED:
        eta = "0:00:00"
    return {
        "completed": done,
        "total": max(known, done, 1),
        "description": str(status.get("state", "queued")),
        "records": f"{records:,.0f} records/s" if records else "- records/s",
        "eta": eta,
    }


def watch(api: AdminApi, run_id: str, interval: float, console: Console | None) -> dict[str, Any]:
    """The run's final status; a progress bar on ``console`` (None: no bar, for --json)."""
    columns = (
        TextColumn("{task.description:<12}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("pages  {task.fields[records]}  ETA {task.fields[eta]}"),
    )
    with Progress(*columns, console=console, disable=console is None) as bar:
        task = bar.add_task("queued", total=None, records="- records/s", eta="-")
        while True:
            status = api.call("GET", f"/runs/{run_id}")
            bar.update(task, **bar_fields(status))
            if status.get("state") in ENDED:
                return status
            time.sleep(interval)
