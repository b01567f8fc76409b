"""Serves the local OneRoster SIS on 127.0.0.1.

python -m tools.oneroster_sis --port 0 --port-file /tmp/sis.port --students 500 --seed 7
python -m tools.oneroster_sis --csv tests/fixtures/oneroster-samples/rosterhub-v1p1-csv-en
python -m tools.oneroster_sis export-csv --students 500 [--version 1.1] [--defects] out.zip
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import sys
import time
from pathlib import Path

from werkzeug.serving import BaseWSGIServer

from tools.oneroster_sis import csvexport
from tools.oneroster_sis.app import OneRosterSis, SisConfig
from tools.oneroster_sis.csvload import CsvPackageError, read_csv_package
from tools.oneroster_sis.faults import FaultInjector, FaultSettings
from tools.oneroster_sis.generator import DistrictSpec, generate_district
from tools.oneroster_sis.profiles import PROFILES, profile
from tools.oneroster_sis.store import Store
from tools.serving import LOOPBACK, serve_until_stopped


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tools.oneroster_sis",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--port-file", type=Path, help="written with the port once serving")
    parser.add_argument("--prefix", default="", help="vendor application root, e.g. /campus/api")
    parser.add_argument("--token-path", default="", help="default: <prefix>/oauth/token")
    parser.add_argument("--client-id", default="rostersync-local")
    parser.add_argument("--client-secret", default="local-development-secret")
    parser.add_argument("--profile", default="spec", choices=sorted(PROFILES))
    parser.add_argument(
        "--lenient",
        action="store_true",
        help="accept gradebook writes without checking them (default: checked as real SISes do)",
    )
    parser.add_argument("--token-lifetime", type=int, default=3600)
    parser.add_argument("--students", type=int, default=200)
    parser.add_argument("--schools", type=int, default=None)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--today", type=dt.date.fromisoformat, default=None)
    parser.add_argument("--csv", type=Path, help="load a OneRoster CSV package instead")
    parser.add_argument(
        "--defects",
        action="store_true",
        help="mix a few records of every data defect into the district (defects.py)",
    )
    parser.add_argument("--fault-seed", type=int, default=0)
    return parser.parse_args(argv)


PROBLEMS_SHOWN = 20  # rows loaded as given or skipped, printed when the SIS starts


def build_sis(args: argparse.Namespace) -> OneRosterSis:
    store = Store()
    if args.csv:
        package = read_csv_package(args.csv)
        for problem in package.problems[:PROBLEMS_SHOWN]:
            print(f"local OneRoster SIS: --csv: {problem.text()}", file=sys.stderr)
        if len(package.problems) > PROBLEMS_SHOWN:
            more = len(package.problems) - PROBLEMS_SHOWN
            print(f"local OneRoster SIS: --csv: and {more} more problem(s)", file=sys.stderr)
        store.replace_all(package.records)
    else:
        store.replace_all(
            generate_district(
                DistrictSpec(
                    seed=args.seed,
                    students=args.students,
                    schools=args.schools,
                    today=args.today,
                    defects=args.defects,
                )
            )
        )
    config = SisConfig(
        prefix=args.prefix.rstrip("/"),
        token_path=args.token_path,
        strict=not args.lenient,
        profile=args.profile,
        quirks=profile(args.profile),
    )
    sis = OneRosterSis(
        store,
        {args.client_id: args.client_secret},
        config,
        FaultInjector(FaultSettings(seed=args.fault_seed)),
    )
    sis.issuer.lifetime_seconds = args.token_lifetime
    return sis


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["export-csv"]:
        return csvexport.main(argv[1:])
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s sis %(message)s")
    started = time.monotonic()
    try:
        sis = build_sis(args)
    except CsvPackageError as error:
        refused = len(getattr(error, "problems", ()))
        more = f" (and {refused - 1} more refused row(s))" if refused > 1 else ""
        print(f"local OneRoster SIS: cannot load --csv: {error}{more}", file=sys.stderr)
        return 2

    def announce(server: BaseWSGIServer) -> None:
        counts = ", ".join(f"{k} {v}" for k, v in sis.store.counts().items() if v)
        print(
            f"local OneRoster SIS on http://{LOOPBACK}:{server.server_port}{args.prefix} "
            f"({counts}; ready in {time.monotonic() - started:.1f} s)",
            flush=True,
        )

    return serve_until_stopped(sis, args.port, args.port_file, announce)


if __name__ == "__main__":
    sys.exit(main())
