"""The local SIS's data model: record kinds, reference types and the fields each version exposes.

Records are stored in one canonical shape, close to OneRoster 1.2: references are
``{"sourcedId", "type"}`` dicts (hrefs are added when rendering), booleans are Python bools,
users carry ``roles[]``. Keys that start with ``_`` are internal and never rendered.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

KINDS = (
    "orgs",
    "academicSessions",
    "courses",
    "classes",
    "users",
    "enrollments",
    "demographics",
    "categories",
    "lineItems",
    "results",
)
ROSTER_KINDS = KINDS[: KINDS.index("lineItems")]  # what a district's data holds before any mark

TYPE_TO_COLLECTION = {
    "org": "orgs",
    "school": "orgs",
    "district": "orgs",
    "academicSession": "academicSessions",
    "term": "academicSessions",
    "gradingPeriod": "academicSessions",
    "course": "courses",
    "class": "classes",
    "user": "users",
    "student": "users",
    "teacher": "users",
    "enrollment": "enrollments",
    "demographics": "demographics",
    "category": "categories",
    "lineItem": "lineItems",
    "result": "results",
    "scoreScale": "scoreScales",
    "resource": "resources",
}

# 1.2 roles have no 1.1 equivalent for some values; 1.1 knows administrator, aide, guardian,
# parent, proctor, relative, student, teacher.
ROLE_12_TO_11 = {
    "districtAdministrator": "administrator",
    "siteAdministrator": "administrator",
    "systemAdministrator": "administrator",
    "principal": "administrator",
    "counselor": "aide",
}

_COMMON = ("sourcedId", "status", "dateLastModified", "metadata")
_FIELDS_11 = {
    "orgs": ("name", "type", "identifier", "parent", "children"),
    "academicSessions": (
        "title",
        "startDate",
        "endDate",
        "type",
        "parent",
        "children",
        "schoolYear",
    ),
    "courses": (
        "title",
        "schoolYear",
        "courseCode",
        "grades",
        "subjects",
        "org",
        "subjectCodes",
        "resources",
    ),
    "classes": (
        "title",
        "classCode",
        "classType",
        "location",
        "grades",
        "subjects",
        "course",
        "school",
        "terms",
        "subjectCodes",
        "periods",
        "resources",
    ),
    "users": (
        "username",
        "userIds",
        "enabledUser",
        "givenName",
        "familyName",
        "middleName",
        "role",
        "identifier",
        "email",
        "sms",
        "phone",
        "agents",
        "orgs",
        "grades",
        "password",
    ),
    "enrollments": ("user", "class", "school", "role", "primary", "beginDate", "endDate"),
    "demographics": (
        "birthDate",
        "sex",
        "americanIndianOrAlaskaNative",
        "asian",
        "blackOrAfricanAmerican",
        "nativeHawaiianOrOtherPacificIslander",
        "white",
        "demographicRaceTwoOrMoreRaces",
        "hispanicOrLatinoEthnicity",
        "countryOfBirthCode",
        "stateOfBirthAbbreviation",
        "cityOfBirth",
        "publicSchoolResidenceStatus",
    ),
    "categories": ("title",),
    "lineItems": (
        "title",
        "description",
        "assignDate",
        "dueDate",
        "class",
        "category",
        "gradingPeriod",
        "resultValueMin",
        "resultValueMax",
    ),
    "results": ("lineItem", "student", "scoreStatus", "score", "scoreDate", "comment"),
}
_SCHEMA_12 = {
    "orgs": ("rostering", "OrgDType"),
    "academicSessions": ("rostering", "AcademicSessionDType"),
    "courses": ("rostering", "CourseDType"),
    "classes": ("rostering", "ClassDType"),
    "users": ("rostering", "UserDType"),
    "enrollments": ("rostering", "EnrollmentDType"),
    "demographics": ("rostering", "DemographicsDType"),
    "categories": ("gradebook", "CategoryDType"),
    "lineItems": ("gradebook", "LineItemDType"),
    "results": ("gradebook", "ResultDType"),
}
SPEC_FILES = {
    "rostering": "onerosterv1p2rostersservice_openapi3_v1p0.json",
    "gradebook": "onerosterv1p2gradebookservice_openapi3_v1p0.json",
}
SPEC_DIR = Path(__file__).resolve().parent / "specs"

# Boolean fields, stored as bools and rendered per the profile's boolean style.
BOOLEAN_FIELDS = {
    "users": ("enabledUser",),
    "enrollments": ("primary",),
    "demographics": (
        "americanIndianOrAlaskaNative",
        "asian",
        "blackOrAfricanAmerican",
        "nativeHawaiianOrOtherPacificIslander",
        "white",
        "demographicRaceTwoOrMoreRaces",
        "hispanicOrLatinoEthnicity",
    ),
    "results": ("inProgress", "incomplete", "late", "missing"),
}


@functools.cache
def spec(service: str) -> dict[str, object]:
    with (SPEC_DIR / SPEC_FILES[service]).open(encoding="utf-8") as handle:
        loaded: dict[str, object] = json.load(handle)
    return loaded


@functools.cache
def fields_of(kind: str, version: str) -> frozenset[str]:
    """The fields a client may name in filter, sort and fields for this kind and version."""
    if version == "1.1":
        return frozenset((*_COMMON, *_FIELDS_11[kind]))
    service, schema_name = _SCHEMA_12[kind]
    schemas = spec(service)["components"]["schemas"]  # type: ignore[index]
    return frozenset(schemas[schema_name]["properties"])
