"""Splitting a package's rows into the pages a sync reads, and its problems into data warnings.
Pure: no storage, no store.

Routing follows the OneRoster REST per-school listings (``/schools/{id}/classes``, ``/teachers``,
``/students``, ``/enrollments``), so a CSV run fetches per school exactly what a REST run does: a
class and an enrollment go to the school they name; a user goes to ``teachers`` of every org it
holds the role ``teacher`` in and to ``students`` of every org it holds ``student`` in (1.2:
``roles[]`` with their orgs; 1.1: ``role`` with ``orgs``), once per school."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from shared.csvpackage import RowProblem
from shared.oneroster.records import RecordProblem, parse_record
from shared.store.layout import item_key
from shared.sync.model import DataWarning
from shared.sync.warning_codes import fix_text

PAGE_ROWS = 500  # rows of one staged page (at most)
MAX_BUFFERED = 40_000  # rows held for all items together before the largest buffer is written
SCHOOL_FILES = ("classes", "users", "enrollments")  # streamed into per-school pages, in order
ROLE_RESOURCES = {"teacher": "teachers", "student": "students"}
# The per-school resources a file's rows are listed in (where an unusable row's id is kept).
RESOURCES_OF_FILE = {
    "classes": ("classes",),
    "users": ("teachers", "students"),
    "enrollments": ("enrollments",),
}
RECORD_KINDS = {
    "orgs": "org",
    "academicSessions": "academicSession",
    "classes": "class",
    "courses": "course",
    "users": "user",
    "roles": "user",
    "userProfiles": "user",
    "enrollments": "enrollment",
    "demographics": "demographics",
}


def _ref(value: Any) -> str | None:
    ref = value.get("sourcedId") if isinstance(value, Mapping) else None
    return ref if isinstance(ref, str) and ref else None


def _user_items(record: Mapping[str, Any], version: str) -> list[str]:
    try:
        user = parse_record("users", record, version)
    except RecordProblem:
        return []  # the page step's parser says why, as for a REST page
    items = (
        item_key(role.org_id, ROLE_RESOURCES[role.role])
        for role in user.roles
        if role.role in ROLE_RESOURCES and role.org_id
    )
    return list(dict.fromkeys(items))


def routes(kind: str, record: Mapping[str, Any], version: str) -> list[str]:
    """The items (school x resource) whose pages list ``record`` of file ``kind``."""
    if kind == "users":
        return _user_items(record, version)
    school = _ref(record.get("school"))
    return [item_key(school, kind)] if school and kind in ("classes", "enrollments") else []


Write = Callable[[str, int, list[dict[str, Any]]], None]


@dataclass
class Splitter:
    """Buffers rows per item and writes them as pages of at most ``page_rows``; when all buffers
    together pass ``max_buffered`` the largest is written early (a page may then be shorter), so
    memory stays bounded however many schools a package has."""

    write: Write
    page_rows: int = PAGE_ROWS
    max_buffered: int = MAX_BUFFERED
    buffers: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    pages: dict[str, int] = field(default_factory=dict)
    buffered: int = 0

    def add(self, item: str, row: dict[str, Any]) -> None:
        buffer = self.buffers.setdefault(item, [])
        buffer.append(row)
        self.buffered += 1
        if len(buffer) >= self.page_rows:
            self.flush(item)
        elif self.buffered > self.max_buffered:
            self.flush(max(self.buffers, key=lambda i: len(self.buffers[i])))

    def flush(self, item: str) -> None:
        rows = self.buffers.pop(item, [])
        if not rows:
            return
        index = self.pages.get(item, 0)
        self.write(item, index, rows)
        self.pages[item] = index + 1
        self.buffered -= len(rows)

    def close(self) -> dict[str, int]:
        """Writes what is left; returns the page count of every item."""
        for item in list(self.buffers):
            self.flush(item)
        return dict(self.pages)


def _stem(file: str) -> str:
    return file.rsplit(".", 1)[0]


def record_kind(file: str) -> str:
    return RECORD_KINDS.get(_stem(file), _stem(file))


def _location(file: str, line: int, columns: list[str]) -> str:
    where = f"{file} line {line}" if line > 0 else file
    if not columns:
        return where
    return f"{where}, column{'s' if len(columns) > 1 else ''} {', '.join(columns)}"


def _grouped(problems: Iterable[RowProblem]) -> Iterator[list[RowProblem]]:
    """Problems of one row and one code together: one warning per (code, record)."""
    groups: dict[tuple[str, str, int, str | None], list[RowProblem]] = {}
    for problem in problems:
        key = (problem.code, problem.file, problem.line, problem.sourced_id)
        groups.setdefault(key, []).append(problem)
    yield from groups.values()


def problem_warnings(problems: Iterable[RowProblem]) -> list[DataWarning]:
    """A data warning per row and code: the row's sourcedId (or its file and line), the
    reasons, the fix, the column(s) and value, and where in the package."""
    warnings = []
    for group in _grouped(problems):
        first = group[0]
        columns = list(dict.fromkeys(p.column for p in group if p.column))
        warnings.append(
            DataWarning(
                first.code,
                record_kind(first.file),
                first.sourced_id or f"({first.file} line {first.line})",
                "; ".join(dict.fromkeys(p.reason for p in group)),
                "; ".join(dict.fromkeys(p.fix for p in group)),
                severity=first.severity,
                field=columns[0] if len(columns) == 1 else (", ".join(columns) or None),
                value=first.value if len(group) == 1 else None,
                location=_location(first.file, first.line, columns),
            )
        )
    return warnings


def more_problems(file: str, count: int, listed: int) -> DataWarning:
    """The one warning that counts a file's problems beyond the ``listed`` ones."""
    return DataWarning(
        "csv_more_problems",
        record_kind(file),
        f"({file})",
        f"{count:,} more problems in {file} are not listed; only the first {listed:,} are",
        fix_text("csv_more_problems"),
        location=file,
    )


def unusable_id(problems: Iterable[RowProblem]) -> str | None:
    """The sourcedId of an unusable row, when its problems name one."""
    return next((p.sourced_id for p in problems if p.sourced_id), None)


def typed_rows(rows: Iterable[Mapping[str, Any]], wanted_type: str) -> list[Mapping[str, Any]]:
    """The rows of a district-wide listing: orgs of type school (``/schools``), sessions of type
    term (``/terms``), whatever their status, as the REST listings serve them."""
    return [row for row in rows if row.get("type") == wanted_type]


def merged(
    stored: Iterable[Mapping[str, Any]], sent: Iterable[Mapping[str, Any]]
) -> list[Mapping[str, Any]]:
    """A delta's listing: the rows known from earlier runs, replaced by the rows the package
    sends (same sourcedId), then the new ones. Pure."""
    rows: dict[Any, Mapping[str, Any]] = {row.get("sourcedId"): row for row in stored}
    rows.update((row.get("sourcedId"), row) for row in sent)
    return list(rows.values())
