"""Where the CLI finds the API and the caller's ID token: flags or environment first; else the
local stack's state (its functions URL, and tokens minted by its issuer for ``--email``)."""

from __future__ import annotations

import shlex
import subprocess
from collections.abc import Callable
from pathlib import Path

from tools.cli.api import CliFailure

SIGN_IN_HELP = "sign in with --token, --token-command or --email (rostersync --help)"


def stack_functions_url(stack_dir: Path | None) -> str | None:
    """The running local stack's functions URL, or None when its functions do not run."""
    # Imported here (as below): --help and a deployed API never need the local stack's code.
    from tools.localstack import LocalStack

    stack = LocalStack(stack_dir)
    if not stack.running("functions"):
        return None
    return stack.env()["ROSTERSYNC_FUNCTIONS_URL"]


def token_from_command(command: str) -> str:
    """Runs the command (split as a shell would, run without one) and takes its output."""
    argv = shlex.split(command)
    if not argv:
        raise CliFailure("--token-command is empty; e.g. 'gcloud auth print-identity-token'")
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
    except FileNotFoundError:
        raise CliFailure(f"--token-command: {argv[0]!r} is not installed or not on PATH") from None
    except subprocess.TimeoutExpired:
        raise CliFailure(f"--token-command: {argv[0]!r} did not finish in 60 s") from None
    if done.returncode != 0:
        said = (done.stderr.strip().splitlines() or ["(nothing on stderr)"])[-1]
        raise CliFailure(f"--token-command failed (exit {done.returncode}): {said}")
    token = done.stdout.strip()
    if not token:
        raise CliFailure("--token-command printed no token")
    return token


def token_for_email(email: str, stack_dir: Path | None) -> str:
    """An ID token for ``email`` from the running local stack's issuer (local only)."""
    from tools.local_issuer import stack_id_token
    from tools.localstack import LocalStack

    stack = LocalStack(stack_dir)
    if not stack.running("issuer"):
        raise CliFailure(
            f"--email mints a token from the local stack's issuer, and no local stack runs "
            f"(state in {stack.state_dir}): start it with `make up`, or {SIGN_IN_HELP}"
        )
    try:
        return stack_id_token(email, stack.env())
    except OSError as exc:  # requests' errors are OSErrors
        raise CliFailure(f"the local issuer did not answer: {type(exc).__name__}") from None


def token_refresher(
    token: str | None, command: str | None, email: str | None, stack_dir: Path | None
) -> Callable[[], str] | None:
    """How to get a new token when the first one expired: run --token-command again, or mint
    one for --email again; None for a --token given as it is (it cannot be renewed here)."""
    if token:
        return None
    if command:
        return lambda: token_from_command(command)
    if email:
        return lambda: token_for_email(email, stack_dir)
    return None


def resolve_token(
    token: str | None, command: str | None, email: str | None, stack_dir: Path | None
) -> str | None:
    """The first of --token, --token-command, --email that is set; None when none is (the API
    then answers 401 with its sign-in message)."""
    if token:
        return token.strip()
    if command:
        return token_from_command(command)
    if email:
        return token_for_email(email, stack_dir)
    return None
