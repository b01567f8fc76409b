"""Lists import cycles among the project's own modules (functions, shared, tools, bench, tests).

    python -m tools.import_graph            # prints each cycle; exits 1 when there is one
    python -m tools.import_graph --rules    # also checks which packages may import google.* etc.

Imports inside functions count too: a cycle hidden in a function body is still a cycle.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("functions", "shared", "tools", "bench", "tests")
# Only adapters and the OneRoster client's HTTP layers may import these.
IO_LIBRARIES = ("google", "requests")
IO_ALLOWED = (
    "shared.adapters",
    "shared.oneroster.transport",
    "shared.oneroster.auth",
    "shared.oneroster.urlsafety",
)


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            found[module_name(path)] = path
    return found


def imports_of(path: Path, name: str) -> Iterator[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)


def graph() -> dict[str, set[str]]:
    known = modules()
    edges: dict[str, set[str]] = {}
    for name, path in known.items():
        targets = {t for t in imports_of(path, name) if t in known and t != name}
        edges[name] = targets
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(edges[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(10_000)
    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def io_violations() -> list[str]:
    problems = []
    for name, path in modules().items():
        if not name.startswith("shared") or name.startswith(IO_ALLOWED):
            continue
        for target in set(imports_of(path, name)):
            if target.split(".")[0] in IO_LIBRARIES:
                problems.append(f"{name} imports {target}")
    return sorted(problems)


def main(argv: list[str]) -> int:
    found = cycles(graph())
    for component in found:
        print("import cycle:", " <-> ".join(component))
    problems = io_violations() if "--rules" in argv else []
    for problem in problems:
        print("outside adapters:", problem)
    if not found and not problems:
        print(
            f"no import cycle among {len(graph())} modules"
            + (", I/O libraries only in adapters" if "--rules" in argv else "")
        )
    return 1 if found or problems else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
