"""Peak memory of a local service, per stage: the largest VmHWM (peak resident set) of the
processes in the service's process group, and a reset of that peak between stages (writing 5 to
/proc/<pid>/clear_refs, Linux's documented way to reset VmHWM; see proc(5))."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any


def group_processes(group: int) -> Iterator[Path]:
    """/proc entries of the live processes in process group ``group`` (the service's PID:
    gunicorn's master and its worker, or the emulator's JVM)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if os.getpgid(int(entry.name)) == group:
                yield entry
        except OSError:
            continue


def peak_rss_mib(group: int) -> float:
    peak = 0
    for entry in group_processes(group):
        try:
            for line in (entry / "status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]))
        except (OSError, ValueError):
            continue
    return round(peak / 1024, 1)


def reset_peak(group: int) -> None:
    for entry in group_processes(group):
        try:
            (entry / "clear_refs").write_text("5")
        except OSError:
            continue


def with_peak(group: int, stage: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Runs a stage and adds the service's peak RSS during it (``peak_rss_mib``)."""
    reset_peak(group)
    result = stage()
    return {**result, "peak_rss_mib": peak_rss_mib(group)}
