"""Checks of a OneRoster CSV package's values, after its rows are read: dates that are not ISO 8601
or out of order, values outside the version's vocabulary (status, user role, org type, session
type, class type, enrollment role) and references to records the package does not hold. Each is
a ``CsvProblem`` naming the file, line, column and reason. These rows are LOADED AS GIVEN: the
local SIS serves bad data as a real SIS would, so the sync's warnings can be tested against it
(docs/local-sis.md). Only what the SIS cannot store is refused or skipped (csvload.py)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

Row = dict[str, str]
NumberedRows = Mapping[str, list[tuple[int, Row]]]  # kind -> (line, row)
LOADED, SKIPPED, REFUSED = "loaded as given", "skipped", "refused"
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class CsvProblem:
    file: str
    line: int
    column: str
    reason: str
    action: str = LOADED

    def text(self) -> str:
        return f"{self.file} line {self.line}, column {self.column}: {self.reason} ({self.action})"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


# The OneRoster CSV binding's vocabularies (1.1, and what 1.2 changes); ``ext:`` values are the
# spec's extension mechanism and always allowed.
_V11: dict[tuple[str, str], frozenset[str]] = {
    ("*", "status"): frozenset({"active", "tobedeleted", "inactive"}),
    ("users", "role"): frozenset(
        {"administrator", "aide", "guardian", "parent", "proctor", "relative", "student", "teacher"}
    ),
    ("orgs", "type"): frozenset({"department", "school", "district", "local", "state", "national"}),
    ("academicSessions", "type"): frozenset({"gradingPeriod", "semester", "schoolYear", "term"}),
    ("classes", "classType"): frozenset({"homeroom", "scheduled"}),
    ("enrollments", "role"): frozenset({"administrator", "proctor", "student", "teacher", "aide"}),
}
_V12 = {
    **_V11,
    ("*", "status"): frozenset({"active", "tobedeleted"}),
    ("roles", "role"): frozenset(
        {
            "aide",
            "counselor",
            "districtAdministrator",
            "guardian",
            "parent",
            "principal",
            "proctor",
            "relative",
            "siteAdministrator",
            "student",
            "sysAdministrator",
            "teacher",
        }
    ),
}
_V12[("users", "role")] = _V12[("roles", "role")]
# (kind, begin column, end column) of the dates the binding defines
DATES = (
    ("academicSessions", "startDate", "endDate"),
    ("enrollments", "beginDate", "endDate"),
    ("roles", "beginDate", "endDate"),
)
# (kind, column, the kind it names, whether the column lists several ids)
REFERENCES = (
    ("enrollments", "userSourcedId", "users", False),
    ("enrollments", "classSourcedId", "classes", False),
    ("enrollments", "schoolSourcedId", "orgs", False),
    ("classes", "courseSourcedId", "courses", False),
    ("classes", "schoolSourcedId", "orgs", False),
    ("classes", "termSourcedIds", "academicSessions", True),
)


def vocabulary(version: str) -> dict[tuple[str, str], frozenset[str]]:
    return _V12 if version.startswith("1.2") else _V11


def package_problems(
    rows: NumberedRows, version: str, file_of: Callable[[str], str]
) -> list[CsvProblem]:
    """Every value problem of the package's rows, file by file, in line order."""
    words = vocabulary(version)
    problems: list[CsvProblem] = []
    for kind, numbered in rows.items():
        for line, row in numbered:
            problems += _enum_problems(file_of(kind), kind, line, row, words, version)
            problems += _date_problems(file_of(kind), kind, line, row)
    problems += _reference_problems(rows, file_of)
    return problems


def _enum_problems(
    file: str,
    kind: str,
    line: int,
    row: Row,
    words: Mapping[tuple[str, str], frozenset[str]],
    version: str,
) -> Iterable[CsvProblem]:
    for (of_kind, column), allowed in words.items():
        value = row.get(column, "")
        if of_kind not in ("*", kind) or not value or value.startswith("ext:"):
            continue
        if (value.lower() if column == "status" else value) not in allowed:
            yield CsvProblem(
                file,
                line,
                column,
                f"{value!r} is not a OneRoster {version} {column} (one of "
                f"{', '.join(sorted(allowed))}, or ext:…)",
            )


def _day(value: str) -> dt.date | None:
    if not _ISO_DATE.match(value):
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


def _date_problems(file: str, kind: str, line: int, row: Row) -> Iterable[CsvProblem]:
    for of_kind, begin_column, end_column in DATES:
        if of_kind != kind:
            continue
        days = {}
        for column in (begin_column, end_column):
            value = row.get(column, "")
            days[column] = _day(value) if value else None
            if value and days[column] is None:
                yield CsvProblem(
                    file, line, column, f"{value!r} is not an ISO 8601 date (YYYY-MM-DD)"
                )
        begin, end = days[begin_column], days[end_column]
        if begin and end and begin > end:
            yield CsvProblem(
                file, line, begin_column, f"{begin_column} {begin} is after {end_column} {end}"
            )


def _reference_problems(rows: NumberedRows, file_of: Callable[[str], str]) -> list[CsvProblem]:
    ids = {kind: {row.get("sourcedId") for _, row in numbered} for kind, numbered in rows.items()}
    problems = []
    for kind, column, target, several in REFERENCES:
        for line, row in rows.get(kind, ()):
            value = row.get(column, "")
            named = [v.strip() for v in value.split(",")] if several else [value]
            for sourced_id in (v for v in named if v):
                if sourced_id not in ids.get(target, set()):
                    problems.append(
                        CsvProblem(
                            file_of(kind),
                            line,
                            column,
                            f"{sourced_id!r} names no row of {target}.csv",
                        )
                    )
    return problems
