"""The district's term and course-code filters (``filters`` of the district document, set with
PATCH /districts/{d}/settings): which SIS sections the sync offers as classes. Pure.

A section is offered when one of its terms is among ``term_ids`` (when given) and its code
(OneRoster ``classCode``) matches one of ``course_code_patterns`` (when given; shell-style
patterns, ``*`` and ``?``, case-insensitive). A section that already has a class keeps syncing
whatever the filters say: the filters decide what is offered, never what is taken away."""

from __future__ import annotations

import fnmatch
from collections.abc import Collection, Mapping, Sequence
from typing import Any


def _listed(filters: Mapping[str, Any], name: str) -> list[str] | None:
    value = filters.get(name)
    return [str(v) for v in value] if isinstance(value, list) and value else None


def section_passes(data: Mapping[str, Any], filters: Mapping[str, Any]) -> bool:
    """Whether a mirrored section's data (``term_ids``, ``class_code``) passes the filters."""
    terms = _listed(filters, "term_ids")
    if terms is not None and not set(terms) & set(data.get("term_ids") or ()):
        return False
    patterns = _listed(filters, "course_code_patterns")
    if patterns is None:
        return True
    code = str(data.get("class_code") or "").casefold()
    return any(fnmatch.fnmatchcase(code, p.casefold()) for p in patterns)


def offered_sections(
    sections: Sequence[dict[str, Any]],
    enrollments: Sequence[dict[str, Any]],
    filters: Mapping[str, Any] | None,
    kept: Collection[str],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The mirrored sections (and their enrollments) the planner sees: those passing the
    filters, and those in ``kept`` (section ids that already have a class)."""
    if not filters:
        return list(sections), list(enrollments)
    left_out = {
        s["sourcedId"]
        for s in sections
        if s["sourcedId"] not in kept and not section_passes(s.get("data") or {}, filters)
    }
    if not left_out:
        return list(sections), list(enrollments)
    return (
        [s for s in sections if s["sourcedId"] not in left_out],
        [e for e in enrollments if (e.get("data") or {}).get("class_id") not in left_out],
    )
