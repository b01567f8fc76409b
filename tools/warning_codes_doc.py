"""Renders the table of data-warning codes (shared/sync/warning_codes.py) into docs/firestore.md,
between the marker comments. ``python -m tools.warning_codes_doc`` rewrites the table;
``--check`` exits 1 when the doc differs from the code's table (tests/unit runs the check)."""

from __future__ import annotations

import sys
from pathlib import Path

from shared.sync.warning_codes import markdown_table

DOC = Path(__file__).resolve().parent.parent / "docs" / "firestore.md"
BEGIN = "<!-- warning-codes:begin (python -m tools.warning_codes_doc) -->"
END = "<!-- warning-codes:end -->"


def rendered(text: str, indent: str = "  ") -> str:
    """``text`` with the table between the markers replaced by the code's table."""
    head, found, rest = text.partition(BEGIN)
    _, found_end, tail = rest.partition(END)
    if not (found and found_end):
        raise SystemExit(f"{DOC}: the markers {BEGIN!r} and {END!r} are missing")
    table = "".join(f"{indent}{line}\n" for line in markdown_table().splitlines())
    return f"{head}{BEGIN}\n\n{table}\n{indent}{END}{tail}"


def main(argv: list[str]) -> int:
    text = DOC.read_text(encoding="utf-8")
    wanted = rendered(text)
    if "--check" in argv:
        if wanted != text:
            print(f"{DOC}: the warning codes differ; run python -m tools.warning_codes_doc")
            return 1
        return 0
    DOC.write_text(wanted, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
