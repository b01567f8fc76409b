"""What the whole-stack sync tests check a run against: the classes the local OneRoster SIS
says should exist (the oracle), and the warnings a run recorded, read through the admin API."""

from __future__ import annotations

import datetime as dt
from typing import Any

from shared.ids import safe_id
from tools.oneroster_sis.harness import RunningSis


def expected_classes(running: RunningSis, school: str | None = None) -> dict[str, dict[str, Any]]:
    """The oracle: sections with a current teacher, their owner and current students."""
    today = dt.date.today()
    store = running.sis.store
    out: dict[str, dict[str, Any]] = {}
    for section in store.all("classes"):
        if section["status"] != "active":
            continue
        if school and section["school"]["sourcedId"] != school:
            continue
        rows = [
            e
            for e in store.all("enrollments")
            if e["class"]["sourcedId"] == section["sourcedId"]
            and e["status"] == "active"
            and not (e.get("endDate") and dt.date.fromisoformat(e["endDate"]) < today)
        ]
        teachers = sorted(
            (e for e in rows if e["role"] == "teacher"),
            key=lambda e: (not e.get("primary"), e["user"]["sourcedId"]),
        )
        if not teachers:
            continue
        out[f"sis-{safe_id(section['sourcedId'])}"] = {
            "title": section["title"],
            "owner": teachers[0]["user"]["sourcedId"],
            "students": {e["user"]["sourcedId"] for e in rows if e["role"] == "student"},
        }
    return out


def run_warnings(harness: Any, district: str, status: dict[str, Any], code: str) -> list[Any]:
    """Every warning of one kind of a run, through the paged warnings endpoint."""
    found, cursor = [], ""
    while True:
        path = f"/runs/{status['run_id']}/warnings?code={code}&limit=200{cursor}"
        page = harness.admin("GET", district, path).json()
        found += page["warnings"]
        if not page["next_cursor"]:
            return found
        cursor = f"&cursor={page['next_cursor']}"
