"""Teachers' changes to one class at the same moment on Firestore, where each change is a
transaction: when a transaction keeps colliding until it runs out of attempts, the teacher is
told 409 problem+json to try again (never a 500), the class holds a change that was answered 200
(or none, when all collided), and trying again succeeds. The handler runs in process on the real
ports of the stack (Firestore emulator, the local issuer's signed ID token), with a store that
gives each transaction a single attempt so the collisions are many."""

from __future__ import annotations

import dataclasses
from concurrent.futures import ThreadPoolExecutor

from shared.adapters.firestore_store import FirestoreStore
from shared.export.teacher_api import handle_teacher
from shared.runtime import Runtime
from shared.settings import Settings
from shared.web.edge import ApiRequest, Response, respond
from tests.classroom.test_teacher_classes_api import OWNER, Seeded
from tests.conftest import SyncHarness, id_token

RENAMES = 10


def test_changes_that_keep_colliding_are_answered_409_try_again(
    sync_harness: SyncHarness,
) -> None:
    seeded = Seeded(sync_harness)
    settings = Settings.from_env(sync_harness.stack.env())
    store = FirestoreStore(sync_harness.db, transaction_attempts=1)
    ports = dataclasses.replace(Runtime(settings).export_ports(), store=store)
    headers = {"Authorization": f"Bearer {id_token(sync_harness.stack, OWNER)}"}
    path = f"/districts/{seeded.district}/classes/sis-sec-1"

    def rename(index: int) -> Response:
        request = ApiRequest("PATCH", path, headers, {"name": f"Room {index}"})
        return respond(lambda: handle_teacher(ports, request))

    with ThreadPoolExecutor(RENAMES) as pool:
        answers = list(pool.map(rename, range(RENAMES)))

    statuses = sorted(status for status, _ in answers)
    assert set(statuses) <= {200, 409}, answers
    busy = [body for status, body in answers if status == 409]
    assert busy, statuses  # ten renames at once with one attempt each: some collide
    for body in busy:
        assert body["type"].endswith("/busy") and "try again" in body["detail"], body
    renamed = {body["class"]["name"] for status, body in answers if status == 200}
    # The class holds a rename that was answered 200, or, when every one collided (the emulator
    # may abort all ten), still its name before: a 409 changed nothing.
    assert seeded.stored()["name"] in (renamed or {"Biology"})
    again = respond(
        lambda: handle_teacher(ports, ApiRequest("PATCH", path, headers, {"name": "Lab"}))
    )
    assert again[0] == 200 and seeded.stored()["name"] == "Lab"  # trying again succeeds
