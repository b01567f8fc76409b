"""Vendor profiles: named bundles of the quirks real SISes show.

The spec behaviour is the OneRoster 1.1 final specification
(https://www.imsglobal.org/oneroster-v11-final-specification) and the official 1.2 OpenAPI files in
``specs/``. The deviations are documented by the vendors and by integrators:

- PowerSchool: the OneRoster plugin's "Maximum Page Size" clamps ``limit``
  (https://support.classlink.com/hc/en-us/articles/360007232513-PowerSchool-API-Activation);
  ``expires_in`` is a string (https://apis.io/examples/powerschool/powerschool-oauth-token-request/).
- Ed-Fi's OneRoster server (github.com/Ed-Fi-Alliance-OSS/edfi-oneroster): ``limit`` clamped to
  500, no paging headers, ``imsx_codeMinor`` as a plain string.
- Aeries: hrefs like ``~/ims/oneroster/v1p1/orgs/894`` and explicit nulls
  (https://support.aeries.com/support/solutions/articles/14000065677).
- Skyward and Follett Aspen: no per-class category listing; Skyward repeats staff rows
  (https://ed.link/docs/providers/oneroster/details, https://ed.link/docs/providers/skyward/details,
  https://ed.link/docs/providers/aspen/details).
- RosterHub (github.com/lepo-project/roster-hub): no paging headers, empty error bodies, newest
  first by default.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from typing import Any


@dataclass(frozen=True)
class Quirks:
    page_clamp: int | None = None  # silently caps `limit` (PowerSchool plugin, Ed-Fi)
    total_count_header: bool = True
    link_header: bool = True
    expires_in_as_string: bool = False  # PowerSchool token responses
    href_style: str = "absolute"  # "relative": Aeries `~/ims/oneroster/v1p1/orgs/894`
    explicit_nulls: bool = False  # Aeries sends absent optional fields as null
    boolean_style: str = "string"  # "bool" or "int": enabledUser/primary as true or 1
    duplicate_staff_rows: bool = False  # Skyward repeats staff rows in user listings
    class_categories: bool = True  # Skyward/Aspen cannot list categories per class
    code_minor_as_string: bool = False  # Ed-Fi sends imsx_CodeMinor as a plain string
    empty_error_bodies: bool = False  # RosterHub answers 4xx with an empty body
    default_order_desc: bool = False  # RosterHub lists newest first unless asked
    ignore_offset: bool = False  # a broken server that always answers the first page


PROFILES: dict[str, Quirks] = {
    "spec": Quirks(),
    "powerschool": Quirks(page_clamp=100, expires_in_as_string=True),
    "edfi": Quirks(
        page_clamp=500, total_count_header=False, link_header=False, code_minor_as_string=True
    ),
    "aeries": Quirks(href_style="relative", explicit_nulls=True),
    "skyward": Quirks(duplicate_staff_rows=True, class_categories=False),
    "aspen": Quirks(class_categories=False),
    "loose-booleans": Quirks(boolean_style="bool"),
    "numeric-booleans": Quirks(boolean_style="int"),
    "rosterhub": Quirks(
        total_count_header=False,
        link_header=False,
        empty_error_bodies=True,
        default_order_desc=True,
    ),
}

_CHOICES = {"href_style": {"absolute", "relative"}, "boolean_style": {"string", "bool", "int"}}


def profile(name: str) -> Quirks:
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(f"unknown profile {name!r}; choose one of {sorted(PROFILES)}") from None


def with_overrides(base: Quirks, overrides: Mapping[str, Any]) -> Quirks:
    """Applies switch overrides from the control API, rejecting unknown names and bad values."""
    known = {f.name: f for f in fields(Quirks)}
    for key, value in overrides.items():
        if key not in known:
            raise ValueError(f"unknown quirk {key!r}; known: {sorted(known)}")
        if key in _CHOICES and value not in _CHOICES[key]:
            raise ValueError(f"quirk {key} must be one of {sorted(_CHOICES[key])}")
        if key == "page_clamp":
            if value is not None and (not isinstance(value, int) or value < 1):
                raise ValueError("quirk page_clamp must be a positive integer or null")
        elif key not in _CHOICES and not isinstance(value, bool):
            raise ValueError(f"quirk {key} must be true or false")
    return replace(base, **dict(overrides))


def describe(quirks: Quirks) -> dict[str, Any]:
    return asdict(quirks)
