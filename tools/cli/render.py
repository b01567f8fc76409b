"""What the CLI prints: rich tables for people, the API's JSON for scripts (--json), CSV for
warnings. Data goes to stdout; messages, prompts and progress to stderr."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterable, Mapping
from typing import Any

from rich.console import Console
from rich.table import Table

WARNING_COLUMNS = ("code", "record_kind", "sourced_id", "school_id", "reason", "fix")


def out() -> Console:
    return Console(highlight=False)


def err() -> Console:
    return Console(stderr=True, highlight=False)


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, sort_keys=True) + "\n")


def counts_text(counts: Mapping[str, Any] | None) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted((counts or {}).items()) if v) or "-"


def table(title: str | None, columns: Iterable[str], rows: Iterable[Iterable[Any]]) -> Table:
    shown = Table(title=title, title_justify="left", show_lines=False)
    for column in columns:
        shown.add_column(column, overflow="fold")
    for row in rows:
        shown.add_row(*("-" if v is None else str(v) for v in row))
    return shown


def schools(answer: Mapping[str, Any]) -> None:
    found = answer.get("schools") or []
    if not found:
        out().print("no schools yet: the SIS's schools are listed once a sync started")
        return
    rows = [(s["id"], s.get("name"), s.get("status"), "yes" if s["selected"] else "no")
            for s in found]  # fmt: skip
    out().print(table(None, ("id", "name", "status", "selected"), rows))
    out().print("every school syncs" if answer.get("all_selected") else "only the selected sync")


def runs(answer: Mapping[str, Any]) -> None:
    rows = [
        (r["run_id"], r.get("state"), r.get("kind"), "yes" if r.get("dry_run") else "",
         r.get("created_at"), r.get("seconds"), counts_text(r.get("counts")))
        for r in answer.get("runs") or []
    ]  # fmt: skip
    if not rows:
        out().print("no runs")
        return
    columns = ("run", "state", "kind", "dry run", "created", "seconds", "counts")
    out().print(table(None, columns, rows))


def _run_header(status: Mapping[str, Any]) -> list[str]:
    progress = status.get("progress") or {}
    dry = " (dry run)" if status.get("dry_run") else ""
    lines = [
        f"run {status['run_id']}: {status.get('state')}, {status.get('kind')}{dry}",
        f"created {status.get('created_at', '-')}, finished {status.get('finished_at', '-')}"
        + (f" in {status['seconds']} s" if "seconds" in status else ""),
        f"pages {progress.get('pages_done', 0)} / {progress.get('pages_known', 0)}",
        f"counts: {counts_text(status.get('counts'))}",
    ]
    if status.get("held_counts"):
        lines.append(f"held: {counts_text(status.get('held_counts'))}")
    failure = status.get("failure")
    if isinstance(failure, Mapping):
        lines.append(f"failed: {failure.get('reason')} (at {failure.get('where', '-')})")
    if status.get("warnings_total"):
        lines.append(
            f"data warnings: {status['warnings_total']} "
            f"(rostersync warnings --run {status['run_id']})"
        )
    return lines


def _change_text(change: Mapping[str, Any]) -> str:
    what = ", ".join(
        f"{k} {len(v) if isinstance(v, list) else v}"
        for k, v in sorted(change.items())
        if k not in ("class_id", "school_id") and v not in (None, [], {})
    )
    return f"{change.get('class_id', '?')}: {what}"


def held_changes(school_id: str, detail: Mapping[str, Any]) -> None:
    console = out()
    for hold in detail.get("holds") or []:
        reasons = "; ".join(hold.get("reasons") or []) or "-"
        changes = hold.get("changes") or []
        console.print(
            f"school {school_id}: {hold.get('state')}, {len(changes)} change(s): {reasons}"
        )
        for change in changes[:20]:
            console.print(f"  {_change_text(change)}")
        if len(changes) > 20:
            console.print(f"  … and {len(changes) - 20} more (--json shows them all)")


def run(status: Mapping[str, Any], holds: Mapping[str, Mapping[str, Any]]) -> None:
    console = out()
    for line in _run_header(status):
        console.print(line)
    schools_of_run = status.get("schools") or {}
    if schools_of_run:
        rows = [
            (school, s.get("state"), counts_text(s.get("counts")),
             counts_text(s.get("held_counts")), "; ".join(s.get("hold_reasons") or []) or None)
            for school, s in sorted(schools_of_run.items())
        ]  # fmt: skip
        console.print(table(None, ("school", "state", "counts", "held", "why held"), rows))
    for school_id, detail in holds.items():
        held_changes(school_id, detail)
    if status.get("state") == "held":
        run_id = status["run_id"]
        console.print(f"held for review: rostersync approve {run_id}  |  discard {run_id}")


def warnings(items: list[Mapping[str, Any]], run_id: Any) -> None:
    if not items:
        out().print(f"no data warnings (run {run_id})")
        return
    rows = [tuple(w.get(c) for c in WARNING_COLUMNS) for w in items]
    out().print(table(f"data warnings of run {run_id}", WARNING_COLUMNS, rows))


def warnings_csv(items: list[Mapping[str, Any]]) -> None:
    extra = sorted({k for w in items for k in w} - set(WARNING_COLUMNS))
    writer = csv.DictWriter(sys.stdout, fieldnames=[*WARNING_COLUMNS, *extra], lineterminator="\n")
    writer.writeheader()
    for item in items:
        writer.writerow({k: _cell(v) for k, v in item.items()})


def _cell(value: Any) -> Any:
    return json.dumps(value, sort_keys=True) if isinstance(value, dict | list) else value


def _flat(view: Mapping[str, Any], prefix: str = "") -> Iterable[tuple[str, Any]]:
    """Nested maps as dotted keys (connection.vendor, guards.max_count), sorted."""
    for key, value in sorted(view.items()):
        if isinstance(value, Mapping) and value:
            yield from _flat(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", _cell(value)


def settings(view: Mapping[str, Any]) -> None:
    rows = list(_flat(view))
    out().print(table(None, ("setting", "value"), rows))
