"""What a stage costs the local services besides time, from /proc (see proc(5)):
- peak memory: the largest VmHWM (peak resident set) of the processes in a service's process
  group, reset between stages by writing 5 to /proc/<pid>/clear_refs;
- CPU: the seconds the service's processes ran (utime + stime of /proc/<pid>/stat, in clock
  ticks) during the stage, per service. Two cores give a stage at most twice its seconds."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Mapping
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


def group_files(group: int, name: str) -> Iterator[str]:
    """The text of /proc/<pid>/<name> of each live process in the group (a process that ended
    meanwhile is left out)."""
    for entry in group_processes(group):
        try:
            yield (entry / name).read_text()
        except OSError:
            continue


def _peak_kib(status: str) -> int:
    lines = [line for line in status.splitlines() if line.startswith("VmHWM:")]
    return int(lines[0].split()[1]) if lines else 0


def peak_rss_mib(group: int) -> float:
    return round(
        max((_peak_kib(text) for text in group_files(group, "status")), default=0) / 1024, 1
    )


def reset_peak(group: int) -> None:
    for entry in group_processes(group):
        try:
            (entry / "clear_refs").write_text("5")
        except OSError:
            continue


def _ticks(stat: str) -> int:
    fields = stat.rsplit(")", 1)[1].split()  # the command in parentheses may hold spaces
    return int(fields[11]) + int(fields[12])  # utime and stime: fields 14 and 15 of proc(5)


def cpu_seconds(group: int) -> float:
    """CPU seconds the live processes of the group have used (user and system)."""
    return sum(_ticks(text) for text in group_files(group, "stat")) / os.sysconf("SC_CLK_TCK")


def with_usage(groups: Mapping[str, int], stage: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Runs a stage and adds the functions server's peak RSS during it (``peak_rss_mib``) and
    each service's CPU seconds during it (``cpu_seconds``), with this process's
    (``bench_process``: where the local SIS serves). ``groups``: process group by service
    name, with ``functions``."""
    reset_peak(groups["functions"])
    before = {name: cpu_seconds(group) for name, group in groups.items()}
    own = time.process_time()
    result = stage()
    used = {name: round(cpu_seconds(group) - before[name], 1) for name, group in groups.items()}
    # This process: the local SIS serving the pages, and the bench's own polling and seeding
    used["bench_process"] = round(time.process_time() - own, 1)
    return {**result, "peak_rss_mib": peak_rss_mib(groups["functions"]), "cpu_seconds": used}
