"""File-level defects of a OneRoster CSV package: each raises PackageError with the file, the
reason and the fix (the run fails, nothing is removed); package-level infos become notes."""

from __future__ import annotations

import io

import pytest

from shared.csvpackage import PackageError, open_package
from tests.csvpackage.builders import (
    USERS_11,
    csv_text,
    files,
    manifest,
    package,
    rows,
    zipped,
)


def _refused(data: io.BytesIO) -> PackageError:
    with pytest.raises(PackageError) as caught:
        open_package(data)
    return caught.value


def test_a_good_bulk_package_opens_with_its_manifest() -> None:
    pkg = package("1.1")
    assert pkg.manifest.version == "1.1" and pkg.manifest.kind == "full"
    assert pkg.manifest.source == "Test SIS"
    assert pkg.manifest.files["users"] == "bulk" and pkg.manifest.files["lineItems"] == "absent"
    assert pkg.notes == ()


def test_zero_bytes_is_an_empty_package() -> None:
    error = _refused(io.BytesIO(b""))
    assert error.reason == "the package is empty (0 bytes)" and error.file is None
    assert "zip" in error.fix


def test_a_csv_file_is_not_a_zip() -> None:
    error = _refused(io.BytesIO(b"sourcedId,status\r\nu1,active\r\n"))
    assert error.reason.startswith("the upload is not a zip file (it starts with 'sourcedId,")
    assert "text file" in str(error)


def test_a_cut_zip_and_an_empty_zip_are_named() -> None:
    whole = zipped(files()).getvalue()
    assert "damaged or cut short" in _refused(io.BytesIO(whole[: len(whole) // 2])).reason
    assert _refused(zipped({})).reason == "the zip holds no files"


def test_no_manifest_is_refused() -> None:
    entries = files()
    del entries["manifest.csv"]
    error = _refused(zipped(entries))
    assert error.file == "manifest.csv" and "no manifest.csv at its root" in error.reason


def test_oneroster_10_is_refused_with_the_versions_read() -> None:
    text = manifest().replace("oneroster.version,1.1", "oneroster.version,1.0")
    error = _refused(zipped(files(manifest=text)))
    assert error.reason == (
        "oneroster.version is 1.0; Rostersync reads OneRoster 1.1 and 1.2 packages"
    )


def test_a_file_the_manifest_lists_but_the_zip_lacks() -> None:
    entries = files()
    entries["Users.csv"] = entries.pop("users.csv")
    error = _refused(zipped(entries))
    assert error.file == "users.csv"
    assert "marks users.csv bulk but the zip has no such file" in error.reason
    assert "'Users.csv': file names are case-sensitive" in error.reason


def test_a_bulk_package_needs_its_roster_files() -> None:
    error = _refused(zipped(files(manifest=manifest(modes={"enrollments": "absent"}))))
    assert error.file == "enrollments.csv" and "needs enrollments.csv" in error.reason
    error = _refused(zipped(files("1.2", manifest=manifest("1.2", {"roles": "absent"}))))
    assert error.file == "roles.csv"


def test_a_delta_manifest_makes_a_delta_package_that_may_leave_files_out() -> None:
    modes = {"users": "delta", "orgs": "absent", "classes": "absent", "enrollments": "absent"}
    text = manifest(modes=modes)
    users = csv_text([USERS_11[0], ["u3", "active", "2025-09-01T08:00:00Z", *USERS_11[1][3:]]])
    pkg = open_package(zipped(files(manifest=text, users=users, orgs=None)))
    assert pkg.manifest.kind == "delta"
    assert rows(pkg, "orgs") == [] and rows(pkg, "classes") == []
    assert [r.record["sourcedId"] for r in rows(pkg, "users") if r.record] == ["u3"]


def test_a_misspelt_header_names_file_header_and_the_right_one() -> None:
    header = ["givenname" if c == "givenName" else c for c in USERS_11[0]]
    error = _refused(zipped(files(users=csv_text([header, *USERS_11[1:]]))))
    assert str(error).startswith(
        "users.csv: column 'givenname' is not a OneRoster 1.1 users column; "
        "did you mean 'givenName'?"
    )


def test_a_missing_required_column_is_refused() -> None:
    table = [[v for i, v in enumerate(r) if USERS_11[0][i] != "username"] for r in USERS_11]
    error = _refused(zipped(files(users=csv_text(table))))
    assert error.file == "users.csv"
    assert error.reason == "the required column 'username' is missing from the header"


def test_extension_columns_and_absent_optional_columns_are_noted_once_per_file() -> None:
    table = [[*r[:-1], f"x{i}", f"y{i}"] for i, r in enumerate(USERS_11)]  # drop password
    table[0][-2:] = ["metadata.nickname", "phoneticGivenName"]
    pkg = package(users=csv_text(table))
    notes = {n.code: n for n in pkg.notes}
    assert notes["csv_extension_columns"].file == "users.csv"
    assert "metadata.nickname, phoneticGivenName" in notes["csv_extension_columns"].reason
    assert notes["csv_extension_columns"].severity == "info"
    assert notes["csv_columns_absent"].reason.endswith("read as blank: password")
    assert [r.record["username"] for r in rows(pkg, "users") if r.record] == ["tjones", "bkim"]


def test_files_in_one_folder_and_extra_entries_are_read_with_notes() -> None:
    entries = {**files(), "README.txt": "hello", "demographics.csv": "sourcedId\r\n"}
    pkg = open_package(zipped(entries, folder="export-2025/"))
    codes = [n.code for n in pkg.notes]
    assert codes == ["csv_top_folder", "csv_files_ignored", "csv_files_ignored"]
    assert "export-2025/README.txt" in pkg.notes[1].reason
    assert "demographics.csv (the manifest marks it absent)" in pkg.notes[2].reason
    assert len(rows(pkg, "enrollments")) == 2


@pytest.mark.parametrize("good_rows", [0, 400])
def test_bytes_that_are_not_utf8_fail_naming_the_line(good_rows: int) -> None:
    """At open when the bad byte is in the header's first chunk, else while streaming."""
    header = ["sourcedId", "status", "dateLastModified", "name", "type", "identifier"]
    good = [[f"s{i}", "", "", f"School {i}", "school", ""] for i in range(good_rows)]
    text = csv_text([[*header, "parentSourcedId"], *[[*r, ""] for r in good]])
    data = text.encode() + "s-x,,,École,school,,\r\n".encode("cp1252")
    with pytest.raises(PackageError) as caught:
        rows(package(orgs=data), "orgs")
    assert caught.value.file == "orgs.csv"
    assert caught.value.reason == f"line {good_rows + 2} is not UTF-8 text (byte 0xc9)"
