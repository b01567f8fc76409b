"""`make install` starts with tools/preflight.py: a machine without the Firestore emulator (or
Java, or Python 3.11's venv) is told at once what to install, before anything is created."""

from __future__ import annotations

import shutil

import pytest

from tools import localstack, preflight


def test_this_machine_has_what_the_suite_needs() -> None:
    assert preflight.problems(tests=True) == []


def test_a_missing_emulator_stops_install_with_the_commands(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(localstack, "gcloud_sdk_root", lambda: None)
    assert preflight.main([]) == 1
    err = capsys.readouterr().err
    assert "sudo apt-get install -y google-cloud-cli google-cloud-cli-firestore-emulator" in err
    assert "https://packages.cloud.google.com/apt cloud-sdk main" in err
    assert "gcloud components install cloud-firestore-emulator" in err


def test_a_missing_java_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    real_which = shutil.which
    monkeypatch.setattr(shutil, "which", lambda name: None if name == "java" else real_which(name))
    assert any("openjdk-17-jre-headless" in p for p in preflight.problems())


@pytest.mark.parametrize(
    ("absent", "command"),
    [
        ({"chromium"}, "sudo apt-get install -y chromium`"),
        ({"chromedriver"}, "sudo apt-get install -y chromium-driver`"),
        ({"chromium", "chromedriver"}, "sudo apt-get install -y chromium chromium-driver`"),
    ],
)
def test_a_missing_browser_is_named_with_the_apt_command(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    absent: set[str],
    command: str,
) -> None:
    real_which = shutil.which
    monkeypatch.setattr(shutil, "which", lambda name: None if name in absent else real_which(name))
    assert preflight.main([]) == 0  # install and the demo need no browser
    assert preflight.main(["--tests"]) == 1
    err = capsys.readouterr().err
    assert command in err
    assert all(name in err for name in absent)
