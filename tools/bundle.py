"""Writes build/functions-source.zip, the source Cloud Functions deploys: functions/main.py at the
root (the runtime looks for main.py there), the shared/ package (with the OpenAPI document and the
web console's static files), and a requirements.txt that pins every package the functions need,
directly or not, to the version in constraints.txt, so a build in production installs exactly
what the tests ran against.

    python -m tools.bundle [--out build/functions-source.zip]

The dependency closure is read from the installed packages' metadata (`make bundle` installs the
pinned environment first) and evaluated for the Cloud Functions runtime, Python 3.11 on Linux.
"""

from __future__ import annotations

import argparse
import sys
import zipfile
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXED_TIME = (
    2020,
    1,
    1,
    0,
    0,
    0,
)  # identical inputs give a byte-identical zip (stable object name)
HEADER = (
    "# Written by tools/bundle.py from requirements.txt and constraints.txt: every package the\n"
    "# functions need, directly or not, pinned to the version the tests ran against.\n"
)


class BundleError(RuntimeError):
    """The runtime dependencies cannot be pinned; the message says what to fix."""


def _requirement_lines(path: Path) -> list[str]:
    lines = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            lines.append(line)
    return lines


def constraints(path: Path = ROOT / "constraints.txt") -> dict[str, tuple[str, str]]:
    """Canonical name -> (name as written, pinned version)."""
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    pins: dict[str, tuple[str, str]] = {}
    for line in _requirement_lines(path):
        requirement = Requirement(line)
        specifiers = list(requirement.specifier)
        if len(specifiers) != 1 or specifiers[0].operator != "==":
            raise BundleError(f"constraints.txt: {line!r} is not an exact pin (name==version)")
        pins[canonicalize_name(requirement.name)] = (requirement.name, specifiers[0].version)
    return pins


def pinned_requirements(
    requirements: Path = ROOT / "requirements.txt", pins_file: Path = ROOT / "constraints.txt"
) -> str:
    """requirements.txt's packages and their whole dependency closure, each ``name==version``."""
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name
    from packaging.version import Version

    pins = constraints(pins_file)
    chosen: dict[str, str] = {}
    visited: set[tuple[str, frozenset[str]]] = set()
    todo = [(Requirement(line), "requirements.txt") for line in _requirement_lines(requirements)]
    while todo:
        requirement, wanted_by = todo.pop()
        key = canonicalize_name(requirement.name)
        if key not in pins:
            raise BundleError(
                f"{requirement.name} is needed at runtime (by {wanted_by}) but constraints.txt "
                "does not pin it; add it there"
            )
        name, version = pins[key]
        if not requirement.specifier.contains(Version(version), prereleases=True):
            raise BundleError(
                f"{wanted_by} needs {requirement}, but constraints.txt pins {name}=={version}"
            )
        try:
            installed = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            raise BundleError(f"{name} is not installed; run `make install` first") from None
        if installed.version != version:
            raise BundleError(
                f"{name} {installed.version} is installed but constraints.txt pins {version}; "
                "run `make install`"
            )
        chosen[key] = f"{name}=={version}"
        extras = frozenset(requirement.extras)
        if (key, extras) in visited:
            continue
        visited.add((key, extras))
        for line in installed.requires or []:
            dependency = Requirement(line)
            marker = dependency.marker
            if marker is None or any(marker.evaluate({"extra": e}) for e in extras | {""}):
                todo.append((dependency, f"{name}=={version}"))
    return HEADER + "".join(f"{chosen[key]}\n" for key in sorted(chosen))


def bundle_members() -> list[tuple[str, Path | bytes]]:
    members: list[tuple[str, Path | bytes]] = [
        ("main.py", ROOT / "functions" / "main.py"),
        ("requirements.txt", pinned_requirements().encode("utf-8")),
    ]
    members += [(str(p.relative_to(ROOT)), p) for p in sorted((ROOT / "shared").rglob("*.py"))]
    # The OpenAPI document the functions serve (GET /openapi.yaml).
    contract = ROOT / "shared" / "web" / "openapi.yaml"
    members.append((str(contract.relative_to(ROOT)), contract))
    # The web console's page, scripts and styles (served as they are: no build step).
    console = ROOT / "shared" / "web" / "console"
    members += [
        (p.relative_to(ROOT).as_posix(), p)
        for p in sorted(console.rglob("*"))
        if p.is_file() and p.suffix in {".html", ".js", ".css", ".svg"}
    ]
    return members


def write_bundle(out: Path) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, source in bundle_members():
            info = zipfile.ZipInfo(name, FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, source if isinstance(source, bytes) else source.read_bytes())
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "functions-source.zip")
    args = parser.parse_args()
    try:
        print(write_bundle(args.out))
    except BundleError as exc:
        print(f"bundle: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
