"""Loads a OneRoster CSV package (1.1 or 1.2; a directory or a .zip) into canonical records."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from pathlib import Path
from typing import Any

from tools.oneroster_sis.csvcheck import REFUSED, SKIPPED, CsvProblem, package_problems
from tools.oneroster_sis.model import ROSTER_KINDS
from tools.oneroster_sis.store import format_timestamp

Record = dict[str, Any]
Row = dict[str, str]
TRUE_WORDS = {"true", "1", "yes", "y", "t"}
USER_FIELDS = (
    "username",
    "givenName",
    "familyName",
    "middleName",
    "identifier",
    "email",
    "sms",
    "phone",
    "password",
    "userMasterIdentifier",
    "pronouns",
)
PREFERRED_NAMES = (  # CSV column, canonical field
    ("preferredGivenName", "preferredFirstName"),
    ("preferredMiddleName", "preferredMiddleName"),
    ("preferredFamilyName", "preferredLastName"),
)
DEMOGRAPHIC_TEXT = frozenset(
    {
        "birthDate",
        "sex",
        "countryOfBirthCode",
        "stateOfBirthAbbreviation",
        "cityOfBirth",
        "publicSchoolResidenceStatus",
    }
)


# Columns the OneRoster 1.1 CSV binding requires that 1.2 keeps (1.2 moved users' role and orgs
# to roles.csv, so those are not required here).
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "orgs": ("sourcedId", "name", "type"),
    "academicSessions": ("sourcedId", "title", "type", "startDate", "endDate", "schoolYear"),
    "courses": ("sourcedId", "title", "orgSourcedId"),
    "classes": (
        "sourcedId",
        "title",
        "courseSourcedId",
        "classType",
        "schoolSourcedId",
        "termSourcedIds",
    ),
    "users": ("sourcedId", "enabledUser", "username", "givenName", "familyName"),
    "enrollments": ("sourcedId", "classSourcedId", "schoolSourcedId", "userSourcedId", "role"),
    "demographics": ("sourcedId",),
    "categories": ("sourcedId", "title"),
}


class CsvPackageError(ValueError):
    """The package cannot be loaded; the message names the file and the fix."""


class CsvRowError(CsvPackageError):
    """A row (or a file's header, line 1) of the package breaks the CSV binding so that the SIS
    cannot hold it; ``problems`` lists every such row of the package, this one first."""

    def __init__(
        self, file: str, line: int, problem: str, fix: str, column: str = "sourcedId"
    ) -> None:
        self.file, self.line, self.problem, self.fix = file, line, problem, fix
        self.problems = [CsvProblem(file, line, column, f"{problem}; {fix}", REFUSED)]
        super().__init__(f"{file} line {line}: {problem}; {fix}")


@dataclass
class CsvPackage:
    """The package's records by kind, and the problems of the rows loaded as given or skipped."""

    records: dict[str, list[Record]]
    problems: list[CsvProblem] = dataclass_field(default_factory=list)


def _reader(path: Path) -> Callable[[str], str | None]:
    if path.is_dir():

        def read_dir(name: str) -> str | None:
            candidate = path / name
            return candidate.read_text(encoding="utf-8-sig") if candidate.is_file() else None

        return read_dir
    if path.is_file() and zipfile.is_zipfile(path):
        archive = zipfile.ZipFile(path)
        names = {Path(n).name: n for n in archive.namelist() if not n.endswith("/")}

        def read_zip(name: str) -> str | None:
            member = names.get(name)
            return archive.read(member).decode("utf-8-sig") if member else None

        return read_zip
    raise CsvPackageError(f"{path} is neither a directory nor a zip file of OneRoster CSV files")


def _rows(read: Callable[[str], str | None], name: str) -> Iterator[Row]:
    for _line, row in _numbered_rows(read, name):
        yield row


def _numbered_rows(read: Callable[[str], str | None], name: str) -> Iterator[tuple[int, Row]]:
    """The file's rows with the line each ends on (a quoted field may span lines)."""
    text = read(name)
    if text is None:
        return
    reader = csv.DictReader(io.StringIO(text))
    for row in reader:
        yield reader.line_num, {k.strip(): (v or "").strip() for k, v in row.items() if k}


def _check_header(file: str, kind: str, read: Callable[[str], str | None]) -> None:
    text = read(f"{kind}.csv") or ""
    header = next(csv.reader(io.StringIO(text)), [])
    columns = {c.strip() for c in header}
    missing = [c for c in REQUIRED_COLUMNS[kind] if c not in columns]
    if text.strip() and missing:
        raise CsvRowError(
            file,
            1,
            f"the header lacks the required column(s) {', '.join(missing)}",
            "add them to the header row as the OneRoster CSV binding names them",
            column=", ".join(missing),
        )


def _usable_rows(
    file: str, numbered: Iterable[tuple[int, Row]]
) -> tuple[list[tuple[int, Row]], list[CsvProblem]]:
    """The rows the SIS can hold; a row without a sourcedId is refused (it cannot be stored or
    served), a later row with a sourcedId already in the file is skipped (the first is kept)."""
    rows: list[tuple[int, Row]] = []
    problems: list[CsvProblem] = []
    first_line: dict[str, int] = {}
    for line, row in numbered:
        sourced_id = row.get("sourcedId")
        if not sourced_id:
            problems.append(CsvProblem(file, line, "sourcedId", f"{NO_ID[0]}; {NO_ID[1]}", REFUSED))
        elif sourced_id in first_line:
            reason = f"sourcedId {sourced_id!r} is also on line {first_line[sourced_id]}"
            problems.append(CsvProblem(file, line, "sourcedId", reason, SKIPPED))
        else:
            first_line[sourced_id] = line
            rows.append((line, row))
    return rows, problems


def _list(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def _ref(ref_type: str, sourced_id: str) -> Record:
    return {"sourcedId": sourced_id, "type": ref_type}


def _bool(value: str) -> bool:
    return value.strip().lower() in TRUE_WORDS


def _base(row: Row, stamp: str) -> Record:
    record: Record = {
        "sourcedId": row["sourcedId"],
        "status": (row.get("status") or "active").lower(),
        "dateLastModified": row.get("dateLastModified") or stamp,
    }
    metadata = {k.split(".", 1)[1]: v for k, v in row.items() if k.startswith("metadata.") and v}
    if metadata:
        record["metadata"] = metadata
    return record


def _copy(record: Record, row: Row, *names: str) -> None:
    for name in names:
        if row.get(name):
            record[name] = row[name]


def _copy_lists(record: Record, row: Row, *names: str) -> None:
    for name in names:
        if row.get(name):
            record[name] = _list(row[name])


FILLED_KINDS = ROSTER_KINDS
NO_ID = ("the row has no sourcedId", "give every row a sourcedId")


def load_csv_package(path: Path, loaded_at: dt.datetime | None = None) -> dict[str, list[Record]]:
    """The package's records by kind; kinds without rows are left out."""
    return read_csv_package(path, loaded_at).records


def read_csv_package(path: Path, loaded_at: dt.datetime | None = None) -> CsvPackage:
    """The package's records and its rows' problems. Raises ``CsvRowError`` (every refused row
    in ``problems``) when a header lacks a required column or a row has no sourcedId, and
    ``CsvPackageError`` when the package cannot be read at all."""
    try:
        return _read_package(Path(path), loaded_at)
    except (OSError, UnicodeDecodeError, csv.Error, zipfile.BadZipFile) as error:
        raise CsvPackageError(f"{path}: cannot read the package ({error})") from None


def _read_package(path: Path, loaded_at: dt.datetime | None) -> CsvPackage:
    read = _reader(path)
    manifest = {r.get("propertyName", ""): r.get("value", "") for r in _rows(read, "manifest.csv")}
    version = manifest.get("oneroster.version", "1.1")
    rows: dict[str, list[tuple[int, Row]]] = {}
    problems: list[CsvProblem] = []
    for kind in (*FILLED_KINDS, "roles"):
        if kind in REQUIRED_COLUMNS:
            _check_header(_file_name(path, f"{kind}.csv"), kind, read)
        usable, found = _usable_rows(
            _file_name(path, f"{kind}.csv"), _numbered_rows(read, f"{kind}.csv")
        )
        rows[kind], problems = usable, problems + found
    refused = [p for p in problems if p.action == REFUSED]
    if refused:
        error = CsvRowError(refused[0].file, refused[0].line, *NO_ID)
        error.problems = refused
        raise error
    problems += package_problems(rows, version, lambda kind: _file_name(path, f"{kind}.csv"))
    records = _records(rows, version, _roles_by_user(read), loaded_at)
    return CsvPackage(records, sorted(problems, key=lambda p: (p.file, p.line, p.column)))


def _records(
    rows: Mapping[str, list[tuple[int, Row]]],
    version: str,
    roles_by_user: dict[str, list[Record]],
    loaded_at: dt.datetime | None,
) -> dict[str, list[Record]]:
    stamp = format_timestamp(loaded_at or dt.datetime.now(dt.UTC))

    def user(record: Record, row: Row) -> None:
        _user(record, row, version, roles_by_user)

    fillers: dict[str, Callable[[Record, Row], None]] = {
        "orgs": _org,
        "academicSessions": _academic_session,
        "courses": _course,
        "classes": _class,
        "users": user,
        "enrollments": _enrollment,
        "demographics": _demographics,
        "categories": _category,
    }
    out: dict[str, list[Record]] = {}
    for kind, fill in fillers.items():
        for _line, row in rows.get(kind, ()):
            record = _base(row, stamp)
            fill(record, row)
            out.setdefault(kind, []).append(record)
    return out


def _file_name(path: Path, name: str) -> str:
    return str(path / name) if path.is_dir() else f"{path}:{name}"


def _org(record: Record, row: Row) -> None:
    _copy(record, row, "name", "type", "identifier")
    record.setdefault("identifier", "")
    if row.get("parentSourcedId"):
        record["parent"] = _ref("org", row["parentSourcedId"])


def _academic_session(record: Record, row: Row) -> None:
    _copy(record, row, "title", "type", "startDate", "endDate", "schoolYear")
    if row.get("parentSourcedId"):
        record["parent"] = _ref("academicSession", row["parentSourcedId"])


def _course(record: Record, row: Row) -> None:
    _copy(record, row, "title", "courseCode")
    record.setdefault("courseCode", "")
    _copy_lists(record, row, "grades", "subjects", "subjectCodes")
    if row.get("schoolYearSourcedId"):
        record["schoolYear"] = _ref("academicSession", row["schoolYearSourcedId"])
    if row.get("orgSourcedId"):
        record["org"] = _ref("org", row["orgSourcedId"])


def _class(record: Record, row: Row) -> None:
    _copy(record, row, "title", "classCode", "classType", "location")
    _copy_lists(record, row, "grades", "subjects", "subjectCodes", "periods")
    if row.get("courseSourcedId"):
        record["course"] = _ref("course", row["courseSourcedId"])
    if row.get("schoolSourcedId"):
        record["school"] = _ref("org", row["schoolSourcedId"])
    record["terms"] = [_ref("academicSession", t) for t in _list(row.get("termSourcedIds", ""))]


def _roles_by_user(read: Callable[[str], str | None]) -> dict[str, list[Record]]:
    """The 1.2 ``roles.csv``, grouped by user."""
    roles_by_user: dict[str, list[Record]] = defaultdict(list)
    for row in _rows(read, "roles.csv"):
        role: Record = {
            "roleType": row.get("roleType") or "primary",
            "role": row.get("role", ""),
            "org": _ref("org", row.get("orgSourcedId", "")),
        }
        _copy(role, row, "beginDate", "endDate")
        roles_by_user[row.get("userSourcedId", "")].append(role)
    return roles_by_user


def _user(record: Record, row: Row, version: str, roles_by_user: dict[str, list[Record]]) -> None:
    record["enabledUser"] = _bool(row.get("enabledUser", "true") or "true")
    _copy(record, row, *USER_FIELDS)
    for csv_name, field in PREFERRED_NAMES:
        if row.get(csv_name):
            record[field] = row[csv_name]
    _copy_lists(record, row, "grades")
    user_ids = [_user_id(item) for item in _list(row.get("userIds", ""))]
    if user_ids:
        record["userIds"] = user_ids
    if row.get("agentSourcedIds"):
        record["agents"] = [_ref("user", a) for a in _list(row["agentSourcedIds"])]
    if version.startswith("1.1") or "role" in row:
        record["roles"] = _roles_11(row)
    else:
        record["roles"] = roles_by_user.get(record["sourcedId"], [])
    primary_org = row.get("primaryOrgSourcedId") or next(
        (r["org"]["sourcedId"] for r in record["roles"] if r["roleType"] == "primary"), ""
    )
    if primary_org:
        record["primaryOrg"] = _ref("org", primary_org)


def _user_id(item: str) -> Record:
    """``{type:identifier}`` of the ``userIds`` column."""
    kind, _, identifier = item.strip("{}").partition(":")
    return {"type": kind, "identifier": identifier}


def _roles_11(row: Row) -> list[Record]:
    """1.1 users have one ``role`` in every org of ``orgSourcedIds``; the first org is primary."""
    return [
        {
            "roleType": "primary" if i == 0 else "secondary",
            "role": row.get("role", ""),
            "org": _ref("org", org),
        }
        for i, org in enumerate(_list(row.get("orgSourcedIds", "")))
    ]


def _enrollment(record: Record, row: Row) -> None:
    record["user"] = _ref("user", row.get("userSourcedId", ""))
    record["class"] = _ref("class", row.get("classSourcedId", ""))
    record["school"] = _ref("org", row.get("schoolSourcedId", ""))
    _copy(record, row, "role", "beginDate", "endDate")
    if row.get("primary"):
        record["primary"] = _bool(row["primary"])


def _demographics(record: Record, row: Row) -> None:
    """Text columns are copied; every other column (the ethnicity flags) is a boolean."""
    for name, value in row.items():
        if name in ("sourcedId", "status", "dateLastModified") or not value:
            continue
        if name in DEMOGRAPHIC_TEXT:
            record[name] = value
        elif not name.startswith("metadata."):
            record[name] = _bool(value)


def _category(record: Record, row: Row) -> None:
    _copy(record, row, "title")
