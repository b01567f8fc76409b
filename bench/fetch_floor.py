"""The least an unchanged full re-sync must do, timed alone: fetch every page of every school
from the SIS with the OneRoster client, parse it and hash its records, as the page steps do,
with the connection's concurrency (five requests at a time) and no Firestore at all; and, as
``fetch_only_seconds``, the same pages fetched and read as JSON only. Then, as ``delta_*``, the
least a 1 % delta must do: 1 % of the records changed as ``make bench`` changes them, each
school's resources fetched with the delta's filter (``dateLastModified`` after the resource's
watermark, less the overlap), parsed and hashed.

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
from bench.measure import CLIENT_ID, SECRET, Progress, change_one_percent
from bench.run import district_sis

LANES = 5  # the bench connection's max_concurrency
RESOURCES = ("classes", "teachers", "students", "enrollments")


def fetch_all(
    base_url: str, token_url: str, schools: list[str], mode: str, filters: dict[str, str]
) -> dict[str, Any]:
    """In the child process: every school page fetched, LANES at a time; ``mode`` ``parse`` and
    ``delta`` parse and hash each page as a page step does (``delta`` with ``filters``, by
    ``school|resource``), ``fetch`` reads it as JSON only, what following the paging needs.
    Returns the counts, the seconds and each item's watermark (its newest dateLastModified)."""
    from pydantic import SecretStr

    from shared.oneroster.client import OneRosterClient
    from shared.oneroster.settings import ConnectionSettings
    from shared.sync.mirror_store import entries, page_content
    from shared.sync.watermarks import newest

    settings = ConnectionSettings(
        district_id="floor",
        version="1.2",
        rostering_base_url=base_url,
        token_url=token_url,
        client_id=CLIENT_ID,
        local_dev=True,
    )
    client = OneRosterClient(settings, SecretStr(SECRET))

    def lane(item: tuple[str, str]) -> tuple[int, int, str | None]:
        records = pages = 0
        stamps: list[str | None] = []
        query = {"filter": filters[f"{item[0]}|{item[1]}"]} if mode == "delta" else {}
        for page in client.iter_pages(client.school_request(*item, **query)):
            if mode != "fetch":
                parsed = client.parse_page(page).records
                page_content(entries(parsed))
                stamps += [r.date_last_modified for r in parsed]
            records, pages = records + len(page.records), pages + 1
        return records, pages, newest(stamps)

    items = [(s, r) for s in schools for r in RESOURCES]
    started = time.monotonic()
    with ThreadPoolExecutor(LANES) as pool:
        done = list(pool.map(lane, items))
    seconds = round(time.monotonic() - started, 2)
    records, pages = sum(d[0] for d in done), sum(d[1] for d in done)
    marks = {f"{s}|{r}": d[2] for (s, r), d in zip(items, done, strict=True)}
    return {"records": records, "pages": pages, "seconds": seconds, "watermarks": marks}


def _child(running: Any, schools: list[str], mode: str, filters: dict[str, str]) -> Any:
    argv = [sys.executable, "-m", "bench.fetch_floor", "--child", mode]
    argv += [running.base_url("1.2"), running.token_url, json.dumps(schools), json.dumps(filters)]
    child = subprocess.run(argv, capture_output=True, text=True, check=True, timeout=600)
    return json.loads(child.stdout)


def measure(students: int) -> dict[str, Any]:
    from shared.sync.watermarks import delta_filter
    from tools.oneroster_sis.harness import serve

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request otherwise
    sis = district_sis(students, Progress(f"{students:,} students · "))
    schools = [o["sourcedId"] for o in sis.store.all("orgs") if o.get("type") == "school"]
    with serve(sis) as running:
        parsed = _child(running, schools, "parse", {})
        fetched = _child(running, schools, "fetch", {})
        changed = change_one_percent(running)
        marks = parsed.pop("watermarks")
        filters = {item: delta_filter(mark) or "" for item, mark in marks.items()}
        delta = _child(running, schools, "delta", filters)
    return {
        "students": students,
        "lanes": LANES,
        **parsed,
        "fetch_only_seconds": fetched["seconds"],
        "delta_records_changed": changed,
        "delta_records": delta["records"],
        "delta_pages": delta["pages"],
        "delta_seconds": delta["seconds"],
    }


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["--child"]:
        base_url, token_url, schools, filters = args[2], args[3], args[4], args[5]
        found = fetch_all(base_url, token_url, json.loads(schools), args[1], json.loads(filters))
        print(json.dumps(found))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=10_000)
    parser.add_argument("--out", type=Path, default=report.RESULTS)
    options = parser.parse_args(args)
    result = measure(options.students)
    print(json.dumps(result))
    report.save_measurement(options.out, "fetch_floor.json", result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
