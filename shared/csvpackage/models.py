"""One pydantic model per CSV file and version, fields named as the binding's columns, and each
model's ``rest()``: the row in the REST JSON shape ``shared.oneroster.records.parse_record`` reads,
so a CSV row and a REST record of the same data become the same record. Blank values are left
out of the REST shape, as a REST server leaves out absent fields; ``password`` is never read.
Pure."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict

from shared.csvpackage.binding import (
    CLASS_TYPES,
    ENROLLMENT_ROLES,
    ORG_TYPES,
    ROLE_TYPES,
    SESSION_TYPES,
    USER_ROLES,
)
from shared.csvpackage.fields import Day, Flag, Id, Ids, Stamp, Status, Text, UserIds, vocabulary

# A usable roles.csv row: (roleType, role, orgSourcedId, beginDate, endDate, userProfileSourcedId)
RoleTuple = tuple[str, str, str | None, str | None, str | None, str | None]

OrgType = Annotated[str | None, BeforeValidator(vocabulary(ORG_TYPES, "org type"))]
SessionType = Annotated[str | None, BeforeValidator(vocabulary(SESSION_TYPES, "session type"))]
ClassType = Annotated[str | None, BeforeValidator(vocabulary(CLASS_TYPES, "class type"))]
EnrollmentRole = Annotated[
    str | None, BeforeValidator(vocabulary(ENROLLMENT_ROLES, "enrollment role"))
]
UserRole11 = Annotated[str | None, BeforeValidator(vocabulary(USER_ROLES["1.1"], "user role"))]
RoleName = Annotated[str, BeforeValidator(vocabulary(USER_ROLES["1.2"], "role", required=True))]
RoleType = Annotated[str, BeforeValidator(vocabulary(ROLE_TYPES, "roleType", required=True))]


def ref(sourced_id: str | None, ref_type: str) -> dict[str, str] | None:
    return {"sourcedId": sourced_id, "type": ref_type} if sourced_id else None


def refs(sourced_ids: tuple[str, ...], ref_type: str) -> list[dict[str, str]]:
    return [{"sourcedId": sourced_id, "type": ref_type} for sourced_id in sourced_ids]


def compact(record: dict[str, Any]) -> dict[str, Any]:
    """Drops blank values (None, empty lists); keeps False."""
    return {k: v for k, v in record.items() if v is not None and v != [] and v != ()}


class CsvModel(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")
    sourcedId: Id
    status: Status
    dateLastModified: Stamp = None

    def head(self) -> dict[str, Any]:
        return {
            "sourcedId": self.sourcedId,
            "status": self.status,
            "dateLastModified": self.dateLastModified,
        }

    def rest(self) -> dict[str, Any]:
        raise NotImplementedError


class OrgRow(CsvModel):
    name: Text = None
    type: OrgType = None
    identifier: Text = None
    parentSourcedId: Text = None

    def rest(self) -> dict[str, Any]:
        return compact(
            {
                **self.head(),
                "name": self.name,
                "type": self.type,
                "identifier": self.identifier,
                "parent": ref(self.parentSourcedId, "org"),
            }
        )


class SessionRow(CsvModel):
    title: Text = None
    type: SessionType = None
    startDate: Day = None
    endDate: Day = None
    parentSourcedId: Text = None
    schoolYear: Text = None

    def rest(self) -> dict[str, Any]:
        return compact(
            {
                **self.head(),
                "title": self.title,
                "type": self.type,
                "startDate": self.startDate,
                "endDate": self.endDate,
                "parent": ref(self.parentSourcedId, "academicSession"),
                "schoolYear": self.schoolYear,
            }
        )


class CourseRow(CsvModel):
    schoolYearSourcedId: Text = None
    title: Text = None
    courseCode: Text = None
    grades: Ids = ()
    orgSourcedId: Text = None
    subjects: Ids = ()
    subjectCodes: Ids = ()

    def rest(self) -> dict[str, Any]:
        return compact(
            {
                **self.head(),
                "title": self.title,
                "schoolYear": ref(self.schoolYearSourcedId, "academicSession"),
                "courseCode": self.courseCode,
                "grades": list(self.grades),
                "subjects": list(self.subjects),
                "subjectCodes": list(self.subjectCodes),
                "org": ref(self.orgSourcedId, "org"),
            }
        )


class ClassRow(CsvModel):
    title: Text = None
    grades: Ids = ()
    courseSourcedId: Text = None
    classCode: Text = None
    classType: ClassType = None
    location: Text = None
    schoolSourcedId: Text = None
    termSourcedIds: Ids = ()
    subjects: Ids = ()
    subjectCodes: Ids = ()
    periods: Ids = ()

    def rest(self) -> dict[str, Any]:
        return compact(
            {
                **self.head(),
                "title": self.title,
                "classCode": self.classCode,
                "classType": self.classType,
                "location": self.location,
                "grades": list(self.grades),
                "subjects": list(self.subjects),
                "subjectCodes": list(self.subjectCodes),
                "course": ref(self.courseSourcedId, "course"),
                "school": ref(self.schoolSourcedId, "org"),
                "terms": refs(self.termSourcedIds, "academicSession"),
                "periods": list(self.periods),
            }
        )


class EnrollmentRow(CsvModel):
    classSourcedId: Id
    schoolSourcedId: Text = None
    userSourcedId: Id
    role: EnrollmentRole = None
    primary: Flag = None
    beginDate: Day = None
    endDate: Day = None

    def rest(self) -> dict[str, Any]:
        return compact(
            {
                **self.head(),
                "user": ref(self.userSourcedId, "user"),
                "class": ref(self.classSourcedId, "class"),
                "school": ref(self.schoolSourcedId, "org"),
                "role": self.role,
                "primary": self.primary,
                "beginDate": self.beginDate,
                "endDate": self.endDate,
            }
        )


class _UserRow(CsvModel):
    enabledUser: Flag = None
    username: Text = None
    userIds: UserIds = ()
    givenName: Text = None
    familyName: Text = None
    middleName: Text = None
    identifier: Text = None
    email: Text = None
    sms: Text = None
    phone: Text = None
    agentSourcedIds: Ids = ()
    grades: Ids = ()

    def user_fields(self) -> dict[str, Any]:
        return {
            **self.head(),
            "enabledUser": self.enabledUser,
            "username": self.username,
            "userIds": [{"type": kind, "identifier": ident} for kind, ident in self.userIds],
            "givenName": self.givenName,
            "familyName": self.familyName,
            "middleName": self.middleName,
            "identifier": self.identifier,
            "email": self.email,
            "sms": self.sms,
            "phone": self.phone,
            "agents": refs(self.agentSourcedIds, "user"),
            "grades": list(self.grades),
        }


class UserRow11(_UserRow):
    orgSourcedIds: Ids = ()
    role: UserRole11 = None

    def rest(self) -> dict[str, Any]:
        return compact(
            {**self.user_fields(), "role": self.role, "orgs": refs(self.orgSourcedIds, "org")}
        )


class UserRow12(_UserRow):
    userMasterIdentifier: Text = None
    preferredGivenName: Text = None
    preferredMiddleName: Text = None
    preferredFamilyName: Text = None
    primaryOrgSourcedId: Text = None
    pronouns: Text = None

    def rest(self) -> dict[str, Any]:
        return self.rest_with_roles(())

    def rest_with_roles(self, roles: tuple[RoleTuple, ...]) -> dict[str, Any]:
        return compact(
            {
                **self.user_fields(),
                "userMasterIdentifier": self.userMasterIdentifier,
                "preferredFirstName": self.preferredGivenName,
                "preferredMiddleName": self.preferredMiddleName,
                "preferredLastName": self.preferredFamilyName,
                "pronouns": self.pronouns,
                "primaryOrg": ref(self.primaryOrgSourcedId, "org"),
                "roles": [_rest_role(role) for role in roles],
            }
        )


def _rest_role(role: RoleTuple) -> dict[str, Any]:
    role_type, name, org, begin, end, profile = role
    return compact(
        {
            "roleType": role_type,
            "role": name,
            "org": ref(org, "org"),
            "userProfile": ref(profile, "userProfile"),
            "beginDate": begin,
            "endDate": end,
        }
    )


class RoleRow(CsvModel):
    userSourcedId: Id
    roleType: RoleType
    role: RoleName
    beginDate: Day = None
    endDate: Day = None
    orgSourcedId: Text = None
    userProfileSourcedId: Text = None

    def as_tuple(self) -> RoleTuple:
        return (
            self.roleType,
            self.role,
            self.orgSourcedId,
            self.beginDate,
            self.endDate,
            self.userProfileSourcedId,
        )


_SAME: dict[str, type[CsvModel]] = {
    "orgs": OrgRow,
    "academicSessions": SessionRow,
    "courses": CourseRow,
    "classes": ClassRow,
    "enrollments": EnrollmentRow,
}
MODELS: dict[str, dict[str, type[CsvModel]]] = {
    "1.1": {**_SAME, "users": UserRow11},
    "1.2": {**_SAME, "users": UserRow12, "roles": RoleRow},
}
