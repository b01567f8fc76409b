"""The layout rules of docs/architecture.md, checked on every run: no import cycle anywhere,
google.* and requests only in adapters and the OneRoster client's HTTP layers, and shared/ kept
readable (files under 400 lines, functions under 60)."""

from __future__ import annotations

import ast
from pathlib import Path

from tools.import_graph import ROOT, cycles, graph, io_violations

SHARED = ROOT / "shared"


def test_no_module_imports_itself_through_others() -> None:
    assert cycles(graph()) == []


def test_only_adapters_import_google_or_requests() -> None:
    assert io_violations() == []


def test_shared_files_stay_under_400_lines() -> None:
    long = {
        str(p.relative_to(ROOT)): n
        for p in SHARED.rglob("*.py")
        if (n := p.read_text(encoding="utf-8").count("\n")) > 400
    }
    assert long == {}


def test_shared_functions_stay_under_60_lines() -> None:
    long = {}
    for path in SHARED.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > 60:
                    long[f"{path.relative_to(ROOT)}:{node.name}"] = length
    assert long == {}


def test_the_cycle_finder_sees_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_the_layout_test_reads_real_files() -> None:
    assert any(Path(p).name == "service.py" for p in map(str, SHARED.rglob("*.py")))
