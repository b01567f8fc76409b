"""The commands of `rostersync`, one per admin task; each calls the admin API (docs/http-api.md)
and prints a table, or the API's JSON with --json."""

from __future__ import annotations

import sys
from collections.abc import Callable
from enum import StrEnum
from typing import Annotated, Any

import typer

from tools.cli import render
from tools.cli.api import AdminApi, ApiError, CliFailure
from tools.cli.app import JsonFlag, RunId, api_of, app, as_json, handled
from tools.cli.watch import exit_code, watch

Opt = typer.Option


class Switch(StrEnum):
    on = "on"
    off = "off"


def _show(json_mode: bool, answer: Any, human: Callable[[], None]) -> None:
    """The API's JSON (--json), else the human rendering."""
    if json_mode:
        render.print_json(answer)
    else:
        human()


def _secret(from_stdin: bool) -> str:
    if from_stdin:
        secret = sys.stdin.readline().strip()
    else:
        secret = typer.prompt("SIS client secret", hide_input=True, err=True)
    if not secret:
        raise typer.BadParameter("the client secret is empty", param_hint="--secret-stdin")
    return str(secret)


def _connect_csv(ctx: typer.Context, json_out: bool) -> None:
    """The district syncs from OneRoster CSV packages: no URL, no secret."""
    answer = api_of(ctx).call("PUT", "/connection", {"source": "csv"})
    if as_json(ctx, json_out):
        render.print_json(answer)
        return
    render.out().print(
        "connected: the district syncs from OneRoster CSV packages; upload one with "
        f"rostersync upload PACKAGE.zip, or have the SIS's SFTP export drop them in "
        f"{answer.get('inbox')}",
        markup=False,
        soft_wrap=True,
    )


# The options of `connect`.
RosteringUrl = Annotated[str | None, Opt(help="The SIS's OneRoster rostering base URL.")]
ClientId = Annotated[str | None, Opt(help="The OAuth client id the SIS gave.")]
CsvSource = Annotated[
    bool, Opt("--csv", help="Sync from OneRoster CSV packages (upload or SFTP drop) instead.")
]
Vendor = Annotated[
    str | None,
    Opt(
        help="Vendor preset: infinite-campus, skyward-sms, skyward-qmlativ, "
        "aspen, powerschool or generic (the default)."
    ),
]
Version = Annotated[str | None, Opt(help="OneRoster version: 1.1 or 1.2.")]
GradebookUrl = Annotated[str | None, Opt(help="The gradebook base URL (1.2).")]
TokenUrl = Annotated[str | None, Opt(help="The SIS's OAuth token URL.")]
AuthMode = Annotated[str | None, Opt(help="e.g. oauth2-basic, oauth1-hmac-sha256.")]
PageSize = Annotated[int | None, Opt(help="Records per page.")]
MaxConcurrency = Annotated[int | None, Opt(help="SIS requests at once.")]
LocalDev = Annotated[
    bool, Opt("--local-dev", help="Allow http and loopback SIS URLs (local stack only).")
]
SecretStdin = Annotated[
    bool, Opt("--secret-stdin", help="Read the secret from stdin's first line, no prompt.")
]


def _connection_body(fields: dict[str, Any], local_dev: bool, secret_stdin: bool) -> dict[str, Any]:
    """The PUT /connection body: the fields given, local_dev when set, and the secret (read
    from stdin or asked for)."""
    body: dict[str, Any] = {k: v for k, v in fields.items() if v is not None}
    if local_dev:
        body["local_dev"] = True
    body["client_secret"] = _secret(secret_stdin)
    return body


def _put_connection(
    ctx: typer.Context, api: AdminApi, body: dict[str, Any], json_out: bool
) -> dict[str, Any]:
    """Saves the connection. When the SIS test fails, prints the API's JSON (with --json) and
    fails with the problems and that nothing was saved."""
    try:
        return api.call("PUT", "/connection", body)
    except ApiError as exc:
        if exc.problems:
            if as_json(ctx, json_out):
                render.print_json(exc.body)
            raise CliFailure(f"{exc}\nnothing was saved; fix the above and connect again") from None
        raise


def _connect_sis(
    ctx: typer.Context, fields: dict[str, Any], local_dev: bool, secret_stdin: bool, json_out: bool
) -> None:
    """The district syncs from the SIS's OneRoster API: the secret is asked for, the API tests
    the token and one read before it saves anything."""
    api = api_of(ctx)  # signed in, or a missing URL or district reported, before the secret
    body = _connection_body(fields, local_dev, secret_stdin)
    answer = _put_connection(ctx, api, body, json_out)
    if as_json(ctx, json_out):
        render.print_json(answer)
        return
    render.out().print(
        f"connected ({answer.get('vendor')}): the SIS answered, "
        f"{answer.get('schools_seen')} school(s) seen; the secret is stored and not shown again"
    )
    for warning in answer.get("warnings") or []:
        render.err().print(f"warning: {warning}", markup=False)


@app.command()
@handled
def connect(
    ctx: typer.Context,
    rostering_url: RosteringUrl = None,
    client_id: ClientId = None,
    csv: CsvSource = False,
    vendor: Vendor = None,
    version: Version = None,
    gradebook_url: GradebookUrl = None,
    token_url: TokenUrl = None,
    auth_mode: AuthMode = None,
    page_size: PageSize = None,
    max_concurrency: MaxConcurrency = None,
    local_dev: LocalDev = False,
    secret_stdin: SecretStdin = False,
    json_out: JsonFlag = False,
) -> None:
    """Connect ("Authorize") the SIS: tests the token and one read before anything is saved.
    With --csv the district syncs from OneRoster CSV packages instead (no URL, no secret)."""
    if csv:
        if rostering_url or client_id:
            raise typer.BadParameter("--csv takes no SIS URL or client id", param_hint="--csv")
        _connect_csv(ctx, json_out)
        return
    if not rostering_url or not client_id:
        raise typer.BadParameter(
            "pass --rostering-url and --client-id (or --csv for CSV packages)",
            param_hint="--rostering-url",
        )
    fields = {
        "vendor": vendor, "version": version, "rostering_base_url": rostering_url,
        "gradebook_base_url": gradebook_url, "token_url": token_url, "auth_mode": auth_mode,
        "client_id": client_id, "page_size": page_size, "max_concurrency": max_concurrency,
    }  # fmt: skip
    _connect_sis(ctx, fields, local_dev, secret_stdin, json_out)


@app.command()
@handled
def schools(
    ctx: typer.Context,
    select: Annotated[
        list[str] | None, Opt(help="Sync only these schools (repeat: --select A --select B).")
    ] = None,
    all_schools: Annotated[bool, Opt("--all", help="Sync every school.")] = False,
    json_out: JsonFlag = False,
) -> None:
    """The SIS's schools (as of the last sync's start) and which ones sync."""
    if select and all_schools:
        raise typer.BadParameter("choose --select ID ... or --all, not both", param_hint="--all")
    api = api_of(ctx)
    if select or all_schools:
        api.call("PATCH", "/settings", {"selected_schools": None if all_schools else select})
    answer = api.call("GET", "/schools")
    _show(as_json(ctx, json_out), answer, lambda: render.schools(answer))


@app.command()
@handled
def sync(
    ctx: typer.Context,
    full: Annotated[bool, Opt("--full/--delta", help="A full sync, or only changes.")] = True,
    dry_run: Annotated[
        bool, Opt("--dry-run", help="Plan only: store the plan, apply nothing.")
    ] = False,
    watch_run: Annotated[
        bool, Opt("--watch", help="Show progress until the run ends; exit by its end.")
    ] = False,
    interval: Annotated[float, Opt(min=0.1, help="Seconds between polls.")] = 1.0,
    json_out: JsonFlag = False,
) -> None:
    """Start a sync now (and with --watch follow it to its end: exit 0, 1 failed, 3 held)."""
    api, json_mode = api_of(ctx), as_json(ctx, json_out)
    started = api.call("POST", "/runs", {"kind": "full" if full else "delta", "dry_run": dry_run})
    run_id = started["run_id"]
    if not watch_run:
        message = f"started run {run_id}; follow it: rostersync run {run_id}"
        _show(json_mode, started, lambda: render.out().print(message))
        return
    status = watch(api, run_id, interval, None if json_mode else render.err())
    finish_run(status, json_mode, holds={})


def finish_run(status: dict[str, Any], json_mode: bool, holds: dict[str, Any]) -> None:
    if json_mode:
        render.print_json(status)
    else:
        render.run(status, holds)
    code = exit_code(status.get("state"))
    if code:
        raise typer.Exit(code)


@app.command()
@handled
def runs(
    ctx: typer.Context,
    state: Annotated[str | None, Opt(help="Only runs in this state (e.g. held, failed).")] = None,
    kind: Annotated[str | None, Opt(help="Only full or delta runs.")] = None,
    limit: Annotated[int, Opt(help="How many, newest first (1-200).")] = 20,
    json_out: JsonFlag = False,
) -> None:
    """The district's runs, newest first."""
    answer = api_of(ctx).call("GET", "/runs", query={"state": state, "kind": kind, "limit": limit})
    _show(as_json(ctx, json_out), answer, lambda: render.runs(answer))


@app.command()
@handled
def run(ctx: typer.Context, run_id: RunId, json_out: JsonFlag = False) -> None:
    """One run: state, counts, per school, held changes (exit 1 failed, 3 held)."""
    api = api_of(ctx)
    status = api.call("GET", f"/runs/{run_id}")
    json_mode = as_json(ctx, json_out)
    held = [s for s, v in (status.get("schools") or {}).items() if v.get("state") == "held"]
    holds = {} if json_mode else {
        s: api.call("GET", f"/runs/{run_id}/schools/{s}", query={"limit": 50}) for s in held
    }  # fmt: skip
    finish_run(status, json_mode, holds)


@app.command()
@handled
def warnings(
    ctx: typer.Context,
    run_id: Annotated[
        str | None, Opt("--run", help="A run's warnings (default: the latest full run's).")
    ] = None,
    kind: Annotated[str | None, Opt(help="Only this warning code.")] = None,
    school: Annotated[str | None, Opt(help="Only this school (its SIS sourcedId).")] = None,
    csv_out: Annotated[bool, Opt("--csv", help="Write CSV to stdout.")] = False,
    json_out: JsonFlag = False,
) -> None:
    """Data warnings with their fix (every page)."""
    path = f"/runs/{run_id}/warnings" if run_id else "/warnings"
    pages = list(api_of(ctx).pages(path, "warnings", {"code": kind, "school_id": school}))
    found = [w for page in pages for w in page.get("warnings") or []]
    shown_run = pages[0].get("run_id") if pages else run_id
    if as_json(ctx, json_out):
        render.print_json({"run_id": shown_run, "warnings": found, "next_cursor": None})
    elif csv_out:
        render.warnings_csv(found)
    else:
        render.warnings(found, shown_run)


def _decide(ctx: typer.Context, run_id: str, decision: str, json_out: bool) -> None:
    answer = api_of(ctx).call("POST", f"/runs/{run_id}/decision", {"decision": decision})
    if as_json(ctx, json_out):
        render.print_json(answer)
        return
    written = answer.get("classes_written", 0)
    render.out().print(f"{decision}d run {run_id}: {written} class(es) written")


@app.command()
@handled
def approve(ctx: typer.Context, run_id: RunId, json_out: JsonFlag = False) -> None:
    """Apply a held run's held removals and owner changes."""
    _decide(ctx, run_id, "approve", json_out)


@app.command()
@handled
def discard(ctx: typer.Context, run_id: RunId, json_out: JsonFlag = False) -> None:
    """Drop a held run's held changes (a full sync brings discarded removals back)."""
    _decide(ctx, run_id, "discard", json_out)


@app.command()
@handled
def cancel(ctx: typer.Context, run_id: RunId, json_out: JsonFlag = False) -> None:
    """Cancel a queued or running run."""
    answer = api_of(ctx).call("POST", f"/runs/{run_id}/cancel")
    _show(as_json(ctx, json_out), answer, lambda: render.out().print(f"run {run_id} cancelled"))


@app.command()
@handled
def export(
    ctx: typer.Context,
    switch: Annotated[Switch, typer.Argument(help="on or off.")],
    json_out: JsonFlag = False,
) -> None:
    """Turn teachers' mark export on or off."""
    enabled = switch is Switch.on
    answer = api_of(ctx).call("PATCH", "/settings", {"export_enabled": enabled})
    message = f"mark export is {switch.value}"
    _show(as_json(ctx, json_out), answer, lambda: render.out().print(message))


@app.command()
@handled
def settings(ctx: typer.Context, json_out: JsonFlag = False) -> None:
    """The connection and settings as stored (never the secret)."""
    answer = api_of(ctx).call("GET", "/settings")
    _show(as_json(ctx, json_out), answer, lambda: render.settings(answer))


@app.command()
@handled
def disconnect(
    ctx: typer.Context,
    yes: Annotated[bool, Opt("--yes", "-y", help="Do not ask for confirmation.")] = False,
    json_out: JsonFlag = False,
) -> None:
    """Stop syncs and exports at once (everything imported is kept; connect again to resume)."""
    api = api_of(ctx)
    if not yes:
        typer.confirm(
            f"Disconnect district {api.district}? Syncs and exports stop; data is kept",
            abort=True,
            err=True,
        )
    answer = api.call("DELETE", "/connection")
    if as_json(ctx, json_out):
        render.print_json(answer)
        return
    cancelled = ", ".join(answer.get("cancelled_runs") or []) or "none"
    render.out().print(f"disconnected; runs cancelled: {cancelled}")
