"""What can be wrong with a OneRoster CSV package: a file-level ``PackageError`` (the run fails
with its reason and nothing is removed) and a row-level ``RowProblem`` (the row is skipped or a
value left empty, the other rows go on). ``CSV_PROBLEM_CODES`` is the one table of row problem
codes: severity, meaning and fix, for the warnings table and docs/csv-packages.md. Pure."""

from __future__ import annotations

from dataclasses import dataclass

VALUE_LIMIT = 200  # a value is quoted back cut to this many characters

# code -> (severity, meaning, fix)
CSV_PROBLEM_CODES: dict[str, tuple[str, str, str]] = {
    "csv_row_invalid": (
        "warning",
        "the row has more or fewer fields than the header (often an unclosed quote or an "
        "unquoted comma); the row is skipped",
        "quote every field that holds a comma, a quote or a line break, and double the quotes "
        "inside it",
    ),
    "csv_value_missing": (
        "warning",
        "a value the row cannot do without is blank (sourcedId; an enrollment's class or user; a "
        "role's user or role; the status of a delta row); the row is skipped",
        "fill the value in the SIS export",
    ),
    "csv_value_invalid": (
        "warning",
        "a value is not in the binding's format (a date not YYYY-MM-DD, a dateLastModified not an "
        "ISO 8601 date-time, a boolean not true/false, a userIds entry not {type:id}); a required "
        "value skips the row, an optional one is left empty",
        "write the value in the format the OneRoster CSV binding defines",
    ),
    "csv_value_unknown": (
        "warning",
        "a value is outside the version's vocabulary (status, user role, org type, session type, "
        "class type, enrollment role, role type); a required value skips the row, an optional one "
        "is left empty",
        "use one of the values the binding lists for the column, or an ext: value",
    ),
    "csv_status_outside_version": (
        "warning",
        "status `inactive` (a OneRoster 1.0 value) in a 1.1 or 1.2 package; read as `tobedeleted`",
        "write tobedeleted for records that are gone, active for the others",
    ),
    "csv_role_missing": (
        "warning",
        "an active OneRoster 1.2 user has no usable row in roles.csv, so it has no role; the "
        "user is skipped",
        "give the user at least one roles.csv row (roleType primary) naming its org",
    ),
    "csv_extension_columns": (
        "info",
        "columns the binding does not define (metadata.* extensions, vendor columns) are ignored",
        "nothing, unless the column is a misspelt OneRoster column",
    ),
    "csv_columns_absent": (
        "info",
        "optional columns of the binding are not in the header; their values are read as blank",
        "nothing, or add the columns to the export",
    ),
    "csv_files_ignored": (
        "info",
        "zip entries that Rostersync does not read (files outside the binding, or binding files "
        "it has no use for, such as demographics.csv or userProfiles.csv) are ignored",
        "nothing",
    ),
    "csv_manifest_property": (
        "info",
        "a manifest.csv property the binding does not define (often a typo) is ignored",
        "correct the property name in manifest.csv",
    ),
    "csv_top_folder": (
        "info",
        "the files sit in one folder inside the zip rather than at its root; read from there",
        "nothing, or zip the files themselves rather than their folder",
    ),
}


class PackageError(Exception):
    """The package as a whole cannot be read: the run fails with this reason, nothing removed."""

    def __init__(self, reason: str, file: str | None = None, fix: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.file = file
        self.fix = fix

    def __str__(self) -> str:
        where = f"{self.file}: " if self.file else ""
        fix = f"; {self.fix}" if self.fix else ""
        return f"{where}{self.reason}{fix}"


@dataclass(frozen=True)
class RowProblem:
    code: str  # one of CSV_PROBLEM_CODES
    file: str  # "users.csv"
    line: int  # physical line where the row starts (header = line 1)
    column: str | None
    value: str | None  # as written, cut to VALUE_LIMIT characters
    reason: str
    fix: str
    sourced_id: str | None
    severity: str = "warning"  # or "info"


def cut(value: str | None) -> str | None:
    return None if value is None else value[:VALUE_LIMIT]


def note(code: str, file: str, reason: str, line: int = 1, column: str | None = None) -> RowProblem:
    """A package-level info (line 1 = the header, or the manifest row it is about)."""
    severity, _, fix = CSV_PROBLEM_CODES[code]
    return RowProblem(code, file, line, column, None, reason, fix, None, severity)
