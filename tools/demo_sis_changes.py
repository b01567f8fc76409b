"""What `make demo` changes in the local SIS between its full and its delta sync, as a registrar
would between two nights: one section renamed, one of its students dropped, another added."""

from __future__ import annotations

from typing import Any

import requests


def sound_enrollments(sis: str) -> list[dict[str, Any]]:
    """The SIS's active teacher and student enrollments with a user and a class. The district
    has a few broken records on purpose (--defects): the demo picks among the sound ones."""
    records = requests.get(f"{sis}/_control/records/enrollments", timeout=60).json()
    return [
        e
        for e in records["enrollments"]
        if e.get("status") == "active"
        and e.get("role") in ("teacher", "student")
        and isinstance(e.get("user"), dict)
        and isinstance(e.get("class"), dict)
    ]


def rename_section(sis: str, enrollments: list[dict[str, Any]]) -> str:
    """Renames the class of the first teacher enrollment; returns that class's sourcedId."""
    section: str = next(e for e in enrollments if e["role"] == "teacher")["class"]["sourcedId"]
    requests.patch(
        f"{sis}/_control/records/classes/{section}",
        json={"title": "Algebra I Honors - Period 1"},
        timeout=30,
    ).raise_for_status()
    return section


def drop_student(sis: str, enrollments: list[dict[str, Any]], section: str) -> dict[str, Any]:
    """Marks the section's first student enrollment tobedeleted; returns that enrollment."""
    leaving = next(
        e for e in enrollments if e["role"] == "student" and e["class"]["sourcedId"] == section
    )
    requests.delete(
        f"{sis}/_control/records/enrollments/{leaving['sourcedId']}",
        params={"mode": "tobedeleted"},
        timeout=30,
    ).raise_for_status()
    return leaving


def add_student(sis: str, enrollments: list[dict[str, Any]], section: str) -> dict[str, Any]:
    """Enrolls in the section the first student who has no enrollment in it (as enr-demo-new);
    returns the enrollment the new one copies."""
    in_section = {e["user"]["sourcedId"] for e in enrollments if e["class"]["sourcedId"] == section}
    newcomer = next(
        e
        for e in enrollments
        if e["role"] == "student" and e["user"]["sourcedId"] not in in_section
    )
    requests.put(
        f"{sis}/_control/records/enrollments",
        json={
            "records": [
                {
                    **newcomer,
                    "sourcedId": "enr-demo-new",
                    "class": {"sourcedId": section, "type": "class"},
                }
            ]
        },
        timeout=30,
    ).raise_for_status()
    return newcomer


def change_sis(sis: str) -> list[str]:
    """What a registrar does between two nights: rename a section, drop a student, add one."""
    enrollments = sound_enrollments(sis)
    section = rename_section(sis, enrollments)
    leaving = drop_student(sis, enrollments, section)
    newcomer = add_student(sis, enrollments, section)
    return [
        f"section {section} renamed to 'Algebra I Honors - Period 1'",
        f"student {leaving['user']['sourcedId']} dropped from it (tobedeleted)",
        f"student {newcomer['user']['sourcedId']} added to it",
    ]
