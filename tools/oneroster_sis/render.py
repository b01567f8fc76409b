"""Turns canonical store records into OneRoster 1.1 or 1.2 JSON objects, with the profile's
quirks (href style, explicit nulls, boolean style)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from tools.oneroster_sis.model import BOOLEAN_FIELDS, ROLE_12_TO_11, fields_of

HrefFor = Callable[[str, str], str]
_ONLY_12_USER_FIELDS = (
    "roles",
    "primaryOrg",
    "userMasterIdentifier",
    "preferredFirstName",
    "preferredMiddleName",
    "preferredLastName",
    "pronouns",
    "userProfiles",
    "resources",
)


@dataclass(frozen=True)
class RenderOptions:
    href_style: Literal["absolute", "relative"] = "absolute"
    explicit_nulls: bool = False
    boolean_style: Literal["string", "bool", "int"] = "string"


def _boolean(value: Any, style: str) -> Any:
    truth = value if isinstance(value, bool) else str(value).strip().lower() in ("true", "1")
    if style == "bool":
        return truth
    if style == "int":
        return int(truth)
    return "true" if truth else "false"


def _with_hrefs(value: Any, href_for: HrefFor) -> Any:
    if isinstance(value, Mapping):
        if "sourcedId" in value and isinstance(value.get("type"), str) and len(value) <= 3:
            return {
                "href": href_for(value["type"], value["sourcedId"]),
                "sourcedId": value["sourcedId"],
                "type": value["type"],
            }
        return {k: _with_hrefs(v, href_for) for k, v in value.items()}
    if isinstance(value, list):
        return [_with_hrefs(v, href_for) for v in value]
    return value


def _user_11(user: dict[str, Any]) -> dict[str, Any]:
    roles = user.get("roles") or []
    primary = next((r for r in roles if r.get("roleType") == "primary"), roles[0] if roles else {})
    role = primary.get("role", "")
    orgs: dict[str, Any] = {}
    for entry in roles:
        org = entry.get("org")
        if isinstance(org, Mapping) and org.get("sourcedId"):
            orgs.setdefault(org["sourcedId"], {"sourcedId": org["sourcedId"], "type": "org"})
    out = {k: v for k, v in user.items() if k not in _ONLY_12_USER_FIELDS}
    out["role"] = ROLE_12_TO_11.get(role, role)
    out["orgs"] = list(orgs.values())
    return out


def render(
    kind: str,
    record: Mapping[str, Any],
    *,
    version: str,
    href_for: HrefFor,
    options: RenderOptions | None = None,
) -> dict[str, Any]:
    options = options or RenderOptions()
    item: dict[str, Any] = {k: v for k, v in record.items() if not k.startswith("_")}
    if kind == "users" and version == "1.1":
        item = _user_11(item)
    for name in BOOLEAN_FIELDS.get(kind, ()):
        if item.get(name) is not None:
            item[name] = _boolean(item[name], options.boolean_style)
    item = {k: _with_hrefs(v, href_for) for k, v in item.items()}
    if options.explicit_nulls:
        for name in sorted(fields_of(kind, version)):
            item.setdefault(name, None)
    return item
