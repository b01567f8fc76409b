"""What `make install` checks before it creates anything: the tools the suite needs that the
package registries (PyPI, Debian, npm) cannot provide or that pip cannot install. Each missing one
is named with the exact command that installs it, and nothing else runs.

    python3.11 -m tools.preflight            (make install: Python, Java, the emulator)
    python3.11 -m tools.preflight --tests    (make test: also Chromium and its driver)

Runs on the system interpreter before any virtual environment exists, so it uses the standard
library only; the emulator lookup is tools.localstack's own (the same search the tests use).
"""

from __future__ import annotations

import shutil
import sys

from tools import localstack

# Google's apt repository, as https://cloud.google.com/sdk/docs/install describes it.
GOOGLE_APT = "https://packages.cloud.google.com/apt"
KEYRING = "/usr/share/keyrings/cloud.google.gpg"
DEBIAN_GCLOUD = "\n".join(
    [
        "    sudo apt-get update && sudo apt-get install -y "
        "apt-transport-https ca-certificates gnupg curl",
        f"    curl -fsSL {GOOGLE_APT}/doc/apt-key.gpg | sudo gpg --dearmor -o {KEYRING}",
        f'    echo "deb [signed-by={KEYRING}] {GOOGLE_APT} cloud-sdk main" '
        "| sudo tee /etc/apt/sources.list.d/google-cloud-sdk.list",
        "    sudo apt-get update && sudo apt-get install -y "
        "google-cloud-cli google-cloud-cli-firestore-emulator",
    ]
)

# The browser tests (tests/console/) drive Debian's Chromium: (command, Debian package).
BROWSER = (("chromium", "chromium"), ("chromedriver", "chromium-driver"))

OTHER_GCLOUD = """\
    install the Google Cloud CLI (https://cloud.google.com/sdk/docs/install), then
    gcloud components install cloud-firestore-emulator"""


def problems(*, tests: bool = False) -> list[str]:
    """What this machine lacks; ``tests`` adds what only `make test` needs (the browser)."""
    found = []
    if sys.version_info[:2] != (3, 11):
        found.append(
            f"Python 3.11 is required, this is {sys.version.split()[0]}: on Debian 12 "
            "`sudo apt-get install -y python3.11 python3.11-venv`, elsewhere pyenv; then "
            "`make install PYTHON=/path/to/python3.11`."
        )
    else:
        try:
            import ensurepip  # noqa: F401  (venv needs it; Debian ships it in python3.11-venv)
        except ImportError:
            found.append(
                "Python 3.11 cannot create virtual environments: "
                "`sudo apt-get install -y python3.11-venv`."
            )
    if shutil.which("java") is None:
        found.append(
            "Java 17 runs the Firestore emulator and was not found: "
            "`sudo apt-get install -y openjdk-17-jre-headless`."
        )
    if tests:
        found.extend(browser_problems())
    if localstack.gcloud_sdk_root() is None:
        found.append(
            "The Firestore emulator (Google Cloud CLI component cloud-firestore-emulator) was "
            "not found. It is not in Debian's own repositories or on PyPI/npm; install it from "
            "Google:\n  Debian/Ubuntu (Google's apt repository):\n"
            f"{DEBIAN_GCLOUD}\n  Other systems:\n{OTHER_GCLOUD}\n"
            "  (A CLI installed elsewhere is found through `gcloud` on PATH or CLOUDSDK_ROOT_DIR.)"
        )
    return found


def browser_problems() -> list[str]:
    """Chromium and its driver, named with the Debian packages that install the missing ones."""
    missing = [(name, package) for name, package in BROWSER if shutil.which(name) is None]
    if not missing:
        return []
    names = " and ".join(name for name, _ in missing)
    packages = " ".join(package for _, package in missing)
    return [
        f"{names} not found (the web console's browser tests drive Debian's Chromium through "
        f"chromium-driver): `sudo apt-get install -y {packages}`."
    ]


def main(argv: list[str] | None = None) -> int:
    tests = "--tests" in (sys.argv[1:] if argv is None else argv)
    found = problems(tests=tests)
    for problem in found:
        print(f"preflight: {problem}", file=sys.stderr)
    if found:
        print("preflight: install the above, then run `make install` again.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
