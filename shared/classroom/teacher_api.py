"""Teacher HTTP API of classes (docs/http-api.md, "Teacher classes"): list my classes, accept or
decline an offer, rename, add or remove students and co-teachers by hand, undo a hand change,
unlink a hand-made class. Served by the ``export_teacher`` function beside mark export.

A caller who is not staff of the district gets 404 (as for a class that does not exist), a
teacher of the district on another teacher's class 403, an impossible change 409 naming the
state. Every change answers the class as it is after the change."""

from __future__ import annotations

import unicodedata
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from shared.classroom import links, offers, roster_changes
from shared.classroom.access import Actor, district_actor, visible_class
from shared.classroom.class_list import teacher_classes
from shared.classroom.roster_changes import Group
from shared.classroom.views import CLASS_STATES, class_detail
from shared.errors import InvalidInput
from shared.export.ports import ExportPorts
from shared.identity import Caller
from shared.ids import MAX_SOURCED_ID_BYTES, from_safe_id
from shared.web.edge import ApiRequest, Response, Routes

MAX_NAME = 200


class RenameRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=MAX_NAME)

    @field_validator("name")
    @classmethod
    def _printable(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("send a name with at least one visible character")
        if any(unicodedata.category(ch).startswith("C") for ch in value):
            raise ValueError("a class name cannot hold control characters; remove them")
        return value


def _user_id(value: str) -> str:
    if not value.strip() or value != value.strip():
        raise ValueError("send the member's SIS sourcedId without surrounding spaces")
    if len(value.encode("utf-8")) > MAX_SOURCED_ID_BYTES:
        raise ValueError(f"an SIS user id has at most {MAX_SOURCED_ID_BYTES} bytes")
    return value


class MemberRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sis_user_id: str = Field(min_length=1, max_length=MAX_SOURCED_ID_BYTES)

    _check = field_validator("sis_user_id")(_user_id)


class UndoRequest(BaseModel):
    """Which hand change to undo: a rename, or one member's hand add or removal."""

    model_config = ConfigDict(extra="forbid")
    change: Literal["rename", "students", "co_teachers"]
    sis_user_id: str | None = Field(default=None, min_length=1, max_length=MAX_SOURCED_ID_BYTES)

    @field_validator("sis_user_id")
    @classmethod
    def _fits(cls, value: str | None) -> str | None:
        return None if value is None else _user_id(value)


def _answer(ports: ExportPorts, actor: Actor, class_id: str, changed: bool) -> Response:
    doc = visible_class(ports.store, actor, class_id)
    return 200, {"changed": changed, "class": class_detail(class_id, doc)}


def list_classes(ports: ExportPorts, request: ApiRequest, actor: Actor) -> Response:
    wanted = request.query.get("state")
    if wanted is not None and wanted not in CLASS_STATES:
        raise InvalidInput(f"state: use one of {', '.join(CLASS_STATES)}, or leave it out for all")
    return 200, {"classes": teacher_classes(ports.store, actor, wanted)}


def show_class(ports: ExportPorts, request: ApiRequest, actor: Actor, class_id: str) -> Response:
    return 200, {"class": class_detail(class_id, visible_class(ports.store, actor, class_id))}


def accept(ports: ExportPorts, request: ApiRequest, actor: Actor, class_id: str) -> Response:
    changed = offers.accept(ports.store, actor, class_id, ports.clock())
    return _answer(ports, actor, class_id, changed)


def decline(ports: ExportPorts, request: ApiRequest, actor: Actor, class_id: str) -> Response:
    changed = offers.decline(ports.store, actor, class_id, ports.clock())
    return _answer(ports, actor, class_id, changed)


def rename(ports: ExportPorts, request: ApiRequest, actor: Actor, class_id: str) -> Response:
    body = RenameRequest.model_validate(request.body or {})
    changed = offers.rename(ports.store, actor, class_id, body.name, ports.clock())
    return _answer(ports, actor, class_id, changed)


def _add(group: Group) -> Any:
    def add(ports: ExportPorts, request: ApiRequest, actor: Actor, class_id: str) -> Response:
        body = MemberRequest.model_validate(request.body or {})
        now = ports.clock()
        changed = roster_changes.add_member(
            ports.store, actor, class_id, group, body.sis_user_id, now
        )
        return _answer(ports, actor, class_id, changed)

    return add


def sourced_id_of(member_key: str) -> str:
    """A member in a path is named by its key in the class (``safe_id`` of the sourcedId), which
    for ids of letters, digits and ``-`` is the sourcedId itself."""
    try:
        return from_safe_id(member_key)
    except (UnicodeDecodeError, ValueError):
        raise InvalidInput(
            f"{member_key!r} is not a member key; send the sourcedId, with characters other "
            "than letters, digits and '-' written as ~XX (UTF-8 hex)"
        ) from None


def _remove(group: Group) -> Any:
    def remove(
        ports: ExportPorts, request: ApiRequest, actor: Actor, class_id: str, user_id: str
    ) -> Response:
        now, member = ports.clock(), sourced_id_of(user_id)
        changed = roster_changes.remove_member(ports.store, actor, class_id, group, member, now)
        return _answer(ports, actor, class_id, changed)

    return remove


def undo(ports: ExportPorts, request: ApiRequest, actor: Actor, class_id: str) -> Response:
    body = UndoRequest.model_validate(request.body or {})
    now, store = ports.clock(), ports.store
    if body.change == "rename":
        changed = offers.undo_rename(store, actor, class_id, now)
    elif body.sis_user_id is None:
        raise InvalidInput(
            f"sis_user_id: name the member whose hand change to undo ({body.change})"
        )
    else:
        changed = roster_changes.undo_member_change(
            store, actor, class_id, body.change, body.sis_user_id, now
        )
    return _answer(ports, actor, class_id, changed)


def unlink(ports: ExportPorts, request: ApiRequest, actor: Actor, class_id: str) -> Response:
    changed = links.unlink(ports.store, actor, class_id, ports.clock())
    return _answer(ports, actor, class_id, changed)


_CLASS = "/districts/<district_id>/classes/<class_id>"
ROUTES = Routes(
    {
        ("GET", "/districts/<district_id>/classes"): list_classes,
        ("GET", _CLASS): show_class,
        ("POST", f"{_CLASS}/accept"): accept,
        ("POST", f"{_CLASS}/decline"): decline,
        ("PATCH", _CLASS): rename,
        ("POST", f"{_CLASS}/students"): _add("students"),
        ("DELETE", f"{_CLASS}/students/<user_id>"): _remove("students"),
        ("POST", f"{_CLASS}/co_teachers"): _add("co_teachers"),
        ("DELETE", f"{_CLASS}/co_teachers/<user_id>"): _remove("co_teachers"),
        ("POST", f"{_CLASS}/changes/undo"): undo,
        ("DELETE", f"{_CLASS}/link"): unlink,
    }
)


def handles(request: ApiRequest) -> bool:
    """True when the request is one of these routes (else it is mark export's)."""
    try:
        ROUTES.match(request)
    except Exception:
        return False
    return True


def handle_classes(ports: ExportPorts, request: ApiRequest, caller: Caller) -> Response:
    endpoint, args = ROUTES.match(request)
    district_id = args.pop("district_id")
    actor = district_actor(ports.store, district_id, caller)
    return endpoint(ports, request, actor, **args)
