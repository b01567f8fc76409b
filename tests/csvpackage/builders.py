"""In-memory OneRoster CSV packages for the csvpackage tests: a small good bulk package of each
version, and ways to change one file, one row or the manifest to make a defect."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Mapping

from shared.csvpackage import CsvRow, Package, open_package

Files = dict[str, str | bytes]


def csv_text(rows: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue()


def manifest(version: str = "1.1", modes: Mapping[str, str] | None = None) -> str:
    files = {"orgs": "bulk", "academicSessions": "bulk", "classes": "bulk"}
    files |= {"enrollments": "bulk", "users": "bulk", "courses": "absent"}
    if version == "1.2":
        files["roles"] = "bulk"
    files |= dict(modes or {})
    rows = [["propertyName", "value"], ["manifest.version", "1.0"]]
    rows += [["oneroster.version", version], ["source.systemName", "Test SIS"]]
    rows += [[f"file.{stem}", mode] for stem, mode in files.items()]
    return csv_text(rows)


def _rows(*lines: str) -> list[list[str]]:
    """Rows written with | between fields (values may hold commas)."""
    return [line.split("|") for line in lines]


ORGS = _rows(
    "sourcedId|status|dateLastModified|name|type|identifier|parentSourcedId",
    "d1|||Unified District|district||",
    "s1|||North High|school|NH|d1",
)
SESSIONS = _rows(
    "sourcedId|status|dateLastModified|title|type|startDate|endDate|parentSourcedId|schoolYear",
    "t1|||Fall|term|2025-08-20|2025-12-19||2026",
)
CLASSES = _rows(
    "sourcedId|status|dateLastModified|title|grades|courseSourcedId|classCode|classType|"
    "location|schoolSourcedId|termSourcedIds|subjects|subjectCodes|periods",
    "c1|||Algebra I|09,10|co1|ALG-1|scheduled|Room 4|s1|t1|Math||1,2",
)
ENROLLMENTS = _rows(
    "sourcedId|status|dateLastModified|classSourcedId|schoolSourcedId|userSourcedId|role|"
    "primary|beginDate|endDate",
    "e1|||c1|s1|u1|teacher|true|2025-08-20|",
    "e2|||c1|s1|u2|student|false||",
)
USERS_11 = _rows(
    "sourcedId|status|dateLastModified|enabledUser|orgSourcedIds|role|username|userIds|"
    "givenName|familyName|middleName|identifier|email|sms|phone|agentSourcedIds|grades|"
    "password",
    "u1|||true|s1|teacher|tjones|{LDAP:tj1}|Tess|Jones||T1|tjones@example.org|||||secret",
    "u2|||TRUE|s1|student|bkim||Bo|Kim||S2|bkim@example.org||||09|",
)
USERS_12 = _rows(
    "sourcedId|status|dateLastModified|enabledUser|username|userIds|givenName|familyName|"
    "middleName|identifier|email|sms|phone|agentSourcedIds|grades|password|"
    "userMasterIdentifier|preferredGivenName|preferredMiddleName|preferredFamilyName|"
    "primaryOrgSourcedId|pronouns",
    "u1|||true|tjones||Tess|Jones||T1|tjones@example.org|||||||Tessa|||s1|",
    "u2|||true|bkim||Bo|Kim||S2|bkim@example.org||||09||||||s1|",
)
ROLES = _rows(
    "sourcedId|status|dateLastModified|userSourcedId|roleType|role|beginDate|endDate|"
    "orgSourcedId|userProfileSourcedId",
    "r1|||u1|primary|teacher|||s1|",
    "r2|||u2|primary|student|||s1|",
    "r3|||u1|secondary|teacher|2025-08-20||d1|",
)


def files(version: str = "1.1", **changes: str | bytes | None) -> Files:
    """A good bulk package's files; ``name=text`` replaces a file, ``name=None`` drops it."""
    found: Files = {
        "manifest.csv": manifest(version),
        "orgs.csv": csv_text(ORGS),
        "academicSessions.csv": csv_text(SESSIONS),
        "classes.csv": csv_text(CLASSES),
        "enrollments.csv": csv_text(ENROLLMENTS),
        "users.csv": csv_text(USERS_12 if version == "1.2" else USERS_11),
    }
    if version == "1.2":
        found["roles.csv"] = csv_text(ROLES)
    for stem, text in changes.items():
        name = f"{stem}.csv"
        if text is None:
            found.pop(name, None)
        else:
            found[name] = text
    return found


def zipped(entries: Files, folder: str = "") -> io.BytesIO:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(folder + name, data)
    buffer.seek(0)
    return buffer


def package(version: str = "1.1", **changes: str | bytes | None) -> Package:
    return open_package(zipped(files(version, **changes)))


def rows(pkg: Package, kind: str) -> list[CsvRow]:
    return list(pkg.rows(kind))


def with_row(table: list[list[str]], *extra: list[str]) -> str:
    return csv_text([*table, *extra])
