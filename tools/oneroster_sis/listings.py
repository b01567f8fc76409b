"""Which records each OneRoster collection endpoint lists, backed by indexes over the store.

Indexes are rebuilt per kind only when that kind changed, so a gradebook write does not re-index
hundreds of thousands of enrollments.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from tools.oneroster_sis.store import Store

Record = dict[str, Any]


class UnknownParent(LookupError):
    """A nested endpoint named a parent record the SIS does not have."""


def ref_id(record: Record, field: str) -> str | None:
    ref = record.get(field)
    return ref.get("sourcedId") if isinstance(ref, dict) else None


def user_roles(user: Record) -> list[tuple[str, str | None]]:
    """(role, org id) pairs of a canonical user."""
    return [(r.get("role", ""), ref_id(r, "org")) for r in user.get("roles") or []]


def class_of_result(store: Store, result: Record) -> str | None:
    direct = ref_id(result, "class")
    if direct:
        return direct
    line_item = store.get("lineItems", ref_id(result, "lineItem") or "")
    return ref_id(line_item, "class") if line_item else None


class Indexes:
    """Lazily built groupings of store records, each tied to the versions of the kinds it reads."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._built: dict[str, tuple[tuple[int, ...], dict[str, list[Record]]]] = {}

    def group(self, name: str) -> dict[str, list[Record]]:
        kinds, build = _GROUPS[name]
        versions = tuple(self.store.kind_version(k) for k in kinds)
        with self._lock:
            cached = self._built.get(name)
            if cached and cached[0] == versions:
                return cached[1]
        built = build(self.store)
        with self._lock:
            self._built[name] = (versions, built)
        return built

    def members(self, name: str, key: str) -> list[Record]:
        return self.group(name).get(key, [])


def _org_types(record: Record) -> list[Any]:
    """A record's type; an org the generator's defects mark ``_listed_as_school`` (a department
    a SIS lists among its schools) is also listed and served as a school."""
    return [record.get("type"), *(["school"] if record.get("_listed_as_school") else [])]


def _group_by(
    kind: str, keys: Callable[[Record], Sequence[str | None]]
) -> Callable[[Store], dict[str, list[Record]]]:
    def build(store: Store) -> dict[str, list[Record]]:
        groups: dict[str, list[Record]] = defaultdict(list)
        for record in store.all(kind):
            for key in dict.fromkeys(keys(record)):
                if key is not None:
                    groups[key].append(record)
        return dict(groups)

    return build


def _users_by_role_org(user: Record) -> Sequence[str | None]:
    return [f"{role}|{org}" for role, org in user_roles(user)] + [r for r, _ in user_roles(user)]


def _results_by_class(store: Store) -> dict[str, list[Record]]:
    groups: dict[str, list[Record]] = defaultdict(list)
    for result in store.all("results"):
        class_id = class_of_result(store, result)
        if class_id:
            groups[class_id].append(result)
    return dict(groups)


_GROUPS: dict[str, tuple[tuple[str, ...], Callable[[Store], dict[str, list[Record]]]]] = {
    "classes_by_school": (("classes",), _group_by("classes", lambda r: [ref_id(r, "school")])),
    "classes_by_course": (("classes",), _group_by("classes", lambda r: [ref_id(r, "course")])),
    "classes_by_term": (
        ("classes",),
        _group_by("classes", lambda r: [t.get("sourcedId") for t in r.get("terms") or []]),
    ),
    "courses_by_org": (("courses",), _group_by("courses", lambda r: [ref_id(r, "org")])),
    "enrollments_by_school": (
        ("enrollments",),
        _group_by("enrollments", lambda r: [ref_id(r, "school")]),
    ),
    "enrollments_by_class": (
        ("enrollments",),
        _group_by("enrollments", lambda r: [ref_id(r, "class")]),
    ),
    "enrollments_by_user": (
        ("enrollments",),
        _group_by("enrollments", lambda r: [ref_id(r, "user")]),
    ),
    "users_by_role": (("users",), _group_by("users", _users_by_role_org)),
    "sessions_by_type": (
        ("academicSessions",),
        _group_by("academicSessions", lambda r: [r.get("type")]),
    ),
    "sessions_by_parent": (
        ("academicSessions",),
        _group_by("academicSessions", lambda r: [ref_id(r, "parent")]),
    ),
    "orgs_by_type": (("orgs",), _group_by("orgs", _org_types)),
    "line_items_by_class": (("lineItems",), _group_by("lineItems", lambda r: [ref_id(r, "class")])),
    "results_by_line_item": (("results",), _group_by("results", lambda r: [ref_id(r, "lineItem")])),
    "results_by_class": (("results", "lineItems"), _results_by_class),
    "results_by_student": (("results",), _group_by("results", lambda r: [ref_id(r, "student")])),
}


@dataclass(frozen=True)
class Listing:
    """One collection endpoint: the kind it lists, its envelope, and the records in scope."""

    kind: str
    envelope: str
    scope: Callable[[Indexes, dict[str, str]], list[Record]]
    parents: tuple[tuple[str, str, str | None], ...] = ()  # (path arg, kind, required type)


def _all(kind: str) -> Callable[[Indexes, dict[str, str]], list[Record]]:
    return lambda ix, _args: list(ix.store.all(kind))


def _grouped(
    group: str, arg: str, fmt: str = "{}"
) -> Callable[[Indexes, dict[str, str]], list[Record]]:
    return lambda ix, args: ix.members(group, fmt.format(args[arg]))


def _fixed(group: str, key: str) -> Callable[[Indexes, dict[str, str]], list[Record]]:
    return lambda ix, _args: ix.members(group, key)


def _users_of_class(role: str) -> Callable[[Indexes, dict[str, str]], list[Record]]:
    def scope(ix: Indexes, args: dict[str, str]) -> list[Record]:
        enrollments = ix.members("enrollments_by_class", args["class"])
        if "school" in args:
            enrollments = [e for e in enrollments if ref_id(e, "school") == args["school"]]
        ids = dict.fromkeys(ref_id(e, "user") for e in enrollments if e.get("role") == role)
        return [u for u in (ix.store.get("users", i) for i in ids if i) if u is not None]

    return scope


def _enrollments_of_school_class(ix: Indexes, args: dict[str, str]) -> list[Record]:
    return [
        e
        for e in ix.members("enrollments_by_class", args["class"])
        if ref_id(e, "school") == args["school"]
    ]


def _classes_of_user(role: str | None) -> Callable[[Indexes, dict[str, str]], list[Record]]:
    def scope(ix: Indexes, args: dict[str, str]) -> list[Record]:
        enrollments = ix.members("enrollments_by_user", args["user"])
        ids = dict.fromkeys(
            ref_id(e, "class") for e in enrollments if role is None or e.get("role") == role
        )
        return [c for c in (ix.store.get("classes", i) for i in ids if i) if c is not None]

    return scope


def _terms_of_school(ix: Indexes, args: dict[str, str]) -> list[Record]:
    term_ids: dict[str, None] = {}
    for cls in ix.members("classes_by_school", args["school"]):
        for term in cls.get("terms") or []:
            term_ids.setdefault(term.get("sourcedId"), None)
    sessions = (ix.store.get("academicSessions", t) for t in term_ids)
    return [s for s in sessions if s is not None and s.get("type") == "term"]


def _grading_periods_of_term(ix: Indexes, args: dict[str, str]) -> list[Record]:
    return [
        s
        for s in ix.members("sessions_by_parent", args["term"])
        if s.get("type") == "gradingPeriod"
    ]


def _class_categories(ix: Indexes, args: dict[str, str]) -> list[Record]:
    return [
        c
        for c in ix.store.all("categories")
        if not c.get("_classes") or args["class"] in c["_classes"]
    ]


def _results_of_class_line_item(ix: Indexes, args: dict[str, str]) -> list[Record]:
    return [
        r
        for r in ix.members("results_by_line_item", args["lineItem"])
        if class_of_result(ix.store, r) == args["class"]
    ]


def _results_of_class_student(ix: Indexes, args: dict[str, str]) -> list[Record]:
    return [
        r
        for r in ix.members("results_by_student", args["student"])
        if class_of_result(ix.store, r) == args["class"]
    ]


SCHOOL = ("school", "orgs", "school")
CLASS = ("class", "classes", None)
ACA = "academicSessions"

ROSTERING: dict[str, Listing] = {
    "/academicSessions": Listing(ACA, ACA, _all(ACA)),
    "/terms": Listing(ACA, ACA, _fixed("sessions_by_type", "term")),
    "/gradingPeriods": Listing(ACA, ACA, _fixed("sessions_by_type", "gradingPeriod")),
    "/orgs": Listing("orgs", "orgs", _all("orgs")),
    "/schools": Listing("orgs", "orgs", _fixed("orgs_by_type", "school")),
    "/courses": Listing("courses", "courses", _all("courses")),
    "/classes": Listing("classes", "classes", _all("classes")),
    "/users": Listing("users", "users", _all("users")),
    "/students": Listing("users", "users", _fixed("users_by_role", "student")),
    "/teachers": Listing("users", "users", _fixed("users_by_role", "teacher")),
    "/enrollments": Listing("enrollments", "enrollments", _all("enrollments")),
    "/demographics": Listing("demographics", "demographics", _all("demographics")),
    "/schools/<school>/classes": Listing(
        "classes", "classes", _grouped("classes_by_school", "school"), (SCHOOL,)
    ),
    "/schools/<school>/classes/<class>/enrollments": Listing(
        "enrollments", "enrollments", _enrollments_of_school_class, (SCHOOL, CLASS)
    ),
    "/schools/<school>/classes/<class>/students": Listing(
        "users", "users", _users_of_class("student"), (SCHOOL, CLASS)
    ),
    "/schools/<school>/classes/<class>/teachers": Listing(
        "users", "users", _users_of_class("teacher"), (SCHOOL, CLASS)
    ),
    "/schools/<school>/courses": Listing(
        "courses", "courses", _grouped("courses_by_org", "school"), (SCHOOL,)
    ),
    "/schools/<school>/enrollments": Listing(
        "enrollments", "enrollments", _grouped("enrollments_by_school", "school"), (SCHOOL,)
    ),
    "/schools/<school>/students": Listing(
        "users", "users", _grouped("users_by_role", "school", "student|{}"), (SCHOOL,)
    ),
    "/schools/<school>/teachers": Listing(
        "users", "users", _grouped("users_by_role", "school", "teacher|{}"), (SCHOOL,)
    ),
    "/schools/<school>/terms": Listing(ACA, ACA, _terms_of_school, (SCHOOL,)),
    "/terms/<term>/classes": Listing(
        "classes", "classes", _grouped("classes_by_term", "term"), (("term", ACA, "term"),)
    ),
    "/terms/<term>/gradingPeriods": Listing(
        ACA, ACA, _grading_periods_of_term, (("term", ACA, "term"),)
    ),
    "/courses/<course>/classes": Listing(
        "classes",
        "classes",
        _grouped("classes_by_course", "course"),
        (("course", "courses", None),),
    ),
    "/students/<user>/classes": Listing(
        "classes", "classes", _classes_of_user("student"), (("user", "users", None),)
    ),
    "/teachers/<user>/classes": Listing(
        "classes", "classes", _classes_of_user("teacher"), (("user", "users", None),)
    ),
    "/users/<user>/classes": Listing(
        "classes", "classes", _classes_of_user(None), (("user", "users", None),)
    ),
    "/classes/<class>/students": Listing("users", "users", _users_of_class("student"), (CLASS,)),
    "/classes/<class>/teachers": Listing("users", "users", _users_of_class("teacher"), (CLASS,)),
}

GRADEBOOK: dict[str, Listing] = {
    "/categories": Listing("categories", "categories", _all("categories")),
    "/lineItems": Listing("lineItems", "lineItems", _all("lineItems")),
    "/results": Listing("results", "results", _all("results")),
    "/classes/<class>/lineItems": Listing(
        "lineItems", "lineItems", _grouped("line_items_by_class", "class"), (CLASS,)
    ),
    "/classes/<class>/results": Listing(
        "results", "results", _grouped("results_by_class", "class"), (CLASS,)
    ),
    "/classes/<class>/lineItems/<lineItem>/results": Listing(
        "results", "results", _results_of_class_line_item, (CLASS, ("lineItem", "lineItems", None))
    ),
    "/classes/<class>/students/<student>/results": Listing(
        "results", "results", _results_of_class_student, (CLASS, ("student", "users", None))
    ),
}

CLASS_CATEGORIES = Listing("categories", "categories", _class_categories, (CLASS,))

# Singletons: path → (kind, envelope, required type or role)
SINGLE_ENVELOPE = {
    "orgs": "org",
    "academicSessions": "academicSession",
    "courses": "course",
    "classes": "class",
    "users": "user",
    "enrollments": "enrollment",
    "demographics": "demographics",
    "categories": "category",
    "lineItems": "lineItem",
    "results": "result",
}
ROSTERING_SINGLES: dict[str, tuple[str, Callable[[Record], bool]]] = {
    "/academicSessions/<id>": (ACA, lambda r: True),
    "/terms/<id>": (ACA, lambda r: r.get("type") == "term"),
    "/gradingPeriods/<id>": (ACA, lambda r: r.get("type") == "gradingPeriod"),
    "/orgs/<id>": ("orgs", lambda r: True),
    "/schools/<id>": ("orgs", lambda r: r.get("type") == "school"),
    "/courses/<id>": ("courses", lambda r: True),
    "/classes/<id>": ("classes", lambda r: True),
    "/users/<id>": ("users", lambda r: True),
    "/students/<id>": ("users", lambda r: any(role == "student" for role, _ in user_roles(r))),
    "/teachers/<id>": ("users", lambda r: any(role == "teacher" for role, _ in user_roles(r))),
    "/enrollments/<id>": ("enrollments", lambda r: True),
    "/demographics/<id>": ("demographics", lambda r: True),
}
GRADEBOOK_SINGLES = {
    "/categories/<id>": "categories",
    "/lineItems/<id>": "lineItems",
    "/results/<id>": "results",
}


def check_parents(store: Store, listing: Listing, args: dict[str, str]) -> None:
    for arg, kind, required_type in listing.parents:
        parent = store.get(kind, args[arg])
        if parent is None or (required_type and required_type not in _org_types(parent)):
            raise UnknownParent(f"{arg} {args[arg]!r} is not known to this SIS")
