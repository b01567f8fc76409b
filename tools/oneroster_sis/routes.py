"""The OneRoster route table: (method, URL pattern) → handler, for 1.1 and 1.2.

Both versions serve the same endpoints under their own service bases (``config.BASES``); the path
patterns are the keys of the endpoint tables in ``listings.py``, in werkzeug rule syntax
(``/classes/<class>/students``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Response

from tools.oneroster_sis.access import issue_token
from tools.oneroster_sis.config import BASES, V12
from tools.oneroster_sis.listings import GRADEBOOK, GRADEBOOK_SINGLES, ROSTERING, ROSTERING_SINGLES
from tools.oneroster_sis.reads import (
    CLASS_CATEGORIES_PATH,
    read_class_categories,
    read_collection,
    read_single,
)
from tools.oneroster_sis.state import Call
from tools.oneroster_sis.writes import delete_object, put_object

Handler = Callable[[Call], Response]

# (method, path under the service base, handler), the same in 1.1 and 1.2.
SERVICE_ROUTES: dict[str, list[tuple[str, str, Handler]]] = {
    "rostering": [
        *[("GET", path, read_collection) for path in ROSTERING],
        *[("GET", path, read_single) for path in ROSTERING_SINGLES],
    ],
    "gradebook": [
        *[("GET", path, read_collection) for path in GRADEBOOK],
        *[("GET", path, read_single) for path in GRADEBOOK_SINGLES],
        *[("PUT", path, put_object) for path in GRADEBOOK_SINGLES],
        *[("DELETE", path, delete_object) for path in GRADEBOOK_SINGLES],
    ],
}
# Only 1.2 has per-class categories.
GRADEBOOK_12_ROUTES: list[tuple[str, str, Handler]] = [
    ("GET", CLASS_CATEGORIES_PATH, read_class_categories),
]


@dataclass(frozen=True)
class Route:
    method: str
    pattern: str  # the full URL pattern, vendor prefix included
    handler: Handler
    version: str = ""
    service: str = ""
    path: str = ""  # the pattern under the service base
    public: bool = False  # answered without credentials


def route_table(prefix: str, token_route: str) -> list[Route]:
    """Every OneRoster route of a SIS served under ``prefix``."""
    routes = [Route("POST", token_route, issue_token, public=True)]
    for (version, service), base in BASES.items():
        extra = GRADEBOOK_12_ROUTES if (version, service) == (V12, "gradebook") else []
        routes += [
            Route(method, prefix + base + path, handler, version, service, path)
            for method, path, handler in [*SERVICE_ROUTES[service], *extra]
        ]
    return routes


@functools.lru_cache(maxsize=32)
def url_map(prefix: str, token_route: str) -> Map:
    """The route table as a werkzeug ``Map`` whose endpoints are the ``Route`` objects."""
    rules = [
        Rule(route.pattern, endpoint=route, methods=[route.method])
        for route in route_table(prefix, token_route)
    ]
    return Map(rules, strict_slashes=False, merge_slashes=False)
