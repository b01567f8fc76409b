"""The bench's CPU accounting: a process group's CPU seconds grow with work done, and the report
shows each service's seconds, and the bench's own process (the local SIS), beside what the cores
offered in the stage."""

from __future__ import annotations

import os

from bench.report import cpu_table
from bench.usage import cpu_seconds


def test_cpu_seconds_of_this_process_group_grow_with_work() -> None:
    group = os.getpgid(0)
    before = cpu_seconds(group)
    sum(i * i for i in range(2_000_000))
    assert cpu_seconds(group) > before


def test_the_table_shows_each_service_beside_what_the_cores_offered() -> None:
    sizes = {
        10_000: {
            "sync": {
                "full": {
                    "seconds": 40.0,
                    "wall_seconds": 41.0,
                    "cpu_seconds": {
                        "functions": 50.4,
                        "firestore": 32.3,
                        "tasks": 0.6,
                        "bench_process": 4.2,
                    },
                },
                "delta": {"seconds": 9.0},  # measured before CPU was: left out
            }
        }
    }
    lines = cpu_table(sizes).splitlines()
    assert len(lines) == 2
    offered = (os.cpu_count() or 1) * 41.0
    assert lines[1].split() == [
        "10,000",
        "full",
        "sync",
        "50.4",
        "s",
        "32.3",
        "s",
        "0.6",
        "s",
        "4.2",
        "s",
        f"{offered:.1f}",
        "s",
    ]
