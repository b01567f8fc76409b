"""The local SIS's district as a OneRoster CSV package (a zip), version 1.1 or 1.2, bulk or delta.

The package holds the same records the SIS's REST listings serve, so a district synced over REST
and one imported from the package should end the same (tests/csvsource). Files and headers follow
the 1EdTech "OneRoster 1.1 CSV Tables" and "OneRoster 1.2 CSV Binding": ``manifest.csv``,
``orgs``, ``academicSessions``, ``courses``, ``classes``, ``users`` and ``enrollments`` (1.2 adds
``roles.csv``; ``userProfiles.csv`` is absent), RFC 4180 quoting, UTF-8, no carriage return inside a
field. A bulk package leaves ``status`` and ``dateLastModified`` blank and leaves out
``tobedeleted`` records (a bulk file is the whole set: what it lacks is gone); a delta package
(``since``) holds only the records whose ``dateLastModified`` is later, with both columns filled,
and says ``delta`` in the manifest. A file without rows is marked ``absent`` and left out (the
binding permits no file with a header only). Rows are written one at a time into the zip member.

    python -m tools.oneroster_sis export-csv --students 500 --version 1.1 out.zip
    GET /_control/export-csv?version=1.2[&since=2026-01-01T00:00:00Z]   (the running SIS's data)
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import tempfile
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

from tools.oneroster_sis.generator import DistrictSpec, generate_district
from tools.oneroster_sis.model import ROLE_12_TO_11
from tools.oneroster_sis.store import parse_timestamp

Record = dict[str, Any]
Records = Mapping[str, Sequence[Record]]
Row = dict[str, str]
VERSIONS = ("1.1", "1.2")
SYSTEM_NAME = "Rostersync local SIS"
SYSTEM_CODE = "rostersync-local-sis"

_COMMON = ("sourcedId", "status", "dateLastModified")
_USERS_COMMON = ("username", "userIds", "givenName", "familyName", "middleName", "identifier")
_CONTACT = ("email", "sms", "phone", "agentSourcedIds", "grades", "password")
HEADERS: dict[str, dict[str, tuple[str, ...]]] = {
    "1.1": {
        "orgs": (*_COMMON, "name", "type", "identifier", "parentSourcedId"),
        "academicSessions": (
            *_COMMON,
            *("title", "type", "startDate", "endDate", "parentSourcedId", "schoolYear"),
        ),
        "courses": (
            *_COMMON,
            *("schoolYearSourcedId", "title", "courseCode", "grades", "orgSourcedId"),
            *("subjects", "subjectCodes"),
        ),
        "classes": (
            *_COMMON,
            *("title", "grades", "courseSourcedId", "classCode", "classType", "location"),
            *("schoolSourcedId", "termSourcedIds", "subjects", "subjectCodes", "periods"),
        ),
        "users": (
            *_COMMON,
            *("enabledUser", "orgSourcedIds", "role", *_USERS_COMMON, *_CONTACT),
        ),
        "enrollments": (
            *_COMMON,
            *("classSourcedId", "schoolSourcedId", "userSourcedId", "role", "primary"),
            *("beginDate", "endDate"),
        ),
    },
}
HEADERS["1.2"] = {
    **HEADERS["1.1"],
    "users": (
        *_COMMON,
        *("enabledUser", *_USERS_COMMON, *_CONTACT, "userMasterIdentifier"),
        *("preferredGivenName", "preferredMiddleName", "preferredFamilyName"),
        *("primaryOrgSourcedId", "pronouns"),
    ),
    "roles": (
        *_COMMON,
        *("userSourcedId", "roleType", "role", "beginDate", "endDate", "orgSourcedId"),
        "userProfileSourcedId",
    ),
}
# Every file the manifest names, per version (those not written are "absent").
MANIFEST_FILES: dict[str, tuple[str, ...]] = {
    "1.1": (
        *("academicSessions", "categories", "classes", "classResources", "courses"),
        *("courseResources", "demographics", "enrollments", "lineItems", "orgs"),
        *("resources", "results", "users"),
    ),
}
MANIFEST_FILES["1.2"] = (
    *MANIFEST_FILES["1.1"],
    *("lineItemLearningObjectiveIds", "lineItemScoreScales", "resultLearningObjectiveIds"),
    *("resultScoreScales", "roles", "scoreScales", "userProfiles", "userResources"),
)


class ExportError(ValueError):
    """A request the exporter cannot follow; the message names the parameter and the fix."""


# ---- records → rows --------------------------------------------------------------------------


def _id(value: Any) -> str:
    return str(value.get("sourcedId") or "") if isinstance(value, Mapping) else ""


def _ids(values: Any) -> str:
    return ",".join(_id(v) for v in values or () if _id(v))


def _joined(values: Any) -> str:
    return ",".join(str(v) for v in values or ())


def _bool(value: Any) -> str:
    if value is None:
        return ""
    truth = value if isinstance(value, bool) else str(value).strip().lower() in ("true", "1")
    return "true" if truth else "false"


def _text(record: Record, *names: str) -> Row:
    return {n: str(record[n]) for n in names if record.get(n) is not None}


def _org(record: Record) -> Row:
    return {
        **_text(record, "name", "type", "identifier"),
        "parentSourcedId": _id(record.get("parent")),
    }


def _session(record: Record) -> Row:
    row = _text(record, "title", "type", "startDate", "endDate", "schoolYear")
    return {**row, "parentSourcedId": _id(record.get("parent"))}


def _course(record: Record) -> Row:
    year = record.get("schoolYear")
    return {
        **_text(record, "title", "courseCode"),
        "schoolYearSourcedId": _id(year) if isinstance(year, Mapping) else str(year or ""),
        "orgSourcedId": _id(record.get("org")),
        **{n: _joined(record.get(n)) for n in ("grades", "subjects", "subjectCodes")},
    }


def _class(record: Record) -> Row:
    return {
        **_text(record, "title", "classCode", "classType", "location"),
        "courseSourcedId": _id(record.get("course")),
        "schoolSourcedId": _id(record.get("school")),
        "termSourcedIds": _ids(record.get("terms")),
        **{n: _joined(record.get(n)) for n in ("grades", "subjects", "subjectCodes", "periods")},
    }


def _user_common(record: Record) -> Row:
    user_ids = record.get("userIds") or ()
    return {
        **_text(record, *_USERS_COMMON, "email", "sms", "phone", "password"),
        "enabledUser": _bool(record.get("enabledUser", True)),
        "userIds": ",".join(f"{{{u.get('type', '')}:{u.get('identifier', '')}}}" for u in user_ids),
        "agentSourcedIds": _ids(record.get("agents")),
        "grades": _joined(record.get("grades")),
    }


def _user_11(record: Record) -> Row:
    """1.1 users carry one role (the primary one, in 1.1's vocabulary) in every org they have a
    role in, as the SIS's 1.1 REST listing renders them."""
    roles = record.get("roles") or []
    primary = next((r for r in roles if r.get("roleType") == "primary"), roles[0] if roles else {})
    role = str(primary.get("role", ""))
    orgs = dict.fromkeys(_id(r.get("org")) for r in roles if _id(r.get("org")))
    return {
        **_user_common(record),
        "role": ROLE_12_TO_11.get(role, role),
        "orgSourcedIds": ",".join(orgs),
    }


def _user_12(record: Record) -> Row:
    return {
        **_user_common(record),
        **_text(record, "userMasterIdentifier", "pronouns"),
        "preferredGivenName": str(record.get("preferredFirstName") or ""),
        "preferredMiddleName": str(record.get("preferredMiddleName") or ""),
        "preferredFamilyName": str(record.get("preferredLastName") or ""),
        "primaryOrgSourcedId": _id(record.get("primaryOrg")),
    }


def _enrollment(record: Record) -> Row:
    return {
        **_text(record, "role", "beginDate", "endDate"),
        "classSourcedId": _id(record.get("class")),
        "schoolSourcedId": _id(record.get("school")),
        "userSourcedId": _id(record.get("user")),
        "primary": _bool(record.get("primary")),
    }


def role_rows(user: Record) -> Iterator[Row]:
    """A 1.2 user's ``roles[]`` as ``roles.csv`` rows; a role's sourcedId is the user's with the
    role's position, so it stays the same from one export to the next."""
    for index, role in enumerate(user.get("roles") or (), start=1):
        yield {
            "sourcedId": f"{user['sourcedId']}-role-{index}",
            "userSourcedId": str(user["sourcedId"]),
            "roleType": str(role.get("roleType") or ""),
            "role": str(role.get("role") or ""),
            "orgSourcedId": _id(role.get("org")),
            "userProfileSourcedId": _id(role.get("userProfile")),
            **_text(role, "beginDate", "endDate"),
        }


ROW_BUILDERS: dict[str, Callable[[Record], Row]] = {
    "orgs": _org,
    "academicSessions": _session,
    "courses": _course,
    "classes": _class,
    "enrollments": _enrollment,
}


def _builder(kind: str, version: str) -> Callable[[Record], Row]:
    if kind == "users":
        return _user_11 if version == "1.1" else _user_12
    return ROW_BUILDERS[kind]


# ---- the package -----------------------------------------------------------------------------


class _Selection:
    """Which records a package holds and what their status and dateLastModified columns say."""

    def __init__(self, since: dt.datetime | None) -> None:
        self.since = since
        self.mode = "bulk" if since is None else "delta"

    def wanted(self, record: Record) -> bool:
        if self.since is None:
            return record.get("status") != "tobedeleted"
        try:
            return parse_timestamp(str(record.get("dateLastModified") or "")) > self.since
        except ValueError:
            return True  # an unreadable stamp: sent, so the change is not lost

    def common(self, record: Record) -> Row:
        status = str(record.get("status") or "active")
        if self.since is None:  # bulk: both blank; a status outside the vocabulary stays
            return {"status": "" if status == "active" else status, "dateLastModified": ""}
        return {"status": status, "dateLastModified": str(record.get("dateLastModified") or "")}


def _rows(records: Records, kind: str, version: str, select: _Selection) -> Iterator[Row]:
    if kind == "roles":
        for user in records.get("users", ()):
            if select.wanted(user):
                yield from ({**row, **select.common(user)} for row in role_rows(user))
        return
    build = _builder(kind, version)
    for record in records.get(kind, ()):
        if select.wanted(record):
            yield {**build(record), "sourcedId": str(record["sourcedId"]), **select.common(record)}


def _cell(value: str) -> str:
    """The binding permits no carriage return inside a field."""
    return value.replace("\r\n", "\n").replace("\r", "\n")


def _write_csv(
    archive: zipfile.ZipFile, name: str, header: Sequence[str], rows: Iterator[Sequence[str]]
) -> int:
    count = 0
    with (
        archive.open(name, "w") as raw,
        io.TextIOWrapper(raw, encoding="utf-8", newline="") as text,
    ):
        writer = csv.writer(text, lineterminator="\r\n")
        writer.writerow(header)
        for row in rows:
            writer.writerow([_cell(value) for value in row])
            count += 1
    return count


def write_package(
    records: Records,
    out: IO[bytes] | Path,
    *,
    version: str = "1.2",
    since: dt.datetime | None = None,
) -> dict[str, int]:
    """Writes the package into ``out`` (a path or a binary file); the rows of each file written.
    ``since`` (timezone-aware) makes a delta of the records modified after it."""
    if version not in VERSIONS:
        raise ExportError(f"version: {version!r} is not a OneRoster CSV version; use 1.1 or 1.2")
    if since is not None and since.tzinfo is None:
        raise ExportError("since: give a timestamp with a zone, e.g. 2026-01-31T08:00:00Z")
    select = _Selection(since)
    headers = HEADERS[version]
    present = [k for k in headers if next(_rows(records, k, version, select), None) is not None]
    counts: dict[str, int] = {}
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        manifest = _manifest(version, {k: select.mode for k in present})
        counts["manifest.csv"] = _write_csv(
            archive, "manifest.csv", ("propertyName", "value"), manifest
        )
        for kind in present:
            header = headers[kind]
            rows = (
                [row.get(h, "") for h in header] for row in _rows(records, kind, version, select)
            )
            counts[f"{kind}.csv"] = _write_csv(archive, f"{kind}.csv", header, rows)
    return counts


def _manifest(version: str, modes: Mapping[str, str]) -> Iterator[tuple[str, str]]:
    yield ("manifest.version", "1.0")
    yield ("oneroster.version", version)
    for name in MANIFEST_FILES[version]:
        yield (f"file.{name}", modes.get(name, "absent"))
    yield ("source.systemName", SYSTEM_NAME)
    yield ("source.systemCode", SYSTEM_CODE)


def spool_package(
    records: Records, version: str = "1.2", since: dt.datetime | None = None
) -> IO[bytes]:
    """The package in a temporary file (kept in memory up to 8 MiB), rewound, to stream out."""
    spooled = tempfile.SpooledTemporaryFile(max_size=8 << 20)  # noqa: SIM115  (the caller closes)
    try:
        write_package(records, spooled, version=version, since=since)
    except BaseException:
        spooled.close()
        raise
    spooled.seek(0)
    return spooled


def parse_since(text: str | None) -> dt.datetime | None:
    """``since`` as given to the control API or the command line: ISO 8601 with a zone."""
    if not text:
        return None
    try:
        moment = parse_timestamp(text)
    except ValueError:
        raise ExportError(
            f"since: {text!r} is not an ISO 8601 timestamp; use e.g. 2026-01-31T08:00:00Z"
        ) from None
    return moment


# ---- python -m tools.oneroster_sis export-csv ------------------------------------------------


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.oneroster_sis export-csv",
        description="Writes the generated district as a OneRoster CSV package (a zip).",
    )
    parser.add_argument("out", type=Path, help="the .zip to write")
    parser.add_argument("--version", default="1.2", choices=VERSIONS)
    parser.add_argument("--since", help="a delta of the records modified after this ISO time")
    parser.add_argument("--students", type=int, default=200)
    parser.add_argument("--schools", type=int, default=None)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--today", type=dt.date.fromisoformat, default=None)
    parser.add_argument("--defects", action="store_true", help="with the defects of --defects")
    args = parser.parse_args(list(argv))
    try:
        spec = DistrictSpec(
            seed=args.seed,
            students=args.students,
            schools=args.schools,
            today=args.today,
            defects=args.defects,
        )
        counts = write_package(
            generate_district(spec), args.out, version=args.version, since=parse_since(args.since)
        )
    except (ValueError, OSError) as error:
        parser.exit(2, f"export-csv: {error}\n")
    rows = ", ".join(f"{name} {n}" for name, n in counts.items())
    print(f"wrote {args.out} (OneRoster {args.version} CSV; rows: {rows})")
    return 0
