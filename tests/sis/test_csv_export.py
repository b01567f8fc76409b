"""The local SIS's CSV export: the package of exactly the district its REST listings serve, with
the headers of the OneRoster 1.1 CSV tables and the 1.2 CSV binding, RFC 4180 quoting, bulk and
delta."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests

from tests.conftest import CLIENT_ID, CLIENT_SECRET, bearer_session
from tools.oneroster_sis.__main__ import main as sis_main
from tools.oneroster_sis.app import OneRosterSis, SisConfig
from tools.oneroster_sis.csvexport import write_package
from tools.oneroster_sis.csvload import read_csv_package
from tools.oneroster_sis.generator import DistrictSpec, generate_district
from tools.oneroster_sis.harness import RunningSis, serve
from tools.oneroster_sis.store import Store

COMMON = ["sourcedId", "status", "dateLastModified"]
# Written out here, not taken from the exporter, so a wrong header fails.
SAME_IN_BOTH = {
    "orgs.csv": [*COMMON, "name", "type", "identifier", "parentSourcedId"],
    "academicSessions.csv": [
        *COMMON,
        *["title", "type", "startDate", "endDate", "parentSourcedId", "schoolYear"],
    ],
    "courses.csv": [
        *COMMON,
        *["schoolYearSourcedId", "title", "courseCode", "grades", "orgSourcedId", "subjects"],
        "subjectCodes",
    ],
    "classes.csv": [
        *COMMON,
        *["title", "grades", "courseSourcedId", "classCode", "classType", "location"],
        *["schoolSourcedId", "termSourcedIds", "subjects", "subjectCodes", "periods"],
    ],
    "enrollments.csv": [
        *COMMON,
        *["classSourcedId", "schoolSourcedId", "userSourcedId", "role", "primary", "beginDate"],
        "endDate",
    ],
}
USERS_11 = [
    *COMMON,
    *["enabledUser", "orgSourcedIds", "role", "username", "userIds", "givenName", "familyName"],
    *["middleName", "identifier", "email", "sms", "phone", "agentSourcedIds", "grades"],
    "password",
]
USERS_12 = [
    *COMMON,
    *["enabledUser", "username", "userIds", "givenName", "familyName", "middleName"],
    *["identifier", "email", "sms", "phone", "agentSourcedIds", "grades", "password"],
    *["userMasterIdentifier", "preferredGivenName", "preferredMiddleName"],
    *["preferredFamilyName", "primaryOrgSourcedId", "pronouns"],
]
ROLES_12 = [
    *COMMON,
    *["userSourcedId", "roleType", "role", "beginDate", "endDate", "orgSourcedId"],
    "userProfileSourcedId",
]
LISTINGS = {  # file → (REST collection, envelope)
    "orgs.csv": "orgs",
    "academicSessions.csv": "academicSessions",
    "courses.csv": "courses",
    "classes.csv": "classes",
    "users.csv": "users",
    "enrollments.csv": "enrollments",
}


@pytest.fixture(scope="module")
def district() -> Iterator[RunningSis]:
    """One SIS for the tests that only read (those that change data start their own)."""
    store = Store()
    spec = DistrictSpec(seed=3, students=60, schools=2, rate_tobedeleted=0.05)
    store.replace_all(generate_district(spec))
    sis = OneRosterSis(store, {CLIENT_ID: CLIENT_SECRET}, SisConfig())
    with serve(sis) as running:
        yield running


def export(running: RunningSis, **params: str) -> zipfile.ZipFile:
    response = requests.get(f"{running.origin}/_control/export-csv", params=params, timeout=10)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "application/zip"
    return zipfile.ZipFile(io.BytesIO(response.content))


def table(archive: zipfile.ZipFile, name: str) -> list[list[str]]:
    with archive.open(name) as raw:
        return list(csv.reader(io.TextIOWrapper(raw, encoding="utf-8", newline="")))


def manifest(archive: zipfile.ZipFile) -> dict[str, str]:
    header, *rows = table(archive, "manifest.csv")
    assert header == ["propertyName", "value"]
    return dict((name, value) for name, value in rows)


@pytest.mark.parametrize("version", ["1.1", "1.2"])
def test_headers_and_manifest_follow_the_version(district: RunningSis, version: str) -> None:
    archive = export(district, version=version)
    expected = {**SAME_IN_BOTH, "users.csv": USERS_11 if version == "1.1" else USERS_12}
    if version == "1.2":
        expected["roles.csv"] = ROLES_12
    assert sorted(archive.namelist()) == sorted(["manifest.csv", *expected])
    for name, header in expected.items():
        assert table(archive, name)[0] == header, name
    files = manifest(archive)
    assert files["manifest.version"] == "1.0" and files["oneroster.version"] == version
    assert {k[5:] for k, v in files.items() if v == "bulk"} == {n[:-4] for n in expected}
    assert files["file.demographics"] == files["file.lineItems"] == "absent"
    assert ("file.userProfiles" in files) is (version == "1.2")
    bulk_rows = [row for name in expected for row in table(archive, name)[1:]]
    assert all(row[1] == "" and row[2] == "" for row in bulk_rows)  # status, dateLastModified


def test_a_title_with_comma_quote_and_newline_is_quoted(
    make_sis: Callable[..., RunningSis],
) -> None:
    running = make_sis(students=30)
    title = 'Art, "Studio"\r\nand Design'
    patched = requests.patch(
        f"{running.origin}/_control/records/classes/cls-000001", json={"title": title}, timeout=10
    )
    assert patched.status_code == 200
    archive = export(running, version="1.2")
    raw = archive.read("classes.csv").decode("utf-8")
    assert '"Art, ""Studio""\nand Design"' in raw  # quoted, quotes doubled, no CR inside
    rows = {row[0]: row for row in table(archive, "classes.csv")}
    assert rows["cls-000001"][3] == 'Art, "Studio"\nand Design'
    assert rows["cls-000001"][4] == "06,07,08"  # a list in one quoted field


def test_row_counts_equal_the_rest_listings(district: RunningSis) -> None:
    """A bulk package holds every record the listing serves but the tobedeleted ones."""
    running = district
    session = bearer_session(running)
    archive = export(running, version="1.2")
    roles = 0
    for name, collection in LISTINGS.items():
        url = f"{running.base_url('1.2')}/{collection}"
        listed = session.get(url, params={"limit": 5000}, timeout=10)
        assert listed.status_code == 200
        records = listed.json()[collection]
        assert int(listed.headers["X-Total-Count"]) == len(records)
        served = [r for r in records if r["status"] != "tobedeleted"]
        assert len(table(archive, name)) - 1 == len(served), name
        roles += sum(len(r.get("roles", [])) for r in served if collection == "users")
    assert len(table(archive, "roles.csv")) - 1 == roles
    assert not any(row[1] for row in table(archive, "enrollments.csv")[1:])  # status blank


def test_the_package_loads_back_into_the_same_records(tmp_path: Path) -> None:
    """The SIS's own CSV loader reads the export back into the records it was written from."""
    records = generate_district(DistrictSpec(seed=5, students=40, rate_tobedeleted=0.0))
    out = tmp_path / "district.zip"
    write_package(records, out, version="1.2")
    loaded = read_csv_package(out).records
    for kind in ("orgs", "academicSessions", "classes", "enrollments"):
        assert {r["sourcedId"] for r in loaded[kind]} == {r["sourcedId"] for r in records[kind]}
    by_id = {u["sourcedId"]: u for u in loaded["users"]}
    for user in records["users"]:
        got = by_id[user["sourcedId"]]
        for field in ("givenName", "familyName", "email", "userIds", "roles", "primaryOrg"):
            assert got.get(field) == user.get(field), (user["sourcedId"], field)
    classes = {c["sourcedId"]: c for c in loaded["classes"]}
    for cls in records["classes"]:
        assert classes[cls["sourcedId"]]["terms"] == cls["terms"]


def test_a_delta_holds_only_what_changed_after_since(make_sis: Callable[..., RunningSis]) -> None:
    running = make_sis(students=30)
    since = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    base = f"{running.origin}/_control/records"
    requests.patch(f"{base}/classes/cls-000002", json={"title": "Renamed"}, timeout=10)
    requests.delete(f"{base}/enrollments/enr-0000003?mode=tobedeleted", timeout=10)
    archive = export(running, version="1.1", since=since.isoformat())
    files = manifest(archive)
    assert files["file.classes"] == files["file.enrollments"] == "delta"
    assert files["file.users"] == files["file.orgs"] == "absent"  # nothing changed: no file
    assert sorted(archive.namelist()) == ["classes.csv", "enrollments.csv", "manifest.csv"]
    (cls,) = table(archive, "classes.csv")[1:]
    assert cls[:2] == ["cls-000002", "active"] and cls[2] > since.isoformat()[:19]
    (enrollment,) = table(archive, "enrollments.csv")[1:]
    assert enrollment[:2] == ["enr-0000003", "tobedeleted"]


def test_bad_parameters_get_a_400_naming_the_parameter(district: RunningSis) -> None:
    running = district
    for params, named in (({"version": "2.0"}, "version"), ({"since": "yesterday"}, "since")):
        response = requests.get(f"{running.origin}/_control/export-csv", params=params, timeout=10)
        assert response.status_code == 400
        assert response.json()["error"].startswith(f"{named}:")


def test_the_command_line_writes_a_package(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "d.zip"
    args = ["export-csv", "--students", "20", "--version", "1.1", "--defects", str(out)]
    assert sis_main(args) == 0
    assert "users.csv" in capsys.readouterr().out
    assert manifest(zipfile.ZipFile(out))["oneroster.version"] == "1.1"
