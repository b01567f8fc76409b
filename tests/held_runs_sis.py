"""Changes to a local SIS's data that make a sync hold (issue 16, rows 5-7): sections emptied of
their students, and a section whose primary teacher is replaced."""

from __future__ import annotations

from dataclasses import dataclass

from shared.store import layout
from tools.oneroster_sis.harness import RunningSis


def taught_sections(running: RunningSis) -> list[str]:
    """The active sections with exactly one current teacher, by id."""
    store = running.sis.store
    teachers: dict[str, list[str]] = {}
    for enrollment in store.all("enrollments"):
        if enrollment["role"] == "teacher" and enrollment["status"] == "active":
            teachers.setdefault(enrollment["class"]["sourcedId"], []).append(
                enrollment["user"]["sourcedId"]
            )
    return sorted(s for s, ids in teachers.items() if len(ids) == 1)


def empty_sections(running: RunningSis, section_ids: list[str]) -> int:
    """Deletes every student enrollment of the sections; returns how many went."""
    store = running.sis.store
    gone = [
        e["sourcedId"]
        for e in store.all("enrollments")
        if e["class"]["sourcedId"] in section_ids and e["role"] == "student"
    ]
    for enrollment_id in gone:
        store.delete("enrollments", enrollment_id)
    return len(gone)


@dataclass(frozen=True)
class OwnerChange:
    class_id: str
    former: str
    new: str


def replace_primary_teacher(running: RunningSis, section_id: str) -> OwnerChange:
    """Gives the section another school teacher as its only (primary) teacher."""
    store = running.sis.store
    enrollment = next(
        e
        for e in store.all("enrollments")
        if e["class"]["sourcedId"] == section_id and e["role"] == "teacher"
    )
    former = enrollment["user"]["sourcedId"]
    school = enrollment["school"]["sourcedId"]
    new = next(
        u["sourcedId"]
        for u in store.all("users")
        if u["roles"][0]["role"] == "teacher"
        and u["sourcedId"] != former
        and u["roles"][0]["org"]["sourcedId"] == school
    )
    store.patch(
        "enrollments", enrollment["sourcedId"], {"user": {"sourcedId": new, "type": "user"}}
    )
    return OwnerChange(layout.class_id_for(section_id), former, new)
