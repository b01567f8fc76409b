"""The parts of the OneRoster CSV binding Rostersync reads (1EdTech "OneRoster 1.1 CSV Tables" and
"OneRoster 1.2 CSV Binding"): the file names the manifest may list, the columns of each file read,
which columns a header must have, and the vocabularies. Pure data."""

from __future__ import annotations

VERSIONS = ("1.1", "1.2")
MANIFEST = "manifest.csv"
MODES = ("bulk", "delta", "absent")

_FILES_11 = (
    "academicSessions",
    "categories",
    "classes",
    "classResources",
    "courses",
    "courseResources",
    "demographics",
    "enrollments",
    "lineItems",
    "orgs",
    "resources",
    "results",
    "users",
)
_FILES_12 = (
    *_FILES_11,
    "lineItemLearningObjectiveIds",
    "lineItemScoreScales",
    "resultLearningObjectiveIds",
    "resultScoreScales",
    "roles",
    "scoreScales",
    "userProfiles",
    "userResources",
)
FILES = {"1.1": _FILES_11, "1.2": _FILES_12}

# The kinds Package.rows() serves, in the order a sync needs them.
KINDS = ("orgs", "academicSessions", "courses", "classes", "enrollments", "users")
# A bulk (full) package must hold these; roles only in 1.2, where users' roles live there.
REQUIRED_FILES = {
    "1.1": ("orgs", "users", "classes", "enrollments"),
    "1.2": ("orgs", "users", "roles", "classes", "enrollments"),
}
# Files whose mode decides whether the package is a delta.
ROSTER_FILES = frozenset({*KINDS, "roles", "demographics", "userProfiles"})

_COMMON = ("sourcedId", "status", "dateLastModified")
_SAME = {
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
    "enrollments": (
        *_COMMON,
        *("classSourcedId", "schoolSourcedId", "userSourcedId", "role", "primary"),
        *("beginDate", "endDate"),
    ),
}
_USER_NAMES = ("username", "userIds", "givenName", "familyName", "middleName", "identifier")
_USER_CONTACT = ("email", "sms", "phone", "agentSourcedIds", "grades", "password")
COLUMNS: dict[str, dict[str, tuple[str, ...]]] = {
    "1.1": {
        **_SAME,
        "users": (
            *_COMMON,
            *("enabledUser", "orgSourcedIds", "role", *_USER_NAMES, *_USER_CONTACT),
        ),
    },
    "1.2": {
        **_SAME,
        "users": (
            *_COMMON,
            *("enabledUser", *_USER_NAMES, *_USER_CONTACT, "userMasterIdentifier"),
            *("preferredGivenName", "preferredMiddleName", "preferredFamilyName"),
            *("primaryOrgSourcedId", "pronouns"),
        ),
        "roles": (
            *_COMMON,
            *("userSourcedId", "roleType", "role", "beginDate", "endDate", "orgSourcedId"),
            "userProfileSourcedId",
        ),
    },
}

# Columns a header must have. The binding requires every column in the header; Rostersync asks
# only for the ones whose values the binding makes mandatory, and reads an absent optional
# column as blank (with a note). status and dateLastModified are required in delta files.
_REQUIRED_SAME = {
    "orgs": ("sourcedId", "name", "type"),
    "academicSessions": ("sourcedId", "title", "type", "startDate", "endDate", "schoolYear"),
    "courses": ("sourcedId", "title", "orgSourcedId"),
    "classes": (
        *("sourcedId", "title", "courseSourcedId", "classType", "schoolSourcedId"),
        "termSourcedIds",
    ),
    "enrollments": ("sourcedId", "classSourcedId", "schoolSourcedId", "userSourcedId", "role"),
}
_USER_REQUIRED = ("sourcedId", "enabledUser", "username", "givenName", "familyName")
REQUIRED_COLUMNS: dict[str, dict[str, tuple[str, ...]]] = {
    "1.1": {**_REQUIRED_SAME, "users": (*_USER_REQUIRED, "orgSourcedIds", "role")},
    "1.2": {
        **_REQUIRED_SAME,
        "users": _USER_REQUIRED,
        "roles": ("sourcedId", "userSourcedId", "roleType", "role", "orgSourcedId"),
    },
}
DELTA_REQUIRED = ("status", "dateLastModified")

STATUSES = ("active", "tobedeleted")
OLD_STATUS = "inactive"  # OneRoster 1.0's word, read as tobedeleted with a warning
ORG_TYPES = ("department", "school", "district", "local", "state", "national")
SESSION_TYPES = ("gradingPeriod", "semester", "schoolYear", "term")
CLASS_TYPES = ("homeroom", "scheduled")
ENROLLMENT_ROLES = ("administrator", "proctor", "student", "teacher", "aide")
ROLE_TYPES = ("primary", "secondary")
USER_ROLES = {
    "1.1": (
        *("administrator", "aide", "guardian", "parent", "proctor", "relative", "student"),
        "teacher",
    ),
    "1.2": (
        *("aide", "counselor", "districtAdministrator", "guardian", "parent", "principal"),
        *("proctor", "relative", "siteAdministrator", "student", "sysAdministrator", "teacher"),
    ),
}


def file_name(stem: str) -> str:
    return f"{stem}.csv"


def read_files(version: str) -> tuple[str, ...]:
    """The files whose rows Rostersync reads in this version."""
    return tuple(COLUMNS[version])
