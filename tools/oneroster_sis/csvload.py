"""Loads a OneRoster CSV package (1.1 or 1.2; a directory or a .zip) into canonical records."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from tools.oneroster_sis.store import format_timestamp

Record = dict[str, Any]
Row = dict[str, str]
TRUE_WORDS = {"true", "1", "yes", "y", "t"}


class CsvPackageError(ValueError):
    pass


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
    text = read(name)
    if text is None:
        return
    for row in csv.DictReader(io.StringIO(text)):
        yield {k.strip(): (v or "").strip() for k, v in row.items() if k}


def _list(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def _ref(ref_type: str, sourced_id: str) -> Record:
    return {"sourcedId": sourced_id, "type": ref_type}


def _bool(value: str) -> bool:
    return value.strip().lower() in TRUE_WORDS


def _base(row: Row, stamp: str) -> Record:
    if not row.get("sourcedId"):
        raise CsvPackageError(f"a row without sourcedId: {row}")
    record: Record = {
        "sourcedId": row["sourcedId"],
        "status": "tobedeleted" if row.get("status", "").lower() == "tobedeleted" else "active",
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


def load_csv_package(path: Path, loaded_at: dt.datetime | None = None) -> dict[str, list[Record]]:
    read = _reader(Path(path))
    manifest = {r.get("propertyName", ""): r.get("value", "") for r in _rows(read, "manifest.csv")}
    version = manifest.get("oneroster.version", "1.1")
    stamp = format_timestamp(loaded_at or dt.datetime.now(dt.UTC))
    out: dict[str, list[Record]] = defaultdict(list)

    for row in _rows(read, "orgs.csv"):
        record = _base(row, stamp)
        _copy(record, row, "name", "type", "identifier")
        record.setdefault("identifier", "")
        if row.get("parentSourcedId"):
            record["parent"] = _ref("org", row["parentSourcedId"])
        out["orgs"].append(record)

    for row in _rows(read, "academicSessions.csv"):
        record = _base(row, stamp)
        _copy(record, row, "title", "type", "startDate", "endDate", "schoolYear")
        if row.get("parentSourcedId"):
            record["parent"] = _ref("academicSession", row["parentSourcedId"])
        out["academicSessions"].append(record)

    for row in _rows(read, "courses.csv"):
        record = _base(row, stamp)
        _copy(record, row, "title", "courseCode")
        record.setdefault("courseCode", "")
        _copy_lists(record, row, "grades", "subjects", "subjectCodes")
        if row.get("schoolYearSourcedId"):
            record["schoolYear"] = _ref("academicSession", row["schoolYearSourcedId"])
        if row.get("orgSourcedId"):
            record["org"] = _ref("org", row["orgSourcedId"])
        out["courses"].append(record)

    for row in _rows(read, "classes.csv"):
        record = _base(row, stamp)
        _copy(record, row, "title", "classCode", "classType", "location")
        _copy_lists(record, row, "grades", "subjects", "subjectCodes", "periods")
        if row.get("courseSourcedId"):
            record["course"] = _ref("course", row["courseSourcedId"])
        if row.get("schoolSourcedId"):
            record["school"] = _ref("org", row["schoolSourcedId"])
        record["terms"] = [_ref("academicSession", t) for t in _list(row.get("termSourcedIds", ""))]
        out["classes"].append(record)

    roles_by_user: dict[str, list[Record]] = defaultdict(list)
    for row in _rows(read, "roles.csv"):  # 1.2 only
        role: Record = {
            "roleType": row.get("roleType") or "primary",
            "role": row.get("role", ""),
            "org": _ref("org", row.get("orgSourcedId", "")),
        }
        _copy(role, row, "beginDate", "endDate")
        roles_by_user[row.get("userSourcedId", "")].append(role)

    for row in _rows(read, "users.csv"):
        record = _base(row, stamp)
        record["enabledUser"] = _bool(row.get("enabledUser", "true") or "true")
        _copy(
            record,
            row,
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
        for csv_name, field in (
            ("preferredGivenName", "preferredFirstName"),
            ("preferredMiddleName", "preferredMiddleName"),
            ("preferredFamilyName", "preferredLastName"),
        ):
            if row.get(csv_name):
                record[field] = row[csv_name]
        _copy_lists(record, row, "grades")
        user_ids = []
        for item in _list(row.get("userIds", "")):
            kind, _, identifier = item.strip("{}").partition(":")
            user_ids.append({"type": kind, "identifier": identifier})
        if user_ids:
            record["userIds"] = user_ids
        if row.get("agentSourcedIds"):
            record["agents"] = [_ref("user", a) for a in _list(row["agentSourcedIds"])]
        if version.startswith("1.1") or "role" in row:
            orgs = _list(row.get("orgSourcedIds", ""))
            record["roles"] = [
                {
                    "roleType": "primary" if i == 0 else "secondary",
                    "role": row.get("role", ""),
                    "org": _ref("org", org),
                }
                for i, org in enumerate(orgs)
            ]
        else:
            record["roles"] = roles_by_user.get(record["sourcedId"], [])
        primary_org = row.get("primaryOrgSourcedId") or next(
            (r["org"]["sourcedId"] for r in record["roles"] if r["roleType"] == "primary"), ""
        )
        if primary_org:
            record["primaryOrg"] = _ref("org", primary_org)
        out["users"].append(record)

    for row in _rows(read, "enrollments.csv"):
        record = _base(row, stamp)
        record["user"] = _ref("user", row.get("userSourcedId", ""))
        record["class"] = _ref("class", row.get("classSourcedId", ""))
        record["school"] = _ref("org", row.get("schoolSourcedId", ""))
        _copy(record, row, "role", "beginDate", "endDate")
        if row.get("primary"):
            record["primary"] = _bool(row["primary"])
        out["enrollments"].append(record)

    for row in _rows(read, "demographics.csv"):
        record = _base(row, stamp)
        for name, value in row.items():
            if name in ("sourcedId", "status", "dateLastModified") or not value:
                continue
            if name in (
                "birthDate",
                "sex",
                "countryOfBirthCode",
                "stateOfBirthAbbreviation",
                "cityOfBirth",
                "publicSchoolResidenceStatus",
            ):
                record[name] = value
            elif not name.startswith("metadata."):
                record[name] = _bool(value)
        out["demographics"].append(record)

    for row in _rows(read, "categories.csv"):
        record = _base(row, stamp)
        _copy(record, row, "title")
        out["categories"].append(record)

    return dict(out)
