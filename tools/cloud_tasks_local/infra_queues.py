"""The queues infra/queues.tf declares, as QueueConfig values, so the local service dispatches
with production's settings. Variables resolve to their defaults in infra/variables.tf."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import hcl2

from tools.cloud_tasks_local.policy import QueueConfig

INFRA = Path(__file__).resolve().parents[2] / "infra"


def _load(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        data: dict[str, Any] = hcl2.load(handle)
    return data


def _defaults() -> dict[str, Any]:
    found: dict[str, Any] = {}
    for block in _load(INFRA / "variables.tf").get("variable", []):
        for name, spec in block.items():
            found[name.strip('"')] = spec.get("default")
    return found


def _value(raw: Any, defaults: dict[str, Any]) -> Any:
    if isinstance(raw, str):
        reference = re.fullmatch(r"\$\{var\.(\w+)\}", raw)
        return defaults.get(reference.group(1)) if reference else raw.strip('"')
    return raw


def _seconds(raw: Any) -> float:
    return float(str(raw).rstrip("s"))


def infra_queues() -> list[QueueConfig]:
    defaults = _defaults()
    configs = []
    for block in _load(INFRA / "queues.tf").get("resource", []):
        for queue in block.get('"google_cloud_tasks_queue"', {}).values():
            rate = queue["rate_limits"][0]
            retry = queue["retry_config"][0]
            configs.append(
                QueueConfig(
                    str(_value(queue["name"], defaults)),
                    max_concurrent=int(_value(rate["max_concurrent_dispatches"], defaults)),
                    max_per_second=float(_value(rate["max_dispatches_per_second"], defaults)),
                    max_attempts=int(_value(retry["max_attempts"], defaults)),
                    min_backoff=_seconds(_value(retry["min_backoff"], defaults)),
                    max_backoff=_seconds(_value(retry["max_backoff"], defaults)),
                    max_doublings=int(_value(retry["max_doublings"], defaults)),
                )
            )
    return configs


def as_spec(config: QueueConfig) -> str:
    """The ``--queue`` argument of the server for this queue."""
    fields = {k: getattr(config, k) for k in QueueConfig.__dataclass_fields__ if k != "name"}
    return f"{config.name}:" + ",".join(f"{k}={v}" for k, v in fields.items())
