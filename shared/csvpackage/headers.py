"""Header rows. Names are matched exactly, case-sensitively, as the binding spells them; their
order is free (the binding lists columns in spec order, but a reader loses nothing by accepting
any order, and exporters do reorder). A name that is not the binding's but close to a binding
column the header lacks is a misspelling and fails the package with a did-you-mean; ``metadata.*``
and other names are extensions, ignored with a note. Pure."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from shared.csvpackage.binding import COLUMNS, DELTA_REQUIRED, REQUIRED_COLUMNS, VERSIONS
from shared.csvpackage.errors import PackageError, RowProblem, note

_CLOSE = 0.85  # difflib ratio above which an unknown name is taken for a misspelling


@dataclass(frozen=True)
class Header:
    """Which field of a record holds which binding column, and the binding columns it lacks."""

    width: int
    positions: tuple[tuple[str, int], ...]  # (column, index in the record)
    absent: tuple[str, ...]

    def row(self, fields: list[str]) -> dict[str, str]:
        raw = {column: fields[index] for column, index in self.positions}
        raw.update(dict.fromkeys(self.absent, ""))
        return raw


def check_header(
    fields: list[str], stem: str, version: str, mode: str
) -> tuple[Header, tuple[RowProblem, ...]]:
    file = f"{stem}.csv"
    known = COLUMNS[version][stem]
    _no_repeats(fields, file)
    missing = [c for c in known if c not in fields]
    extensions = [name for name in fields if name not in known]
    for name in extensions:
        _not_misspelt(name, missing, file, stem, version)
    required = REQUIRED_COLUMNS[version][stem] + (DELTA_REQUIRED if mode == "delta" else ())
    for column in (c for c in required if c in missing):
        raise PackageError(
            f"the required column {column!r} is missing from the header",
            file,
            f"add {column!r} to the header row (the OneRoster {version} {stem} columns are: "
            f"{', '.join(known)})",
        )
    notes = []
    if extensions:
        notes.append(note("csv_extension_columns", file, _extension_reason(extensions, stem)))
    if missing:
        reason = f"optional columns not in the header, read as blank: {', '.join(missing)}"
        notes.append(note("csv_columns_absent", file, reason))
    positions = tuple((name, index) for index, name in enumerate(fields) if name in known)
    return Header(len(fields), positions, tuple(missing)), tuple(notes)


def _no_repeats(fields: list[str], file: str) -> None:
    seen: set[str] = set()
    for name in fields:
        if name in seen:
            raise PackageError(
                f"column {name!r} appears twice in the header", file, "keep one of the two"
            )
        seen.add(name)


def _not_misspelt(name: str, missing: list[str], file: str, stem: str, version: str) -> None:
    if name.startswith("metadata."):
        return
    same_letters = [c for c in missing if c.lower() == name.strip().lower()]
    close = same_letters or difflib.get_close_matches(name, missing, n=1, cutoff=_CLOSE)
    if close:
        raise PackageError(
            f"column {name!r} is not a OneRoster {version} {stem} column; did you mean "
            f"{close[0]!r}?",
            file,
            f"rename the column to {close[0]!r} (column names are case-sensitive)",
        )


def _extension_reason(names: list[str], stem: str) -> str:
    other = {c for v in VERSIONS for c in COLUMNS[v].get(stem, ())}
    marked = (f"{n} (a column of another OneRoster version)" if n in other else n for n in names)
    listed = ", ".join(marked)
    return f"columns outside the binding, ignored: {listed}"
