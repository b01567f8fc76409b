"""docs/csv-packages.md lists every CSV row problem code with its severity, meaning and fix."""

from __future__ import annotations

from pathlib import Path

from shared.csvpackage import CSV_PROBLEM_CODES

DOC = Path(__file__).resolve().parents[2] / "docs" / "csv-packages.md"


def test_the_doc_lists_every_code_as_the_table_says() -> None:
    text = DOC.read_text(encoding="utf-8")
    for code, (severity, meaning, fix) in CSV_PROBLEM_CODES.items():
        assert f"| `{code}` | {severity} | {meaning} | {fix} |" in text, code
