"""Random calls to the admin and teacher functions (functions-framework's create_app against the
Firestore emulator): ids Firestore cannot store, every method, bodies that are nested, huge, not
JSON, null, or carry NaN and Infinity, from admins, teachers, strangers and nobody. Whatever
arrives, the answer is never a 5xx (issue 16, row 10)."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.functions.conftest import ADMIN, CLASS_ID, DISTRICT, STRANGER, TEACHER, client

ODD_IDS = [".", "..", "__x__", "__", "_", " ", "a" * 1600, "x~" * 800, "a.b", "é", "%2E%2E", "-"]
REAL_IDS = [DISTRICT, CLASS_ID, "r1"]
ids = st.one_of(
    st.sampled_from(REAL_IDS),
    st.sampled_from(REAL_IDS),
    st.sampled_from(ODD_IDS),
    st.text(alphabet=st.characters(blacklist_categories=["Cs"]), min_size=1, max_size=30),
)
ADMIN_PATHS = [
    "/districts/{d}/runs",
    "/districts/{d}/runs/{r}",
    "/districts/{d}/runs/{r}/decision",
    "/districts/{d}/connection",
    "/districts/{d}/settings",
]
TEACHER_PATHS = ["/districts/{d}/classes/{c}/export", "/districts/{d}/classes/{c}/link"]

numbers = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, -1, 0.5, 1e308, -1e-308]),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    numbers,
    st.text(max_size=20),
    st.sampled_from(["no", "false", "0", "yes", ""]),
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=16,
)
plausible = st.fixed_dictionaries(
    {},
    optional={
        "kind": st.sampled_from(["full", "delta", "weekly"]),
        "dry_run": st.sampled_from([True, False, "no", 1]),
        "decision": st.sampled_from(["approve", "discard", "maybe"]),
        "section_id": st.sampled_from(["cls-1", "", "s" * 500]) | st.text(max_size=10),
        "selected_schools": st.lists(st.text(max_size=8), max_size=3) | scalars,
        "guards": st.fixed_dictionaries(
            {}, optional={"max_fraction": numbers, "max_count": numbers}
        )
        | scalars,
        "accounts": st.fixed_dictionaries(
            {}, optional={"create_accounts": scalars, "match_key": st.sampled_from(["email", "x"])}
        )
        | scalars,
        "schedule": st.fixed_dictionaries(
            {},
            optional={
                "timezone": st.sampled_from(["UTC", "Mars/Base", "", "../etc"]),
                "window_start_hour": numbers,
                "enabled": scalars,
            },
        ),
        "export_enabled": scalars,
        "vendor": st.sampled_from(["infinite-campus", "generic", "nope"]) | scalars,
        "version": st.sampled_from(["1.1", "1.2", "9"]) | scalars,
        "client_secret": scalars,
        "page_size": numbers,
    },
)


class Big(bytes):
    """A body too large to print in a falsifying example: shown by its name."""

    name: str

    def __new__(cls, name: str, data: bytes) -> Big:
        made = super().__new__(cls, data)
        made.name = name
        return made

    def __repr__(self) -> str:
        return f"<{self.name}, {len(self)} bytes>"


BIG_BODIES = [
    Big("deep list", b"[" * 50_000 + b"]" * 50_000),
    Big("deep object", b'{"a":' * 5_000 + b"1" + b"}" * 5_000),
    Big(
        "huge settings",
        b'{"selected_schools": [' + b",".join(b'"sch-%07d"' % n for n in range(30_000)) + b"]}",
    ),
]
as_json = st.builds(lambda v: json.dumps(v, allow_nan=True).encode(), plausible)
raw_bodies = st.one_of(
    st.none(),
    as_json,
    as_json,
    st.binary(max_size=64),
    st.sampled_from(
        [b"null", b"NaN", b"Infinity", b"-Infinity", b"[]", b"0", b'"x"', b"{", *BIG_BODIES]
    ),
    st.builds(lambda v: json.dumps(v, allow_nan=True).encode(), json_values | plausible),
)
callers = st.sampled_from([ADMIN, ADMIN, TEACHER, TEACHER, STRANGER, None, "garbage"])


ROUTES = [
    ("sync_admin", m, p)
    for m, p in [
        ("POST", ADMIN_PATHS[0]),
        ("GET", ADMIN_PATHS[1]),
        ("POST", ADMIN_PATHS[2]),
        ("PUT", ADMIN_PATHS[3]),
        ("PATCH", ADMIN_PATHS[4]),
    ]
] + [
    ("export_teacher", m, p)
    for m, p in [("POST", TEACHER_PATHS[0]), ("GET", TEACHER_PATHS[0]), ("PUT", TEACHER_PATHS[1])]
]


@st.composite
def calls(draw: Any) -> tuple[str, str, str]:
    """A route with its own method most of the time; any method on any route otherwise."""
    target, method, template = draw(st.sampled_from(ROUTES))
    if draw(st.integers(0, 3)) == 0:
        method = draw(st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE"]))
    return target, template.format(d=draw(ids), r=draw(ids), c=draw(ids)), method


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@given(call=calls(), body=raw_bodies, caller=callers)
def test_no_malformed_call_is_answered_with_a_server_error(
    seeded, call: tuple[str, str, str], body: bytes | None, caller: str | None
) -> None:
    target, path, method = call
    response = client(target).open(path, method=method, data=body, headers=seeded.headers(caller))
    assert response.status_code < 500, response.get_data(as_text=True)
