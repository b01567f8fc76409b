"""The world the Firestore rules tests run in: infra/firestore.rules loaded into a Firestore
emulator, the signed-in users, the seeded districts, and requests made as those users.

The emulator starts on a free loopback port with the rules loaded through its
``PUT /emulator/v1/projects/{project}:securityRules`` endpoint (a rule that does not compile fails
the test with the compiler's message). Data is seeded with ``Authorization: Bearer owner``,
which bypasses rules; users send unsigned ID tokens (``alg: none``), which the emulator accepts
for rules evaluation.
"""

from __future__ import annotations

import base64
import json
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests

from tools.stack_processes import firestore_command, free_port

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "infra" / "firestore.rules"
PROJECT = "rostersync-rules-test"

TINA = {"email": "tina.teacher@d1.example.org"}  # owns sis-sec-1 and the archived sis-sec-3
COLIN = {"email": "colin+co@d1.example.org"}  # co-teacher of sis-sec-1, removed from sis-sec-2
OTTO = {"email": "otto_o'neil@d1.example.org"}  # owns sis-sec-2
ADA = {"email": "ada.admin@d1.example.org"}  # admin of district d1
DORA = {"email": "dora@d2.example.org"}  # teacher of district d2
NOBODY = {"email": "someone@elsewhere.example.org"}  # signed in, staff nowhere


def safe_id(value: str) -> str:
    from shared.ids import safe_id as encode

    return encode(value)


def value(v: Any) -> dict[str, Any]:
    """A Python value in the Firestore REST encoding."""
    if v is None:
        return {"nullValue": None}
    if isinstance(v, bool):
        return {"booleanValue": v}
    if isinstance(v, int):
        return {"integerValue": str(v)}
    if isinstance(v, float):
        return {"doubleValue": v}
    if isinstance(v, str):
        return {"stringValue": v}
    if isinstance(v, list):
        return {"arrayValue": {"values": [value(x) for x in v]}}
    if isinstance(v, dict):
        return {"mapValue": {"fields": {k: value(x) for k, x in v.items()}}}
    raise TypeError(type(v))


def token(user: dict[str, Any] | None, *, verified: bool = True) -> dict[str, str]:
    """Authorization header for a user: an unsigned Firebase ID token, as the emulator allows."""
    if user is None:
        return {}
    now = int(time.time())

    def part(obj: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    uid = user["email"].split("@")[0]
    claims = {
        "iss": f"https://securetoken.google.com/{PROJECT}",
        "aud": PROJECT,
        "sub": uid,
        "user_id": uid,
        "email": user["email"],
        "email_verified": verified,
        "iat": now,
        "exp": now + 3600,
        "auth_time": now,
        "firebase": {"sign_in_provider": "google.com", "identities": {}},
    }
    return {"Authorization": f"Bearer {part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."}


OWNER = {"Authorization": "Bearer owner"}


class Emulator:
    def __init__(self, base: str) -> None:
        self.base = base
        self.docs = f"{base}/v1/projects/{PROJECT}/databases/(default)/documents"

    def load_rules(self, text: str) -> None:
        response = requests.put(
            f"{self.base}/emulator/v1/projects/{PROJECT}:securityRules",
            json={"rules": {"files": [{"name": "firestore.rules", "content": text}]}},
            timeout=30,
        )
        assert response.status_code == 200, f"the rules do not compile: {response.text}"

    def reset(self) -> None:
        response = requests.delete(self.docs.replace("/v1/", "/emulator/v1/", 1), timeout=30)
        assert response.status_code == 200, response.text

    def seed(self, documents: dict[str, dict[str, Any]]) -> None:
        writes = [
            {
                "update": {
                    "name": f"projects/{PROJECT}/databases/(default)/documents/{path}",
                    "fields": {k: value(v) for k, v in fields.items()},
                }
            }
            for path, fields in documents.items()
        ]
        response = requests.post(
            f"{self.docs}:commit", json={"writes": writes}, headers=OWNER, timeout=30
        )
        assert response.status_code == 200, response.text

    def get(self, path: str, user: dict[str, Any] | None, **kw: Any) -> int:
        return requests.get(
            f"{self.docs}/{path}", headers=token(user, **kw), timeout=30
        ).status_code

    def update(self, path: str, fields: dict[str, Any], user: dict[str, Any] | None) -> int:
        """Updates only the given top-level fields of an existing document."""
        params = [("updateMask.fieldPaths", f) for f in fields] + [
            ("currentDocument.exists", "true")
        ]
        response = requests.patch(
            f"{self.docs}/{path}",
            params=params,
            json={"fields": {k: value(v) for k, v in fields.items()}},
            headers=token(user),
            timeout=30,
        )
        return response.status_code

    def create(self, path: str, fields: dict[str, Any], user: dict[str, Any] | None) -> int:
        response = requests.patch(
            f"{self.docs}/{path}",
            params={"currentDocument.exists": "false"},
            json={"fields": {k: value(v) for k, v in fields.items()}},
            headers=token(user),
            timeout=30,
        )
        return response.status_code

    def delete(self, path: str, user: dict[str, Any] | None) -> int:
        return requests.delete(f"{self.docs}/{path}", headers=token(user), timeout=30).status_code

    def query(
        self, parent: str, collection: str, user: dict[str, Any], where: tuple[str, str] | None
    ) -> tuple[int, list[str]]:
        structured: dict[str, Any] = {"from": [{"collectionId": collection}]}
        if where is not None:
            structured["where"] = {
                "fieldFilter": {
                    "field": {"fieldPath": where[0]},
                    "op": "EQUAL",
                    "value": value(where[1]),
                }
            }
        response = requests.post(
            f"{self.docs}/{parent}:runQuery",
            json={"structuredQuery": structured},
            headers=token(user),
            timeout=30,
        )
        if response.status_code != 200:
            return response.status_code, []
        names = [
            r["document"]["name"].rsplit("/", 1)[1] for r in response.json() if "document" in r
        ]
        return 200, names


@contextmanager
def running_emulator(log_dir: Path) -> Iterator[Emulator]:
    """A Firestore emulator with infra/firestore.rules loaded, stopped on exit; its output is
    logged in log_dir."""
    port = free_port()
    log = log_dir / "emulator.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(firestore_command(port), stdout=out, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(base, timeout=1).text.strip() == "Ok":
                    break
            except requests.RequestException:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the Firestore emulator did not start:\n{log.read_text()[-2000:]}")
            time.sleep(0.1)
        running = Emulator(base)
        running.load_rules(RULES.read_text())
        yield running
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)


def staff_doc(district: str, user: dict[str, Any]) -> str:
    return f"districts/{district}/staff/{safe_id(user['email'])}"


def seed_documents() -> dict[str, dict[str, Any]]:
    sis_owned = ["sis", "origin", "archived", "archived_reason", "owner", "term_label"]
    colin_key = safe_id("t/2")  # a sourcedId with a character safe_id encodes
    return {
        "districts/d1": {"name": "District One", "export_enabled": True},
        "districts/d2": {"name": "District Two", "export_enabled": True},
        staff_doc("d1", TINA): {"role": "teacher", "sis_user_id": "t-1", "account_id": "acc-tina"},
        staff_doc("d1", COLIN): {"role": "teacher", "sis_user_id": "t/2"},
        staff_doc("d1", OTTO): {"role": "teacher", "sis_user_id": "t-9", "account_id": "acc-otto"},
        staff_doc("d1", ADA): {"role": "admin", "account_id": "acc-ada"},
        staff_doc("d2", DORA): {"role": "teacher", "account_id": "acc-dora"},
        "districts/d1/classes/sis-sec-1": {
            "origin": "sis",
            "sis": {"section_id": "sec-1", "school_id": "sch-1", "title": "Algebra I"},
            "sis_owned_fields": sis_owned,
            "term_label": "Fall",
            "name": "Algebra I",
            "name_source": "sis",
            "offer_state": "pending",
            "owner": {"sis_user_id": "t-1", "account_id": "acc-tina"},
            "co_teachers": {colin_key: {"sis_user_id": "t/2", "status": "active", "source": "sis"}},
            "students": {"s-1": {"sis_user_id": "s-1", "status": "active", "source": "sis"}},
            "archived": False,
        },
        "districts/d1/classes/sis-sec-2": {
            "origin": "sis",
            "sis": {"section_id": "sec-2", "school_id": "sch-1", "title": "Biology"},
            "sis_owned_fields": sis_owned,
            "name": "Biology",
            "owner": {"sis_user_id": "t-9", "account_id": "acc-otto"},
            "co_teachers": {colin_key: {"sis_user_id": "t/2", "status": "removed"}},
        },
        "districts/d1/classes/sis-sec-3": {
            "origin": "sis",
            "sis": {"section_id": "sec-3", "school_id": "sch-1", "title": "Old Chemistry"},
            "sis_owned_fields": sis_owned,
            "name": "Old Chemistry",
            "owner": {"sis_user_id": "t-1", "account_id": "acc-tina"},
            "archived": True,
        },
        "districts/d1/classes/sis-sec-1/coursework/a-1": {
            "title": "Quiz 1",
            "max_points": 10,
            "state": "published",
            "export": {"state": "sent", "sis_line_item_id": "li-1"},
        },
        "districts/d1/classes/sis-sec-1/coursework/a-1/marks/s-1": {
            "sis_user_id": "s-1",
            "score": 9,
            "status": "graded",
            "export": {"state": "sent"},
        },
        "districts/d1/classes/sis-sec-1/coursework/a-2": {"title": "Draft", "state": "draft"},
        # District two: the same account id as Tina's, which must not open it to her.
        "districts/d2/classes/sis-sec-1": {
            "origin": "sis",
            "name": "D2 Algebra",
            "owner": {"account_id": "acc-tina"},
        },
        "districts/d2/classes/sis-sec-7": {"origin": "sis", "owner": {"account_id": "acc-dora"}},
        # Sync-only collections: never readable by clients.
        "districts/d1/runs/r-1": {"state": "succeeded"},
        "districts/d1/schools/sch-1/sis_classes/sec-1": {"sourcedId": "sec-1"},
        "districts/d1/accounts/acc-tina": {"match_keys": {"email": TINA["email"]}},
        "districts/d1/account_links/t-1": {"account_id": "acc-tina"},
        "districts/d1/watermarks/sch-1~~classes": {"value": "2026-01-01"},
    }


def seeded(emulator: Emulator) -> Emulator:
    """The emulator emptied and seeded afresh with seed_documents()."""
    emulator.reset()
    emulator.seed(seed_documents())
    return emulator


ALLOWED, DENIED = 200, 403
C1 = "districts/d1/classes/sis-sec-1"
