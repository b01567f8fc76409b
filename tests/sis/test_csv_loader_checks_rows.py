"""The local SIS's CSV loader holds a package to the OneRoster CSV binding (issue 12): a bad row
or header is refused naming the file, the line and the fix, and ``status`` is kept as given."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
import requests

from tools.oneroster_sis.__main__ import main
from tools.oneroster_sis.csvload import CsvRowError, load_csv_package, read_csv_package

SAMPLES = Path(__file__).parent.parent / "fixtures" / "oneroster-samples"
ORGS_HEADER = "sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId"


def package(tmp_path: Path, **files: str) -> Path:
    folder = tmp_path / "package"
    folder.mkdir()
    (folder / "manifest.csv").write_text("propertyName,value\noneroster.version,1.1\n")
    for kind, text in files.items():
        (folder / f"{kind}.csv").write_text(text)
    return folder


def orgs(*rows: str) -> str:
    return "\n".join([ORGS_HEADER, *rows]) + "\n"


def test_a_row_without_a_sourced_id_is_refused_naming_the_file_and_line(tmp_path) -> None:
    folder = package(tmp_path, orgs=orgs(",,,North High,school,,", ",,,South High,school,,"))
    with pytest.raises(CsvRowError) as refused:
        load_csv_package(folder)
    assert (refused.value.file, refused.value.line) == (str(folder / "orgs.csv"), 2)
    assert "no sourcedId" in str(refused.value)
    assert "give every row a sourcedId" in str(refused.value)


def test_a_missing_required_column_is_refused_naming_it(tmp_path) -> None:
    folder = package(tmp_path, orgs="sourcedId,status,name\no1,,North High\n")
    with pytest.raises(CsvRowError) as refused:
        load_csv_package(folder)
    assert refused.value.line == 1
    assert "type" in refused.value.problem


def test_the_line_number_counts_quoted_fields_that_span_lines(tmp_path) -> None:
    text = orgs('o1,,,"North\nHigh",school,,', "o2,,,South High,school,,", ",,,X,school,,")
    with pytest.raises(CsvRowError) as refused:
        load_csv_package(package(tmp_path, orgs=text))
    assert refused.value.line == 5


def test_statuses_are_loaded_as_given(tmp_path) -> None:
    text = orgs(
        "o1,active,,A,school,,",
        "o2,tobedeleted,,B,school,,",
        "o3,inactive,,C,school,,",
        "o4,,,D,school,,",
    )
    loaded = load_csv_package(package(tmp_path, orgs=text))
    statuses = {r["sourcedId"]: r["status"] for r in loaded["orgs"]}
    assert statuses == {"o1": "active", "o2": "tobedeleted", "o3": "inactive", "o4": "active"}


def test_an_unknown_status_is_loaded_as_given_and_reported_naming_the_row(tmp_path) -> None:
    folder = package(tmp_path, orgs=orgs("o1,active,,A,school,,", "o2,archived,,B,school,,"))
    loaded = read_csv_package(folder)
    [problem] = loaded.problems
    assert {r["sourcedId"]: r["status"] for r in loaded.records["orgs"]}["o2"] == "archived"
    assert (problem.file, problem.line, problem.column) == (str(folder / "orgs.csv"), 3, "status")
    assert "'archived'" in problem.reason and problem.action == "loaded as given"


ACADEMIC = (
    "sourcedId,status,dateLastModified,title,type,startDate,endDate,parentSourcedId,schoolYear"
)
CLASSES = (
    "sourcedId,status,dateLastModified,title,grades,courseSourcedId,classCode,classType,location,"
    "schoolSourcedId,termSourcedIds,subjects,subjectCodes,periods"
)
ENROLLMENTS = (
    "sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,userSourcedId,role,"
    "primary,beginDate,endDate"
)
USERS = (
    "sourcedId,status,dateLastModified,enabledUser,orgSourcedIds,role,username,givenName,familyName"
)


def broken_package(tmp_path: Path) -> Path:
    return package(
        tmp_path,
        orgs=orgs("sch,,,North High,school,,", "dep,,,Maths,faculty,,"),
        academicSessions="\n".join(
            [
                ACADEMIC,
                "t1,,,Fall,term,2026-08-15,2026-12-20,,2027",
                "t2,,,Backwards,term,2027-06-01,2026-09-01,,2027",
                "t3,,,Sloppy,term,08/15/2026,2026-12-20,,2027",
            ]
        )
        + "\n",
        courses="sourcedId,status,dateLastModified,title,orgSourcedId\nc1,,,Algebra,sch\n",
        classes=f'{CLASSES}\nk1,,,Algebra 1,,c1,,scheduled,,sch,"t1,t-ghost",,,1\n'
        "k2,,,Ghost course,,c-ghost,,scheduled,,sch,t1,,,1\n",
        users=f"{USERS}\nu1,,,true,sch,student,u1,A,B\nu2,,,true,sch,wizard,u2,C,D\n"
        "u1,,,true,sch,student,u1,Twin,Copy\n",
        enrollments="\n".join(
            [
                ENROLLMENTS,
                "e1,,,k1,sch,u1,student,,2026-09-01,2026-06-01",
                "e2,,,k1,sch,u-ghost,janitor,,,",
                "e3,,,k-ghost,sch,u2,student,,,",
            ]
        )
        + "\n",
    )


def test_bad_values_are_loaded_as_given_and_reported_with_file_line_and_column(
    tmp_path,
) -> None:
    folder = broken_package(tmp_path)
    loaded = read_csv_package(folder)
    found = {(Path(p.file).name, p.line, p.column): p for p in loaded.problems}
    expected = {
        ("orgs.csv", 3, "type"): "'faculty' is not a OneRoster 1.1 type",
        ("academicSessions.csv", 3, "startDate"): "startDate 2027-06-01 is after endDate",
        ("academicSessions.csv", 4, "startDate"): "'08/15/2026' is not an ISO 8601 date",
        ("classes.csv", 2, "termSourcedIds"): "'t-ghost' names no row of academicSessions.csv",
        ("classes.csv", 3, "courseSourcedId"): "'c-ghost' names no row of courses.csv",
        ("users.csv", 3, "role"): "'wizard' is not a OneRoster 1.1 role",
        ("users.csv", 4, "sourcedId"): "sourcedId 'u1' is also on line 2",
        ("enrollments.csv", 2, "beginDate"): "beginDate 2026-09-01 is after endDate",
        ("enrollments.csv", 3, "role"): "'janitor' is not a OneRoster 1.1 role",
        ("enrollments.csv", 3, "userSourcedId"): "'u-ghost' names no row of users.csv",
        ("enrollments.csv", 4, "classSourcedId"): "'k-ghost' names no row of classes.csv",
    }
    assert set(found) == set(expected)
    for key, reason in expected.items():
        assert reason in found[key].reason, (key, found[key])
    assert found[("users.csv", 4, "sourcedId")].action == "skipped"
    records = loaded.records
    assert {r["sourcedId"] for r in records["enrollments"]} == {"e1", "e2", "e3"}
    assert [u["givenName"] for u in records["users"] if u["sourcedId"] == "u1"] == ["A"]
    assert {r["sourcedId"]: r["type"] for r in records["orgs"]}["dep"] == "faculty"


def test_the_control_api_answers_400_with_the_refused_rows_and_200_with_the_rest(
    make_sis, tmp_path
) -> None:
    running = make_sis(students=10)
    before = running.sis.store.counts()
    (tmp_path / "bad").mkdir()
    bad = package(tmp_path / "bad", orgs=orgs(",,,A,school,,", ",,,B,school,,"))
    url = f"{running.origin}/_control/load-csv"
    refused = requests.post(url, json={"path": str(bad)}, timeout=10)
    missing = requests.post(url, json={"path": str(tmp_path / "nowhere")}, timeout=10)
    no_path = requests.post(url, json={}, timeout=10)
    assert running.sis.store.counts() == before
    assert [a.status_code for a in (refused, missing, no_path)] == [400, 400, 400]
    assert [p["line"] for p in refused.json()["problems"]] == [2, 3]
    assert all("Traceback" not in a.text for a in (refused, missing, no_path))
    loaded = requests.post(url, json={"path": str(broken_package(tmp_path))}, timeout=10)
    assert loaded.status_code == 200 and len(loaded.json()["problems"]) == 11
    assert running.sis.store.counts()["enrollments"] == 3


def test_a_row_error_in_a_zip_names_the_archive_and_member(tmp_path) -> None:
    archive = tmp_path / "package.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr("orgs.csv", orgs(",,,A,school,,"))
    with pytest.raises(CsvRowError) as refused:
        load_csv_package(archive)
    assert refused.value.file == f"{archive}:orgs.csv"


def test_the_server_prints_a_bad_package_as_one_line_and_exits_2(tmp_path, capsys) -> None:
    folder = package(tmp_path, orgs=orgs(",,,A,school,,"))
    assert main(["--csv", str(folder), "--port", "0"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert f"{folder / 'orgs.csv'} line 2" in err


@pytest.mark.parametrize(
    "sample", ["rosterhub-v1p1-csv-en", "moodle-enrol_oneroster-fixtures/oneroster_test_data.zip"]
)
def test_the_public_samples_still_load(sample) -> None:
    loaded = load_csv_package(SAMPLES / sample)
    assert loaded["orgs"] and loaded["users"] and loaded["enrollments"]
    assert all(r["status"] == "active" for kind in loaded.values() for r in kind)
