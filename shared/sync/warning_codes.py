"""Every data-warning code in one table: the record kind it names, its severity, what it means and
the fix in the SIS. The ``DataWarning`` builders take their fix text from here, and
docs/firestore.md's table of codes is rendered from it (``python -m tools.warning_codes_doc``; a
test fails when the two differ). Pure."""

from __future__ import annotations

from dataclasses import dataclass

from shared.csvpackage import CSV_PROBLEM_CODES


@dataclass(frozen=True)
class WarningCode:
    code: str
    record_kind: str
    severity: str  # "warning": something was skipped or guessed; "info": noted only
    meaning: str
    fix: str


_KEYS = ("email", "username", "identifier")

CODES: tuple[WarningCode, ...] = (
    WarningCode(
        "invalid_record",
        "any",
        "warning",
        "the parser skipped the record: no sourcedId, an enrollment without user or class, an "
        "unknown `status`, or a second record with the same sourcedId and different fields in "
        "one listing (an identical repeat is dropped silently)",
        "correct the record in the SIS",
    ),
    WarningCode(
        "duplicate_sourced_id",
        "any",
        "warning",
        "the same sourcedId came on two pages of one listing (the SIS changed its records while "
        "paging, or sends one record twice with different fields); the last copy is kept",
        "give every record its own sourcedId in the SIS (if the copies are the same record, the "
        "SIS's paging shifted during the run and nothing needs fixing)",
    ),
    WarningCode(
        "tobedeleted_in_full",
        "any",
        "info",
        "a full listing sent the record with status `tobedeleted` (OneRoster 1.1 and 1.2 allow "
        "it in a full listing and it means deleted); the record is treated as deleted",
        "nothing, if the record is deleted; otherwise set its status to active in the SIS",
    ),
    WarningCode(
        "unknown_user",
        "enrollment",
        "warning",
        "it names a user the SIS did not send for the school; ignored",
        "check that the user is active and belongs to the school in the SIS",
    ),
    WarningCode(
        "unknown_class",
        "enrollment",
        "warning",
        "it names a class the SIS did not send for the school; ignored",
        "check the enrollment's class and school in the SIS",
    ),
    WarningCode(
        "role_mismatch",
        "enrollment",
        "warning",
        "a student enrolled as a teacher or a teacher as a student; ignored (a student never "
        "owns or co-teaches; the class keeps its teachers)",
        "correct the enrollment's role, or the user's role, in the SIS",
    ),
    WarningCode(
        "unknown_enrollment_role",
        "enrollment",
        "warning",
        "role not `student`, `teacher`, `administrator`, `proctor`, `aide` or `ext:…`; ignored",
        "set the role to student, teacher, administrator or proctor in the SIS",
    ),
    WarningCode(
        "dates_out_of_order",
        "enrollment",
        "warning",
        "the enrollment begins after it ends; ignored",
        "correct the enrollment's beginDate and endDate in the SIS",
    ),
    WarningCode(
        "dates_out_of_order",
        "academicSession",
        "warning",
        "the term starts after it ends",
        "correct the term's startDate and endDate in the SIS",
    ),
    WarningCode(
        "enrollment_outside_term",
        "enrollment",
        "info",
        "its dates lie wholly outside its class's terms",
        "correct the enrollment's dates or the class's terms in the SIS",
    ),
    WarningCode(
        "blank_section_title",
        "class",
        "warning",
        "empty title; the class is named from class code (else course, else id) and periods",
        "give the section a title in the SIS",
    ),
    WarningCode(
        "term_ended",
        "class",
        "info",
        "every term of a section the sync never offered has ended (names the terms and dates); "
        "not offered",
        "if the section still meets, move it to a current term or extend the term in the SIS",
    ),
    WarningCode(
        "section_without_teacher",
        "class",
        "warning",
        "no current teacher; not offered, or keeps its owner",
        "assign a teacher to the section in the SIS",
    ),
    WarningCode(
        "disabled_user",
        "user",
        "warning",
        "`enabledUser` false but still enrolled; kept on the classes",
        "remove the user's enrollments, or enable the user, in the SIS",
    ),
    WarningCode(
        "malformed_email",
        "user",
        "warning",
        "the email is not an address",
        "correct the user's email in the SIS",
    ),
    *(
        WarningCode(
            f"missing_{key}",
            "user",
            "warning",
            f"the district matches accounts by {key} and the user has none; not linked",
            f"enter the user's {key} in the SIS",
        )
        for key in _KEYS
    ),
    *(
        WarningCode(
            f"duplicate_{key}",
            "user",
            "warning",
            f"the {key} (the district's account match key) is shared with other SIS users in any "
            "school; none of them is linked",
            f"give each user their own {key} in the SIS",
        )
        for key in _KEYS
    ),
    WarningCode(
        "ambiguous_account",
        "user",
        "warning",
        "several of the app's accounts have the user's match key value; none is linked",
        "merge or correct the accounts that share the {key}",
    ),
    WarningCode(
        "no_matching_account",
        "user",
        "warning",
        "no account has the user's match key value (and account creation is off)",
        "create the account in the app, correct the {key} in the SIS, or turn on account creation",
    ),
    WarningCode(
        "selected_school_missing",
        "org",
        "warning",
        "a school selected for sync is not among the schools the SIS sends",
        "check the school in the SIS or update the selection",
    ),
    WarningCode(
        "org_not_school",
        "org",
        "info",
        "`/schools` lists an org whose type is not `school`; it is synced",
        "set the org's type to school in the SIS, or leave it out of the school listing",
    ),
)

CSV_KIND = "any (CSV)"  # the table's record kind of the codes only a CSV package produces

# A OneRoster CSV package's row and package problems (shared/csvpackage): their record is the
# file's (user, class, ...); the warning's ``location`` names the file, line and column.
CODES += (
    *(
        WarningCode(code, CSV_KIND, severity, meaning, fix)
        for code, (severity, meaning, fix) in CSV_PROBLEM_CODES.items()
    ),
    WarningCode(
        "csv_more_problems",
        CSV_KIND,
        "warning",
        "a file of the package has more row problems than are listed (5,000 per file); the "
        "warning counts the rest, which were treated as the listed ones were",
        "fix the listed rows, export the package again and look at the next warnings",
    ),
)

_BY_KEY = {(c.code, c.record_kind): c for c in CODES}
_BY_CODE = {c.code: c for c in reversed(CODES)}  # the first row of a code


def lookup(code: str, record_kind: str | None = None) -> WarningCode:
    """The row of ``code`` (for ``record_kind`` when the code has a row per kind)."""
    return _BY_KEY.get((code, record_kind or ""), _BY_CODE[code])


def fix_text(code: str, record_kind: str | None = None, **fill: str) -> str:
    """The fix of ``code``; ``fill`` names the district's match key (``key``) where it says."""
    return lookup(code, record_kind).fix.format(**fill) if fill else lookup(code, record_kind).fix


def severity(code: str, record_kind: str | None = None) -> str:
    return lookup(code, record_kind).severity


def markdown_table() -> str:
    """The table of docs/firestore.md, one row per code (and record kind)."""
    lines = ["| code | record | severity | meaning | fix in the SIS |", "|---|---|---|---|---|"]
    for c in CODES:
        fix = c.fix.format(key="match key")
        lines.append(f"| `{c.code}` | {c.record_kind} | {c.severity} | {c.meaning} | {fix} |")
    return "\n".join(lines) + "\n"
