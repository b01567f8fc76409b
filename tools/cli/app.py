"""The `rostersync` Typer app: its global options (flags or environment), signing in, and the
one way every command reports a failure (a message on stderr, exit 1, never a traceback)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from tools.cli import render
from tools.cli.api import AdminApi, ApiError, CliFailure
from tools.cli.auth import resolve_token, stack_functions_url, token_refresher

app = typer.Typer(
    name="rostersync",
    help="Connect a district's SIS, sync rosters and review runs through the admin API.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,
)
F = TypeVar("F", bound=Callable[..., Any])
JsonFlag = Annotated[bool, typer.Option("--json", help="Print the API's JSON (for scripts).")]
RunId = Annotated[str, typer.Argument(help="The run's id (rostersync runs lists them).")]


@dataclass
class Options:
    url: str | None
    district: str | None
    token: str | None
    token_command: str | None
    email: str | None
    stack_dir: Path | None
    json: bool


def _options(ctx: typer.Context) -> Options:
    found = ctx.find_object(Options)
    assert found is not None, "the callback sets the options"
    return found


def as_json(ctx: typer.Context, flag: bool) -> bool:
    return flag or _options(ctx).json


def api_of(ctx: typer.Context) -> AdminApi:
    """The admin API of the chosen district, signed in (a missing URL or district is usage)."""
    opts = _options(ctx)
    url = opts.url or stack_functions_url(opts.stack_dir)
    if not url:
        raise typer.BadParameter(
            "no API URL: pass --url (or set ROSTERSYNC_URL), or start the local stack (make up)",
            param_hint="--url",
        )
    if not opts.district:
        raise typer.BadParameter(
            "which district? pass --district (or set ROSTERSYNC_DISTRICT)", param_hint="--district"
        )
    sign_in = (opts.token, opts.token_command, opts.email, opts.stack_dir)
    return AdminApi(url, opts.district, resolve_token(*sign_in), refresh=token_refresher(*sign_in))


def handled(command: F) -> F:
    """Reports a CliFailure in one message on stderr (and the API's JSON with --json), exit 1."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except CliFailure as failure:
            ctx = kwargs.get("ctx")
            if (
                isinstance(failure, ApiError)
                and ctx
                and as_json(ctx, kwargs.get("json_out", False))
            ):
                render.print_json(failure.body)
            render.err().print(f"error: {failure}", markup=False)
            raise typer.Exit(1) from None
        except KeyboardInterrupt:
            render.err().print("interrupted (a run already started goes on: rostersync runs)")
            raise typer.Exit(130) from None

    return wrapper  # type: ignore[return-value]


@app.callback()
def options(
    ctx: typer.Context,
    url: Annotated[
        str | None,
        typer.Option(
            envvar="ROSTERSYNC_URL",
            help="The functions' base URL, e.g. https://REGION-PROJECT.cloudfunctions.net "
            "(default: the running local stack's).",
        ),
    ] = None,
    district: Annotated[
        str | None, typer.Option(envvar="ROSTERSYNC_DISTRICT", help="The district's id.")
    ] = None,
    token: Annotated[
        str | None,
        typer.Option(
            envvar="ROSTERSYNC_TOKEN", help="An ID token (never printed).", show_default=False
        ),
    ] = None,
    token_command: Annotated[
        str | None,
        typer.Option(
            envvar="ROSTERSYNC_TOKEN_COMMAND",
            help="A command that prints an ID token, e.g. 'gcloud auth print-identity-token' "
            "(run without a shell).",
        ),
    ] = None,
    email: Annotated[
        str | None,
        typer.Option(
            envvar="ROSTERSYNC_EMAIL",
            help="Sign in as this email with a token from the local stack's issuer (local only).",
        ),
    ] = None,
    stack_dir: Annotated[
        Path | None,
        typer.Option(
            envvar="ROSTERSYNC_STACK_DIR", help="The local stack's state (default: .stack)."
        ),
    ] = None,
    json_out: JsonFlag = False,
) -> None:
    ctx.obj = Options(url, district, token, token_command, email, stack_dir, json_out)
