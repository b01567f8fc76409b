"""A CSV row and the REST record of the same data parse to the same record; any text survives
csv.writer quoting; and a public sample package's shape (all fields quoted, metadata.* columns,
a manifest typo, a zipped folder) reads as expected."""

from __future__ import annotations

import csv
import io
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from shared.csvpackage import open_package
from shared.oneroster.records import parse_record
from tests.csvpackage.builders import CLASSES, package, rows, zipped

_REST_11: dict[str, list[dict[str, Any]]] = {
    "orgs": [
        {"sourcedId": "d1", "status": "active", "name": "Unified District", "type": "district"},
        {
            "sourcedId": "s1",
            "status": "active",
            "name": "North High",
            "type": "school",
            "identifier": "NH",
            "parent": {"href": "https://sis.example/orgs/d1", "sourcedId": "d1", "type": "org"},
        },
    ],
    "academicSessions": [
        {
            "sourcedId": "t1",
            "status": "active",
            "title": "Fall",
            "type": "term",
            "startDate": "2025-08-20",
            "endDate": "2025-12-19",
            "schoolYear": "2026",
        }
    ],
    "classes": [
        {
            "sourcedId": "c1",
            "status": "active",
            "title": "Algebra I",
            "classCode": "ALG-1",
            "classType": "scheduled",
            "location": "Room 4",
            "grades": ["09", "10"],
            "subjects": ["Math"],
            "course": {"sourcedId": "co1"},
            "school": {"sourcedId": "s1"},
            "terms": [{"sourcedId": "t1"}],
            "periods": ["1", "2"],
        }
    ],
    "enrollments": [
        {
            "sourcedId": "e1",
            "status": "active",
            "user": {"sourcedId": "u1"},
            "class": {"sourcedId": "c1"},
            "school": {"sourcedId": "s1"},
            "role": "teacher",
            "primary": "true",
            "beginDate": "2025-08-20",
        },
        {
            "sourcedId": "e2",
            "status": "active",
            "user": {"sourcedId": "u2"},
            "class": {"sourcedId": "c1"},
            "school": {"sourcedId": "s1"},
            "role": "student",
            "primary": "false",
        },
    ],
    "users": [
        {
            "sourcedId": "u1",
            "status": "active",
            "enabledUser": "true",
            "orgs": [{"sourcedId": "s1", "type": "org"}],
            "role": "teacher",
            "username": "tjones",
            "userIds": [{"type": "LDAP", "identifier": "tj1"}],
            "givenName": "Tess",
            "familyName": "Jones",
            "identifier": "T1",
            "email": "tjones@example.org",
        },
        {
            "sourcedId": "u2",
            "status": "active",
            "enabledUser": "true",
            "orgs": [{"sourcedId": "s1", "type": "org"}],
            "role": "student",
            "username": "bkim",
            "givenName": "Bo",
            "familyName": "Kim",
            "identifier": "S2",
            "email": "bkim@example.org",
            "grades": ["09"],
        },
    ],
}
_ROLE_S1 = {"roleType": "primary", "role": "teacher", "org": {"sourcedId": "s1"}}
_ROLE_D1 = {"roleType": "secondary", "role": "teacher", "org": {"sourcedId": "d1"}}
_REST_12_USERS = [
    {
        "sourcedId": "u1",
        "status": "active",
        "enabledUser": True,
        "username": "tjones",
        "givenName": "Tess",
        "familyName": "Jones",
        "preferredFirstName": "Tessa",
        "identifier": "T1",
        "email": "tjones@example.org",
        "primaryOrg": {"sourcedId": "s1"},
        "roles": [_ROLE_S1, {**_ROLE_D1, "beginDate": "2025-08-20"}],
    },
    {
        "sourcedId": "u2",
        "status": "active",
        "enabledUser": True,
        "username": "bkim",
        "givenName": "Bo",
        "familyName": "Kim",
        "identifier": "S2",
        "email": "bkim@example.org",
        "grades": ["09"],
        "primaryOrg": {"sourcedId": "s1"},
        "roles": [{**_ROLE_S1, "role": "student"}],
    },
]


def _parsed(version: str, kind: str) -> list[Any]:
    found = rows(package(version), kind)
    assert all(r.record and not r.problems for r in found)
    return [parse_record(kind, r.record, version) for r in found]


def test_csv_rows_parse_to_the_same_records_as_rest() -> None:
    for kind, rest in _REST_11.items():
        assert _parsed("1.1", kind) == [parse_record(kind, r, "1.1") for r in rest], kind
    assert _parsed("1.2", "users") == [parse_record("users", r, "1.2") for r in _REST_12_USERS]
    assert _parsed("1.2", "classes") == _parsed("1.1", "classes")


_TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"))


@settings(max_examples=40, deadline=None)
@given(title=_TEXT, location=_TEXT)
def test_any_text_written_by_csv_writer_reads_back(title: str, location: str) -> None:
    out = io.StringIO()
    row = ["c2", "", "", title, "", "co1", "", "scheduled", location, "s1", "t1", "", "", ""]
    csv.writer(out, lineterminator="\r\n").writerows([*CLASSES, row])
    record = rows(package(classes=out.getvalue()), "classes")[-1].record
    assert record is not None
    assert record.get("title") == (title.strip() or None)
    assert record.get("location") == (location.strip() or None)


# A package in the shape public 1.1 samples take (our own rows): every field quoted, the files in
# one top folder, a misspelt manifest property, and metadata.* extension columns.
_SAMPLE_SHAPED = {
    "manifest.csv": '"propertyName","value"\n"manifest.version","1.0"\n"oneroster.version","1.1"\n'
    '"file.academicSessions","bulk"\n"file.classes","bulk"\n"file.courses","bulk"\n'
    '"fiel.demographics","absent"\n"file.enrollments","bulk"\n"file.orgs","bulk"\n'
    '"file.users","bulk"\n',
    "academicSessions.csv": '"sourcedId","status","dateLastModified","title","type","startDate",'
    '"endDate","parentSourcedId","schoolYear"\n'
    '"as0001","","","2025 - fall","term","2025-08-18","2026-01-16","","2026"\n',
    "orgs.csv": '"sourcedId","status","dateLastModified","name","type","identifier",'
    '"parentSourcedId"\n"or0001","","","Harbor View Middle","school","",""\n',
    "courses.csv": '"sourcedId","status","dateLastModified","schoolYearSourcedId","title",'
    '"courseCode","grades","orgSourcedId","subjects","subjectCodes"\n'
    '"co0001","","","","Earth Science 7","SCI7","","or0001","",""\n',
    "classes.csv": '"sourcedId","status","dateLastModified","title","grades","courseSourcedId",'
    '"classCode","classType","location","schoolSourcedId","termSourcedIds","subjects",'
    '"subjectCodes","periods"\n"cl0001","","","Earth Science 7","",'
    '"co0001","SCI7-02","scheduled","","or0001","as0001","","","3"\n',
    "users.csv": '"sourcedId","status","dateLastModified","enabledUser","orgSourcedIds","role",'
    '"username","userIds","givenName","familyName","middleName","identifier","email","sms",'
    '"phone","agentSourcedIds","grades","password","metadata.phoneticGivenName",'
    '"metadata.phoneticFamilyName"\n"us0001","","","true","or0001","student","user01","",'
    '"Mina","Okafor","","","user01@harborview.example.org","","","","","","MEE-nah","oh-KAH-for"\n'
    '"us0021","","","true","or0001","teacher","user21","","Luis","Ferreira","","",'
    '"user21@harborview.example.org","","","","","","loo-EES","feh-RAY-rah"\n',
    "enrollments.csv": '"sourcedId","status","dateLastModified","classSourcedId",'
    '"schoolSourcedId","userSourcedId","role","primary","beginDate","endDate"\n'
    '"en0001","","","cl0001","or0001","us0021","teacher","true","",""\n'
    '"en0002","","","cl0001","or0001","us0001","student","false","",""\n',
}


def test_a_public_sample_shaped_package_reads_with_its_notes() -> None:
    pkg = open_package(zipped(dict(_SAMPLE_SHAPED), folder="en/"))
    assert [n.code for n in pkg.notes] == [
        "csv_top_folder",
        "csv_manifest_property",
        "csv_extension_columns",
    ]
    assert "(did you mean file.demographics?)" in pkg.notes[1].reason
    counts = {k: len([r for r in rows(pkg, k) if r.record and not r.problems]) for k in _COUNTS}
    assert counts == _COUNTS
    teacher = rows(pkg, "users")[1].record
    assert teacher and parse_record("users", teacher, "1.1").role == "teacher"


_COUNTS = {"orgs": 1, "academicSessions": 1, "courses": 1, "classes": 1, "enrollments": 2}
_COUNTS["users"] = 2
