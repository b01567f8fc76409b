"""The least an unchanged full re-sync must do, timed alone: fetch every page of every school
from the SIS with the OneRoster client, parse it and hash its records, as the page steps do,
with the connection's concurrency (five requests at a time) and no Firestore at all; and, as
``fetch_only_seconds``, the same pages fetched and read as JSON only.

    .venv/bin/python -m bench.fetch_floor [--students 10000] [--out DIR]

The bench's district (the same seed and size) is served by the local SIS in this process, as in
``make bench``; the fetching runs in a child process, as the functions server does. Writes
``fetch_floor.json`` into ``--out`` (default ``bench/results``). docs/bench.md holds a run.
"""

from __future__ import annotations

import argparse
import json
import logging
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from bench import report
from bench.measure import CLIENT_ID, SECRET, Progress
from bench.run import district_sis

LANES = 5  # the bench connection's max_concurrency
RESOURCES = ("classes", "teachers", "students", "enrollments")


def fetch_all(base_url: str, token_url: str, schools: list[str], parse: bool) -> dict[str, Any]:
    """In the child process: every school page fetched, LANES at a time, and with ``parse``
    parsed and hashed as a page step does (without: read as JSON only, what following the
    paging needs)."""
    from pydantic import SecretStr

    from shared.oneroster.client import OneRosterClient
    from shared.oneroster.settings import ConnectionSettings
    from shared.sync.mirror_store import entries, page_content

    settings = ConnectionSettings(
        district_id="floor",
        version="1.2",
        rostering_base_url=base_url,
        token_url=token_url,
        client_id=CLIENT_ID,
        local_dev=True,
    )
    client = OneRosterClient(settings, SecretStr(SECRET))

    def lane(request: Any) -> tuple[int, int]:
        records = pages = 0
        for page in client.iter_pages(request):
            if parse:
                page_content(entries(client.parse_page(page).records))
            records, pages = records + len(page.records), pages + 1
        return records, pages

    requests = [client.school_request(s, r) for s in schools for r in RESOURCES]
    started = time.monotonic()
    with ThreadPoolExecutor(LANES) as pool:
        done = list(pool.map(lane, requests))
    seconds = round(time.monotonic() - started, 2)
    records, pages = sum(r for r, _ in done), sum(p for _, p in done)
    return {"records": records, "pages": pages, "seconds": seconds}


def measure(students: int) -> dict[str, Any]:
    from tools.oneroster_sis.harness import serve

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request otherwise
    sis = district_sis(students, Progress(f"{students:,} students · "))
    schools = [o["sourcedId"] for o in sis.store.all("orgs") if o.get("type") == "school"]
    found: dict[str, Any] = {}
    with serve(sis) as running:
        for mode in ("parse", "fetch"):
            argv = [sys.executable, "-m", "bench.fetch_floor", "--child", mode]
            argv += [running.base_url("1.2"), running.token_url, json.dumps(schools)]
            child = subprocess.run(argv, capture_output=True, text=True, check=True, timeout=600)
            found[mode] = json.loads(child.stdout)
    fetched = found["fetch"]["seconds"]
    return {"students": students, "lanes": LANES, **found["parse"], "fetch_only_seconds": fetched}


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["--child"]:
        print(json.dumps(fetch_all(args[2], args[3], json.loads(args[4]), args[1] == "parse")))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=10_000)
    parser.add_argument("--out", type=Path, default=report.RESULTS)
    options = parser.parse_args(args)
    result = {"machine": report.machine(), **measure(options.students)}
    print(json.dumps({k: v for k, v in result.items() if k != "machine"}))
    options.out.mkdir(parents=True, exist_ok=True)
    out = options.out / "fetch_floor.json"
    out.write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
