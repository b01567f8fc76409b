"""Property-based fuzzing of every operation of the OpenAPI document (shared/web/openapi.yaml)
with schemathesis, in process: the six functions mounted under their names in one WSGI app (as
the local stack serves them), signed-in callers (an admin for sync_admin, a teacher for
export_teacher, the task service account for task handlers), and a seeded district whose task
queue keeps tasks and whose SIS is never reached. Each generated call is sent as generated and
again with the seeded district's ids, so both the refusals and the handlers are exercised.
Checks: no 5xx, every status documented, the media type and the body as documented."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from pydantic import SecretStr
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.wrappers import Response as WerkzeugResponse

from shared.oneroster.client import ConnectionCheck
from shared.oneroster.errors import TransientError
from shared.runtime import runtime
from shared.store import layout
from tests.conftest import task_headers
from tests.contract.checker import TARGETS, contract
from tests.functions.conftest import ADMIN, CLASS_ID, DISTRICT, TEACHER, BadInputWorld, client

SCHEMA = schemathesis.openapi.from_dict(contract())
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
RUN_ID = "fuzz-run"
SEEDED_IDS = {"district_id": DISTRICT, "class_id": CLASS_ID, "run_id": RUN_ID}


class NoSis:
    """The SIS clients of the fuzz run: a connection test fails, anything else is transient."""

    def check_connection(self, settings: Any, secret: SecretStr) -> ConnectionCheck:
        return ConnectionCheck(ok=False, problems=("the fuzz run reaches no SIS",), schools_seen=0)

    def forget(self, district_id: str) -> None:
        return None

    def client_for(self, district: Any) -> Any:
        raise TransientError("the fuzz run reaches no SIS")


def _no_function(environ: Any, start_response: Any) -> Any:
    return WerkzeugResponse("no such function", status=404)(environ, start_response)


def _mounted(app: Any) -> Any:
    """A function as its URL reaches it: the path after its name, "/" when there is none."""

    def wsgi(environ: dict[str, Any], start_response: Any) -> Any:
        environ["PATH_INFO"] = environ.get("PATH_INFO") or "/"
        return app(environ, start_response)

    return wsgi


APP = DispatcherMiddleware(
    _no_function, {f"/{target}": _mounted(client(target).application) for target in TARGETS}
)


@pytest.fixture
def fuzz_world(seeded: BadInputWorld) -> Iterator[BadInputWorld]:
    """The seeded district with one finished run, and no SIS behind it."""
    seeded.db.document(layout.run(DISTRICT, RUN_ID)).set({"state": "succeeded", "kind": "full"})
    state = runtime().__dict__
    saved = state.get("sis")
    state["sis"] = NoSis()
    yield seeded
    if saved is None:
        state.pop("sis", None)
    else:
        state["sis"] = saved


def _headers(world: BadInputWorld, path: str) -> dict[str, str]:
    target = path.strip("/").split("/")[0]
    if path.endswith("/openapi.yaml") or target == "healthz":
        return {}
    if target in ("sync_task", "sync_schedule", "export_task", "csv_landed"):
        return task_headers(world.stack, target)
    return {"Authorization": world.headers(ADMIN if target == "sync_admin" else TEACHER)[
        "Authorization"
    ]}  # fmt: skip


@SCHEMA.parametrize()
@settings(
    max_examples=6,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_answers_as_documented_and_never_with_a_server_error(
    fuzz_world: BadInputWorld, case: Any
) -> None:
    headers = _headers(fuzz_world, case.operation.path)
    case.call_and_validate(app=APP, headers=headers, checks=CHECKS)
    if case.path_parameters:
        case.path_parameters = {k: SEEDED_IDS.get(k, v) for k, v in case.path_parameters.items()}
        case.call_and_validate(app=APP, headers=headers, checks=CHECKS)
