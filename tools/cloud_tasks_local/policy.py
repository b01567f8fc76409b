"""Queue settings and the dispatch arithmetic Cloud Tasks documents for them. Pure.

Backoff (Cloud Tasks RetryConfig reference): the first retry waits ``min_backoff``; the wait
doubles ``max_doublings`` times, then grows linearly by ``min_backoff * 2**max_doublings``, never
above ``max_backoff`` (min 10s, doublings 3: 10, 20, 40, 80, 160, 240, 300, 300, ...).
A task is given up after ``max_attempts`` deliveries (-1: never).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class QueueConfig:
    name: str  # the short queue id, e.g. "roster-sync"
    max_concurrent: int = 1000
    max_per_second: float = 500.0
    max_attempts: int = 100
    min_backoff: float = 0.1
    max_backoff: float = 3600.0
    max_doublings: int = 16

    @classmethod
    def parse(cls, spec: str) -> QueueConfig:
        """``name[:key=value,...]`` with the keys of this class, e.g.
        ``roster-sync:max_concurrent=5,min_backoff=2``."""
        name, _, rest = spec.partition(":")
        values: dict[str, float | int] = {}
        for part in filter(None, rest.split(",")):
            key, _, raw = part.partition("=")
            if key not in cls.__dataclass_fields__ or key == "name":
                raise ValueError(f"unknown queue setting {key!r} in {spec!r}")
            values[key] = (
                float(raw) if "." in raw or key.endswith(("backoff", "second")) else int(raw)
            )
        return cls(name, **values)  # type: ignore[arg-type]


def backoff(config: QueueConfig, retry: int, scale: float = 1.0) -> float:
    """Seconds to wait before retry number ``retry`` (1 for the first retry)."""
    doublings = min(retry - 1, config.max_doublings)
    step = config.min_backoff * 2**doublings
    wait = step + step * max(0, retry - 1 - config.max_doublings)
    return float(min(wait, config.max_backoff) * scale)


def gives_up(config: QueueConfig, deliveries: int) -> bool:
    return config.max_attempts >= 0 and deliveries >= config.max_attempts
