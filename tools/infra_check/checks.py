"""Every offline infra check, and the command line (`python -m tools.infra_check`)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from tools.infra_check.config import INFRA, Config, load
from tools.infra_check.formatting import format_problems
from tools.infra_check.iam import granted, iam_problems
from tools.infra_check.indexes import (
    declared_indexes,
    declared_unindexed,
    field_problems,
    index_problems,
)
from tools.infra_check.pins import api_problems, pin_problems, rules_problems, skip_problems
from tools.infra_check.routing import csv_problems, routing_problems

# --- all -----------------------------------------------------------------------------------------


def check(infra: Path = INFRA, queries: Iterable[Any] | None = None) -> tuple[Config, list[str]]:
    config = load(infra)
    problems = list(config.problems)
    for name, text in config.texts.items():
        problems += format_problems(name, text)
    if not config.problems:
        problems += index_problems(config, queries)
        problems += field_problems(config, queries=queries)
        problems += iam_problems(config)
        problems += routing_problems(config)
        problems += csv_problems(config)
        problems += api_problems(config)
        problems += pin_problems(config)
        problems += rules_problems(infra, config)
    problems += skip_problems(config)
    return config, problems


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--infra", type=Path, default=INFRA)
    args = parser.parse_args(argv)
    config, problems = check(args.infra)
    for problem in problems:
        print(f"infra: {problem}", file=sys.stderr)
    if problems:
        print(f"infra_check: {len(problems)} problem(s) in {args.infra}", file=sys.stderr)
        return 1
    print(
        f"infra_check: {len(config.texts)} files parse and are formatted; "
        f"{len(declared_indexes(config))} composite index(es) match the queries; "
        f"{len(declared_unindexed(config))} field(s) unindexed as layout.py lists; "
        f"{len(granted(config))} IAM grants as designed; audiences, ingress, CSV buckets and "
        "trigger, APIs, pins and checkov skips checked"
    )
    return 0
