"""A deterministic synthetic school district with the untidiness of real SIS data.

The same ``DistrictSpec`` always gives the same records. Sizes run from a few dozen users to
hundreds of thousands of students; rates control missing and duplicate emails, sections without a
teacher, co-teachers, enrollments with end dates, ``tobedeleted`` records and names outside
[A-Za-z0-9]. ``defects=True`` adds a few records of every data defect (defects.py).

The steps: the school year's sessions and the orgs here, each school's people, sections and
enrollments in ``population.py``, then the gradebook categories and the modification dates.
"""

from __future__ import annotations

import datetime as dt
import random

from tools.oneroster_sis.defects import add_defects
from tools.oneroster_sis.district import Calendar, District, DistrictSpec, Record, Span
from tools.oneroster_sis.model import ROSTER_KINDS
from tools.oneroster_sis.population import add_school_population
from tools.oneroster_sis.store import format_timestamp
from tools.oneroster_sis.vocabulary import CATEGORIES, FAMILY

__all__ = ["DistrictSpec", "generate_district"]

DISTRICT_ID = "dist-0001"
# The kinds stamped with dateLastModified, in the order the stamps are drawn.
STAMPED = ROSTER_KINDS


def generate_district(spec: DistrictSpec) -> dict[str, list[Record]]:
    district = District(spec, Calendar.containing(spec.today or dt.date.today()))
    add_sessions(district)
    school_ids = add_orgs(district)
    base, remainder = divmod(spec.students, len(school_ids))
    for index, school_id in enumerate(school_ids):
        n_students = base + (1 if index < remainder else 0)
        add_school_population(district, index, school_id, n_students)
    add_categories(district)
    if spec.defects:
        add_defects(district.records(), district.calendar.today)
    stamp_modified_dates(district)
    return district.records()


def add_sessions(district: District) -> None:
    """The school year, its two semesters, and two grading periods in each."""
    calendar, ref = district.calendar, district.ref
    year: Span = (calendar.year_id, calendar.title, calendar.start, calendar.end)
    terms = calendar.semesters
    children = [ref("academicSession", term[0]) for term in terms]
    district.sessions.append(_session(district, year, "schoolYear", children=children))
    for term in terms:
        _add_term(district, term)


def _add_term(district: District, term: Span) -> None:
    ref, year_id = district.ref, district.calendar.year_id
    term_id, title, start, end = term
    half = start + (end - start) / 2
    periods: list[Span] = [
        (f"{term_id}-gp1", f"{title} Quarter 1", start, half - dt.timedelta(days=1)),
        (f"{term_id}-gp2", f"{title} Quarter 2", half, end),
    ]
    district.sessions.append(
        _session(
            district,
            (term_id, f"{title} {district.calendar.title}", start, end),
            "term",
            parent=ref("academicSession", year_id),
            children=[ref("academicSession", period[0]) for period in periods],
        )
    )
    for period in periods:
        parent = ref("academicSession", term_id)
        district.sessions.append(_session(district, period, "gradingPeriod", parent=parent))


def _session(
    district: District,
    span: Span,
    session_type: str,
    *,
    parent: Record | None = None,
    children: list[Record] | None = None,
) -> Record:
    sourced_id, title, start, end = span
    session: Record = {
        "sourcedId": sourced_id,
        "status": "active",
        "title": title,
        "type": session_type,
        "startDate": start.isoformat(),
        "endDate": end.isoformat(),
        "schoolYear": str(district.calendar.end_year),
    }
    if parent is not None:
        session["parent"] = parent
    if children is not None:
        session["children"] = children
    return session


def add_orgs(district: District) -> list[str]:
    """The district and its schools (one per 500 students unless the spec says); school ids."""
    spec, ref = district.spec, district.ref
    n_schools = spec.schools or max(1, round(spec.students / 500))
    school_ids = [f"sch-{i + 1:04d}" for i in range(n_schools)]
    district.orgs.append(
        {
            "sourcedId": DISTRICT_ID,
            "status": "active",
            "name": "Rostersync Unified School District",
            "type": "district",
            "identifier": "RUSD",
            "children": [ref("org", s) for s in school_ids],
        }
    )
    for index, school_id in enumerate(school_ids):
        level = "High" if index % 2 else "Middle"
        district.orgs.append(
            {
                "sourcedId": school_id,
                "status": "active",
                "name": f"{FAMILY[index % len(FAMILY)]} {level} School",
                "type": "school",
                "identifier": f"{100 + index}",
                "parent": ref("org", DISTRICT_ID),
            }
        )
    return school_ids


def add_categories(district: District) -> None:
    """The district-wide gradebook categories, and one limited to the first class."""
    district.categories.extend(
        {"sourcedId": f"cat-{i + 1:04d}", "status": "active", "title": title, "weight": 0.25}
        for i, title in enumerate(CATEGORIES)
    )
    if district.classes:
        district.categories.append(
            {
                "sourcedId": "cat-labs",
                "status": "active",
                "title": "Labs",
                "_classes": [district.classes[0]["sourcedId"]],
            }
        )


def stamp_modified_dates(district: District) -> None:
    """Real SISes stamp records over time, not all at one instant: spreads dateLastModified over
    the three days before the load, so a delta watermark selects only recent changes."""
    stamp_rng = random.Random(district.spec.seed + 7919)
    day = district.calendar.today - dt.timedelta(days=3)
    moment = dt.datetime.combine(day, dt.time(2, 0), tzinfo=dt.UTC)
    stamps = [format_timestamp(moment - dt.timedelta(seconds=s)) for s in range(0, 3 * 86400, 60)]
    records = district.records()
    for kind in STAMPED:
        for record in records[kind]:
            record["dateLastModified"] = stamps[stamp_rng.randrange(len(stamps))]
