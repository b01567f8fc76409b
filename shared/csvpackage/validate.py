"""The one place a row model's ``ValidationError`` becomes RowProblems (error loc -> column, error
type -> code, message -> reason, context -> fix). A bad value in a column the binding makes
required makes the row unusable; a bad value in an optional column is left empty and the row is
validated again without it. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from shared.csvpackage.errors import CSV_PROBLEM_CODES, RowProblem, cut
from shared.csvpackage.fields import status_rule
from shared.csvpackage.models import CsvModel

_SKIPPED = "the row is skipped"
_EMPTIED = "the value is left empty"
_ALWAYS_REQUIRED = frozenset({"sourcedId", "status"})


@dataclass(frozen=True)
class RowPlace:
    """Where rows come from: enough to name them in problems and to validate them."""

    file: str
    version: str
    mode: str  # "bulk" | "delta"
    required: frozenset[str]  # columns whose bad value makes the row unusable


def validate(
    model: type[CsvModel], raw: dict[str, str], place: RowPlace, line: int
) -> tuple[CsvModel | None, tuple[RowProblem, ...]]:
    """The row's model (None: unusable) and every problem found in it."""
    sourced_id = (raw.get("sourcedId") or "").strip() or None
    row = dict(raw)
    problems: list[RowProblem] = []
    for _attempt in range(2):
        context: dict[str, Any] = {"version": place.version, "mode": place.mode, "notes": []}
        try:
            parsed = model.model_validate(row, context=context)
        except ValidationError as error:
            found = [_problem(e, raw, place, line, sourced_id) for e in error.errors()]
            fatal = [p for p in found if _is_fatal(p, place)]
            if fatal:
                return None, (*problems, *(_tell(p, _SKIPPED) for p in fatal))
            problems += [_tell(p, _EMPTIED) for p in found]
            row.update({p.column: "" for p in found if p.column})
            continue
        notes = [_note(n, raw, place, line, sourced_id) for n in context["notes"]]
        return parsed, (*problems, *notes)
    return None, tuple(problems)


def _is_fatal(problem: RowProblem, place: RowPlace) -> bool:
    if problem.code == "csv_value_missing" or problem.column is None:
        return True
    return problem.column in _ALWAYS_REQUIRED or problem.column in place.required


def _tell(problem: RowProblem, outcome: str) -> RowProblem:
    return RowProblem(
        problem.code,
        problem.file,
        problem.line,
        problem.column,
        problem.value,
        f"{problem.reason}; {outcome}",
        problem.fix,
        problem.sourced_id,
        problem.severity,
    )


def _problem(
    error: Any, raw: dict[str, str], place: RowPlace, line: int, sourced_id: str | None
) -> RowProblem:
    loc = error.get("loc") or ()
    column = str(loc[0]) if loc else None
    code = str(error.get("type"))
    context = error.get("ctx") or {}
    if code not in CSV_PROBLEM_CODES:  # not one of our validators: still a bad value
        code = "csv_value_invalid"
    severity, _, default_fix = CSV_PROBLEM_CODES[code]
    fix = str(context.get("fix") or default_fix)
    value = raw.get(column) if column else None
    return RowProblem(
        code, place.file, line, column, cut(value), str(error.get("msg")), fix, sourced_id, severity
    )


def _note(
    entry: tuple[str, str, str], raw: dict[str, str], place: RowPlace, line: int, sid: str | None
) -> RowProblem:
    code, column, value = entry
    severity, _, fix = CSV_PROBLEM_CODES[code]
    reason = status_rule(place.version)
    return RowProblem(code, place.file, line, column, cut(value), reason, fix, sid, severity)
