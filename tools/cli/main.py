"""The `rostersync` command (installed by `make install`): the admin API from a terminal.

    rostersync --district D [--url URL] [--token T | --token-command CMD | --email E] COMMAND

Exit codes: 0 done, 1 failed (an API error, a run that failed or was cancelled), 2 usage,
3 held for review. docs/operations.md#cli."""

from __future__ import annotations

import sys

from tools.cli import commands, upload
from tools.cli.app import app

__all__ = ["app", "commands", "main", "upload"]  # each module registers its commands on app


def main() -> None:
    """The console script: never a traceback, whatever happens."""
    try:
        app()
    except Exception as exc:
        print(f"error: unexpected {type(exc).__name__}: {exc}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
