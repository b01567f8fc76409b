"""Isolation, endpoint by endpoint: every operation of the OpenAPI document that needs a signed-in
person (sync_admin, export_teacher) is called with each way a token can fail (401), by a teacher
on an admin endpoint (403), by a teacher on another teacher's class (403), and by a caller of
another district (404, the same answer as for a district that does not exist). The routes come
from the document, so a new endpoint is covered as soon as it is documented."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from shared.store import layout
from tests.conftest import id_token
from tests.contract.checker import contract
from tests.functions.conftest import ADMIN, CLASS_ID, DISTRICT, TEACHER, BadInputWorld, client
from tools.local_issuer import create_keys

OTHER_DISTRICT = "other-district"
OTHER_ADMIN = "admin@other-district.example.org"
OTHER_CLASS = "sis-cls-of-another-teacher"
IDS = {
    "district_id": DISTRICT,
    "class_id": CLASS_ID,
    "run_id": "isolation-run",
    "school_id": "sch-1",
    "member_key": "stu-1",
    "package_id": "pkg-1",
}


def _operations(function: str) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), template, op)
        for template, item in contract()["paths"].items()
        if template.startswith(f"/{function}/districts/")
        for method, op in item.items()
        if method in ("get", "post", "put", "patch", "delete")
    ]


ADMIN_OPS = _operations("sync_admin")
TEACHER_OPS = _operations("export_teacher")
CLASS_OPS = [op for op in TEACHER_OPS if "{class_id}" in op[1]]


def _id(op: tuple[str, str, dict[str, Any]]) -> str:
    return f"{op[0]} {op[1]}"


def _resolve(node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        found: Any = contract()
        for part in node["$ref"].removeprefix("#/").split("/"):
            found = found[part]
        node = {**found, **{k: v for k, v in node.items() if k != "$ref"}}
    return node


def example(schema: Any) -> Any:
    """The smallest value a schema accepts, well enough to pass body checks (required fields)."""
    schema = _resolve(schema)
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    for key in ("oneOf", "anyOf", "allOf"):
        if key in schema:
            return example(schema[key][0])
    kind = schema.get("type", "object")
    kind = next(k for k in kind if k != "null") if isinstance(kind, list) else kind
    if kind == "object":
        props = schema.get("properties", {})
        return {name: example(props.get(name, {})) for name in schema.get("required", [])}
    return {"string": "x", "integer": 0, "number": 0, "boolean": False, "array": []}[kind]


def call(
    op: tuple[str, str, dict[str, Any]], headers: dict[str, str], **ids: str
) -> Any:  # the response of the function named by the path's first part
    method, template, operation = op
    function, _, rest = template.lstrip("/").partition("/")
    path = "/" + rest.format(**{**IDS, **ids})
    content = _resolve(operation.get("requestBody") or {}).get("content") or {}
    schema = (content.get("application/json") or {}).get("schema")
    body = example(schema) if schema else None
    return client(function).open(path, method=method, json=body, headers=headers)


@pytest.fixture
def world(seeded: BadInputWorld) -> BadInputWorld:
    """The seeded district, plus another district with its own admin, and a class of another
    teacher in the seeded district."""
    db = seeded.db
    db.document(layout.district(OTHER_DISTRICT)).set({"connected": True})
    db.document(layout.staff(OTHER_DISTRICT, OTHER_ADMIN)).set({"role": "admin"})
    db.document(layout.run(DISTRICT, IDS["run_id"])).set({"state": "succeeded", "kind": "full"})
    db.document(layout.class_doc(DISTRICT, OTHER_CLASS)).set(
        {
            "origin": "sis",
            "sis": {"section_id": "cls-2", "school_id": "sch-1"},
            "owner": {"sis_user_id": "t-2", "account_id": None},
        }
    )
    return seeded


@pytest.fixture(scope="module")
def forged_keys(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return lambda issuer: create_keys(Path(tmp_path_factory.mktemp("forger")), issuer)


BAD_TOKENS = {
    "expired": {"iat": 1_600_000_000, "exp": 1_600_003_600},
    "wrong audience": {"aud": "someone-else"},
    "wrong issuer": {"iss": "https://accounts.example.com"},
}


def _bad_headers(world: BadInputWorld, case: str, forged_keys: Any) -> dict[str, str]:
    if case == "no token":
        return {}
    if case == "bad signature":
        env = world.stack.env()
        keys = forged_keys(env["ROSTERSYNC_ID_TOKEN_ISSUERS"].split(",")[0])
        return {"Authorization": f"Bearer {keys.mint(ADMIN, env['ROSTERSYNC_ID_TOKEN_AUDIENCE'])}"}
    return {"Authorization": f"Bearer {id_token(world.stack, ADMIN, **BAD_TOKENS[case])}"}


@pytest.mark.parametrize("case", ["no token", "bad signature", *BAD_TOKENS])
@pytest.mark.parametrize("op", ADMIN_OPS + TEACHER_OPS, ids=_id)
def test_a_call_without_a_valid_token_is_refused_with_401(
    world: BadInputWorld, forged_keys: Any, op: Any, case: str
) -> None:
    response = call(op, _bad_headers(world, case, forged_keys))
    assert response.status_code == 401, response.get_data(as_text=True)


@pytest.mark.parametrize("op", ADMIN_OPS, ids=_id)
def test_a_teacher_on_an_admin_endpoint_is_refused_with_403(world: BadInputWorld, op: Any) -> None:
    response = call(op, world.headers(TEACHER))
    assert response.status_code == 403, response.get_data(as_text=True)


@pytest.mark.parametrize("op", CLASS_OPS, ids=_id)
def test_a_teacher_on_another_teachers_class_is_refused_with_403(
    world: BadInputWorld, op: Any
) -> None:
    response = call(op, world.headers(TEACHER), class_id=OTHER_CLASS)
    assert response.status_code == 403, response.get_data(as_text=True)


@pytest.mark.parametrize("op", ADMIN_OPS + TEACHER_OPS, ids=_id)
def test_a_caller_of_another_district_gets_404_as_for_no_district(
    world: BadInputWorld, op: Any
) -> None:
    existing = call(op, world.headers(OTHER_ADMIN))
    missing = call(op, world.headers(OTHER_ADMIN), district_id="no-such-district")
    assert existing.status_code == missing.status_code == 404, existing.get_data(as_text=True)
    shown = existing.get_json()["detail"].replace(DISTRICT, "{d}")
    assert shown == missing.get_json()["detail"].replace("no-such-district", "{d}")
