"""Seeded fault injection for the local SIS: 429 (with and without Retry-After), 5xx, slow
responses, malformed JSON and token expiry in the middle of a run, by rate or by script."""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

SCRIPTABLE = (
    "429",
    "429-no-retry-after",
    "500",
    "502",
    "503",
    "slow",
    "malformed",
    "expire-tokens",
)


@dataclass(frozen=True)
class FaultSettings:
    seed: int = 0
    rate_429: float = 0.0
    rate_429_no_retry_after: float = 0.0
    retry_after_seconds: int = 1
    rate_5xx: float = 0.0
    rate_slow: float = 0.0
    slow_seconds: float = 2.0
    rate_malformed: float = 0.0
    expire_tokens_every: int = 0  # expire all tokens on every n-th API request; 0: never


@dataclass(frozen=True)
class Fault:
    kind: str
    status: int | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass
class _Script:
    kind: str
    remaining: int
    path_contains: str
    method: str | None


class FaultInjector:
    """Decides, per request, which fault (if any) the SIS answers with. Reproducible: the same
    settings and the same sequence of requests give the same faults."""

    def __init__(self, settings: FaultSettings | None = None) -> None:
        self._lock = threading.Lock()
        self._scripts: list[_Script] = []
        self.configure(settings or FaultSettings())

    @property
    def settings(self) -> FaultSettings:
        return self._settings

    def configure(self, settings: FaultSettings) -> None:
        with self._lock:
            self._settings = settings
            self._rng = random.Random(settings.seed)
            self._requests = 0
            self._counts: Counter[str] = Counter()

    def script(
        self, kind: str, times: int = 1, path_contains: str = "", method: str | None = None
    ) -> None:
        if kind not in SCRIPTABLE:
            raise ValueError(f"unknown fault kind {kind!r}; one of {list(SCRIPTABLE)}")
        if times < 1:
            raise ValueError("times must be at least 1")
        with self._lock:
            self._scripts.append(
                _Script(kind, times, path_contains, method.upper() if method else None)
            )

    def clear(self) -> None:
        with self._lock:
            self._scripts.clear()

    def counts(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)

    def _make(self, kind: str) -> Fault:
        s = self._settings
        if kind == "429":
            return Fault(kind, 429, {"Retry-After": str(s.retry_after_seconds)})
        if kind == "429-no-retry-after":
            return Fault(kind, 429)
        if kind in ("500", "502", "503"):
            return Fault(kind, int(kind))
        if kind == "slow":
            return Fault(kind, delay=s.slow_seconds)
        return Fault(kind)  # malformed, expire-tokens

    def next_fault(self, method: str, path: str, *, token_request: bool = False) -> Fault | None:
        """The fault for this request. Scripts apply to every request; rates and token expiry
        only to API requests, so a test can always obtain a token."""
        with self._lock:
            scripted = self._scripted_fault(method, path)
            if scripted is not None or token_request:
                return scripted
            return self._drawn_fault()

    def _scripted_fault(self, method: str, path: str) -> Fault | None:
        for scripted in self._scripts:
            if scripted.path_contains in path and scripted.method in (None, method.upper()):
                scripted.remaining -= 1
                if scripted.remaining == 0:
                    self._scripts.remove(scripted)
                self._counts[scripted.kind] += 1
                return self._make(scripted.kind)
        return None

    def _drawn_fault(self) -> Fault | None:
        """Token expiry every n-th API request, else a fault drawn at the configured rates."""
        s = self._settings
        self._requests += 1
        if s.expire_tokens_every and self._requests % s.expire_tokens_every == 0:
            self._counts["expire-tokens"] += 1
            return Fault("expire-tokens")
        draw = self._rng.random()
        for kind, rate in (
            ("429", s.rate_429),
            ("429-no-retry-after", s.rate_429_no_retry_after),
            ("5xx", s.rate_5xx),
            ("slow", s.rate_slow),
            ("malformed", s.rate_malformed),
        ):
            if draw < rate:
                if kind == "5xx":
                    kind = self._rng.choice(("500", "502", "503"))
                self._counts[kind] += 1
                return self._make(kind)
            draw -= rate
        return None


def settings_from_mapping(
    data: Mapping[str, Any], base: FaultSettings | None = None
) -> FaultSettings:
    """Builds settings from the control API's JSON, refusing unknown keys and bad values by name."""
    known = {f.name: f for f in fields(FaultSettings)}
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise ValueError(f"unknown fault settings {unknown}; known: {sorted(known)}")
    values: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"fault setting {key} must be a number")
        if key.startswith("rate_") and not 0.0 <= value <= 1.0:
            raise ValueError(f"fault setting {key} must be between 0 and 1")
        if key in ("seed", "retry_after_seconds", "expire_tokens_every"):
            if int(value) != value or value < 0:
                raise ValueError(f"fault setting {key} must be a whole number ≥ 0")
            value = int(value)
        elif value < 0:
            raise ValueError(f"fault setting {key} must not be negative")
        values[key] = value
    return replace(base or FaultSettings(), **values)
