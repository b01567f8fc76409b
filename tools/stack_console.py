"""What `python -m tools.localstack up` seeds and prints so an admin can open the web console at
once: the demo district's admin (a staff document written through the emulator's REST API) and
how to connect the local SIS."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Mapping, Sequence

from tools.stack_processes import LOOPBACK, PROJECT_ID, Service

DEFAULT_SIS_CLIENT_ID = "rostersync-local"
DEFAULT_SIS_CLIENT_SECRET = "local-development-secret"  # noqa: S105  (the local SIS's own fixture)


DEMO_DISTRICT = "demo-district"  # the district `make demo` syncs
DEMO_ADMIN = "admin@rusd.example.org"


def seed_demo_admin(firestore_port: int) -> None:
    """Makes DEMO_ADMIN an admin of DEMO_DISTRICT (its staff document, through the emulator's
    REST API), so the console can be signed in to at once after `up`."""
    from shared.ids import safe_id

    doc = f"districts/{DEMO_DISTRICT}/staff/{safe_id(DEMO_ADMIN)}"
    url = (
        f"http://{LOOPBACK}:{firestore_port}/v1/projects/{PROJECT_ID}/databases/(default)/"
        f"documents/{doc}"
    )
    body = json.dumps({"fields": {"role": {"stringValue": "admin"}}}).encode()
    headers = {"Content-Type": "application/json", "Authorization": "Bearer owner"}
    request = urllib.request.Request(url, body, headers, method="PATCH")
    with urllib.request.urlopen(request, timeout=10):  # noqa: S310  (the emulator we started)
        pass


def console_hint(services: Mapping[str, Service], sis_args: Sequence[str]) -> list[str]:
    """What `up` prints so an admin can open the web console and connect the local SIS."""
    svc = services
    base = f"http://{LOOPBACK}:{svc['functions'].port}"
    lines = [
        "",
        f"web console  {base}/console/?district={DEMO_DISTRICT}",
        f'  sign in as {DEMO_ADMIN} on the local issuer\'s page ("Sign in" takes you there);',
        f"  `up` made that email an admin of district {DEMO_DISTRICT} (its staff document).",
    ]
    custom_sis = any(a.startswith(("--prefix", "--token-path")) for a in sis_args)
    if "sis" in svc and not custom_sis:
        sis = f"http://{LOOPBACK}:{svc['sis'].port}"
        lines += [
            "  connect it to the local SIS (vendor Generic OneRoster, OneRoster 1.2):",
            f"    rostering base URL {sis}/ims/oneroster/rostering/v1p2",
            f"    gradebook base URL {sis}/ims/oneroster/gradebook/v1p2",
            f"    token URL {sis}/oauth/token",
            f"    client id {DEFAULT_SIS_CLIENT_ID}, client secret {DEFAULT_SIS_CLIENT_SECRET}",
        ]
    return lines
