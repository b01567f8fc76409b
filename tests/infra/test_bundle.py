"""The deployable bundle has the shape Cloud Functions needs; its entry points import from it."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from functions.main import HTTP_TARGETS
from tools.bundle import write_bundle

ROOT = Path(__file__).resolve().parents[2]


def test_bundle_has_main_at_root_and_imports_standalone(tmp_path: Path) -> None:
    bundle = write_bundle(tmp_path / "source.zip")
    with zipfile.ZipFile(bundle) as archive:
        names = set(archive.namelist())
        archive.extractall(tmp_path / "src")
    assert {"main.py", "requirements.txt", "shared/__init__.py", "shared/settings.py"} <= names
    assert not any(n.startswith(("tests/", "tools/")) for n in names)
    probe = "import main; fn = main.healthz; print(','.join(main.HTTP_TARGETS))"
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=tmp_path / "src",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ",".join(HTTP_TARGETS)


def test_every_http_target_is_deployed_by_terraform() -> None:
    functions_tf = (ROOT / "infra" / "functions.tf").read_text()
    for target in HTTP_TARGETS:
        assert f"    {target} " in functions_tf, f"{target} missing from infra/functions.tf"


def test_bundle_is_reproducible(tmp_path: Path) -> None:
    first = write_bundle(tmp_path / "a.zip").read_bytes()
    second = write_bundle(tmp_path / "b.zip").read_bytes()
    assert first == second


def test_bundle_pins_every_runtime_dependency(tmp_path: Path) -> None:
    """Production installs the closure of requirements.txt at the versions the tests ran with:
    every line an exact pin from constraints.txt, indirect dependencies included, no dev tools."""
    from tools.bundle import constraints

    with zipfile.ZipFile(write_bundle(tmp_path / "source.zip")) as archive:
        lines = archive.read("requirements.txt").decode().splitlines()
    pins = {name.lower(): f"{name}=={version}" for name, version in constraints().values()}
    entries = [line for line in lines if line and not line.startswith("#")]
    assert all(line in pins.values() for line in entries), entries
    names = {line.split("==")[0].lower().replace("_", "-") for line in entries}
    top_level = {
        line.split("==")[0].lower()
        for line in (ROOT / "requirements.txt").read_text().splitlines()
        if line and not line.startswith("#")
    }
    assert top_level <= names
    assert {"grpcio", "protobuf", "google-api-core", "urllib3", "werkzeug"} <= names  # indirect
    assert not names & {"pytest", "mypy", "ruff", "python-hcl2", "checkov"}
