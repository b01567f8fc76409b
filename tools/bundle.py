"""Writes build/functions-source.zip, the source Cloud Functions deploys: functions/main.py at the
root (the runtime looks for main.py there), the shared/ package and requirements.txt beside it.

    python -m tools.bundle [--out build/functions-source.zip]
"""

from __future__ import annotations

import argparse
import zipfile
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


def bundle_members() -> list[tuple[str, Path]]:
    members = [
        ("main.py", ROOT / "functions" / "main.py"),
        ("requirements.txt", ROOT / "requirements.txt"),
    ]
    members += [(str(p.relative_to(ROOT)), p) for p in sorted((ROOT / "shared").rglob("*.py"))]
    return members


def write_bundle(out: Path) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, path in bundle_members():
            info = zipfile.ZipInfo(name, FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes())
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "functions-source.zip")
    args = parser.parse_args()
    print(write_bundle(args.out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
