"""What a running local SIS holds (data, config, auth, faults, the logs tests read back), and
``Call``: one matched OneRoster request as its handler sees it."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from werkzeug.wrappers import Request, Response

from tools.oneroster_sis.auth import OAuth1Verifier, TokenIssuer
from tools.oneroster_sis.config import SisConfig
from tools.oneroster_sis.faults import Fault, FaultInjector
from tools.oneroster_sis.listings import Indexes
from tools.oneroster_sis.store import Store

Record = dict[str, Any]
LISTING_CACHE_SIZE = 64


class SisState:
    """The server state shared by the OneRoster API and the control API."""

    def __init__(
        self,
        store: Store,
        clients: Mapping[str, str],
        config: SisConfig | None = None,
        faults: FaultInjector | None = None,
    ) -> None:
        self.store = store
        self.config = config or SisConfig()
        self.indexes = Indexes(store)
        self.issuer = TokenIssuer(clients)
        self.oauth1 = OAuth1Verifier(clients)
        self.faults = faults or FaultInjector()
        self.request_log: deque[dict[str, Any]] = deque(maxlen=500_000)
        self.writes: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._listing_cache: OrderedDict[tuple[Any, ...], list[Record]] = OrderedDict()
        self.apply_config(self.config)

    def apply_config(self, config: SisConfig) -> None:
        self.config = config
        self.issuer.expires_in_as_string = config.quirks.expires_in_as_string
        with self._lock:
            self._listing_cache.clear()

    def cached_listing(
        self, key: tuple[Any, ...], build: Callable[[], list[Record]]
    ) -> list[Record]:
        """The records of one filtered, sorted listing; the last few are kept (LRU)."""
        with self._lock:
            cached = self._listing_cache.get(key)
            if cached is not None:
                self._listing_cache.move_to_end(key)
                return cached
        records = build()
        with self._lock:
            self._listing_cache[key] = records
            while len(self._listing_cache) > LISTING_CACHE_SIZE:
                self._listing_cache.popitem(last=False)
        return records

    def record_write(
        self,
        request: Request,
        kind: str,
        sourced_id: str,
        obj: dict[str, Any] | None,
        status: int,
        problems: list[str],
    ) -> None:
        entry = {
            "method": request.method,
            "kind": kind,
            "sourcedId": sourced_id,
            "status": status,
            "body": obj,
            "problems": problems,
            "at": time.time(),
        }
        with self._lock:
            self.writes.append(entry)

    def log_request(
        self, request: Request, response: Response, fault: Fault | None, started: float
    ) -> None:
        self.request_log.append(
            {
                "method": request.method,
                "path": request.path,
                "params": {
                    k: ("…" if k.startswith("oauth_") else v) for k, v in request.args.items()
                },
                "status": response.status_code,
                "fault": fault.kind if fault else None,
                "auth": _auth_scheme(request),
                "user_agent": request.headers.get("User-Agent", ""),
                "ms": round((time.monotonic() - started) * 1000, 2),
            }
        )


def _auth_scheme(request: Request) -> str:
    authorization = request.headers.get("Authorization", "")
    if authorization:
        return authorization.split(" ", 1)[0].lower()
    return "oauth" if "oauth_signature" in request.args else "none"


@dataclass(frozen=True)
class Call:
    """One matched OneRoster request, as its handler sees it."""

    sis: SisState
    request: Request
    version: str  # "1.1" or "1.2"
    service: str  # "rostering" or "gradebook"
    path: str  # the endpoint under its service base: a key of the tables in listings.py
    args: dict[str, str]  # the path's variables, e.g. {"class": "cls-000001"}
