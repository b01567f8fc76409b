"""The local SIS's CSV loader holds a package to the OneRoster CSV binding (issue 12): a bad row
or header is refused naming the file, the line and the fix, and ``status`` is kept as given."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from tools.oneroster_sis.__main__ import main
from tools.oneroster_sis.csvload import CsvRowError, load_csv_package

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


def test_an_unknown_status_is_refused_naming_the_row(tmp_path) -> None:
    folder = package(tmp_path, orgs=orgs("o1,active,,A,school,,", "o2,archived,,B,school,,"))
    with pytest.raises(CsvRowError) as refused:
        load_csv_package(folder)
    assert refused.value.line == 3
    assert "'o2'" in refused.value.problem and "'archived'" in refused.value.problem


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
