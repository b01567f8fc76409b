"""Opening a OneRoster CSV package and streaming its rows.

``open_package`` checks everything file-level at once -- a zip, a manifest of the right versions,
every file the manifest lists present, the files a bulk package needs, every header -- and
raises ``PackageError`` with the reason and the fix. ``Package.rows(kind)`` then streams one
file's rows as ``CsvRow``s: the REST-shaped record (or None when the row is unusable) and the
row's problems. It may still raise ``PackageError`` mid-file (bytes that are not UTF-8, a
damaged zip entry). In 1.2, users' roles live in roles.csv: ``rows("users")`` first indexes
roles.csv by userSourcedId (a dict of small tuples, with repeated strings shared: the only
per-user memory the reader keeps), then joins them into each user's ``roles[]``. Pure: reads
only the binary file object it is given."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

from shared.csvpackage.binding import (
    KINDS,
    MANIFEST,
    REQUIRED_COLUMNS,
    REQUIRED_FILES,
    file_name,
    read_files,
)
from shared.csvpackage.errors import CSV_PROBLEM_CODES, PackageError, RowProblem
from shared.csvpackage.headers import Header, check_header
from shared.csvpackage.layout import ignored_entries, open_zip, package_root
from shared.csvpackage.manifest import Manifest, read_manifest
from shared.csvpackage.models import MODELS, CsvModel, RoleRow, RoleTuple, UserRow12
from shared.csvpackage.reading import header_of, records
from shared.csvpackage.validate import RowPlace, validate


@dataclass(frozen=True)
class CsvRow:
    file: str
    line: int
    record: dict[str, Any] | None  # REST JSON shape for parse_record; None = row unusable
    problems: tuple[RowProblem, ...]


def open_package(fileobj: BinaryIO) -> Package:
    """The package in ``fileobj`` (binary, seekable), checked file by file; ``PackageError``
    when it cannot be read."""
    zf = open_zip(fileobj)
    try:
        return _checked(zf)
    except BaseException:
        zf.close()
        raise


def _checked(zf: zipfile.ZipFile) -> Package:
    prefix, notes = package_root(zf)
    manifest, manifest_notes = read_manifest(zf, prefix + MANIFEST)
    names = {info.filename for info in zf.infolist()}
    _files_present(manifest, prefix, names)
    _bulk_files(manifest)
    headers: dict[str, Header] = {}
    header_notes: list[RowProblem] = []
    for stem in read_files(manifest.version):
        if manifest.files[stem] != "absent":
            fields = header_of(zf, prefix + file_name(stem), file_name(stem))
            headers[stem], found = check_header(
                fields, stem, manifest.version, manifest.files[stem]
            )
            header_notes += found
    ignored = ignored_entries(names, prefix, manifest, set(headers))
    all_notes = (*notes, *manifest_notes, *header_notes, *ignored)
    return Package(zf, prefix, manifest, headers, all_notes)


def _files_present(manifest: Manifest, prefix: str, names: set[str]) -> None:
    lower = {name.lower(): name for name in names}
    for stem, mode in manifest.files.items():
        name = file_name(stem)
        if mode == "absent" or prefix + name in names:
            continue
        other = lower.get((prefix + name).lower())
        hint = f" (the zip has {other!r}: file names are case-sensitive)" if other else ""
        raise PackageError(
            f"the manifest marks {name} {mode} but the zip has no such file{hint}",
            name,
            f"add {name} to the zip, or mark it absent in manifest.csv",
        )


def _bulk_files(manifest: Manifest) -> None:
    if manifest.kind != "full":
        return
    for stem in REQUIRED_FILES[manifest.version]:
        if manifest.files[stem] == "absent":
            raise PackageError(
                f"a bulk OneRoster {manifest.version} package needs {file_name(stem)}, and the "
                "manifest marks it absent",
                file_name(stem),
                f"export {file_name(stem)} and mark it bulk in manifest.csv",
            )


class Package:
    """An opened package: its manifest, package-level notes and a stream of rows per kind."""

    def __init__(
        self,
        zf: zipfile.ZipFile,
        prefix: str,
        manifest: Manifest,
        headers: dict[str, Header],
        notes: tuple[RowProblem, ...],
    ) -> None:
        self._zf = zf
        self._prefix = prefix
        self._headers = headers
        self.manifest = manifest
        self.notes = notes

    def close(self) -> None:
        """Closes the zip reader (not the file object it was given)."""
        self._zf.close()

    def __enter__(self) -> Package:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def rows(self, kind: str) -> Iterator[CsvRow]:
        """Every row of ``kind``'s file, streamed; none when the manifest says it is absent."""
        if kind not in KINDS:
            raise ValueError(f"no CSV rows for {kind!r}; one of {', '.join(KINDS)}")
        if kind not in self._headers:
            return iter(())
        if kind == "users" and self.manifest.version == "1.2":
            return self._users_with_roles()
        return (CsvRow(r.file, r.line, _rest(r.model), r.problems) for r in self._models(kind))

    def _models(self, stem: str) -> Iterator[_Parsed]:
        version, mode = self.manifest.version, self.manifest.files[stem]
        model = MODELS[version][stem]
        header = self._headers[stem]
        file = file_name(stem)
        place = RowPlace(file, version, mode, frozenset(REQUIRED_COLUMNS[version][stem]))
        rows = records(self._zf, self._prefix + file, file)
        next(rows)  # the header, checked at open
        for line, last, fields in rows:
            if len(fields) != header.width:
                yield _Parsed(file, line, None, (_wrong_width(file, line, last, fields, header),))
                continue
            parsed, problems = validate(model, header.row(fields), place, line)
            yield _Parsed(file, line, parsed, problems)

    def _users_with_roles(self) -> Iterator[CsvRow]:
        roles: dict[str, list[RoleTuple]] = {}
        if "roles" in self._headers:
            yield from self._index_roles(roles)
        for row in self._models("users"):
            user = row.model
            if not isinstance(user, UserRow12):
                yield CsvRow(row.file, row.line, None, row.problems)
                continue
            found = tuple(roles.get(user.sourcedId, ()))
            if not found and user.status != "tobedeleted":
                yield CsvRow(row.file, row.line, None, (*row.problems, _no_role(row, user)))
                continue
            yield CsvRow(row.file, row.line, user.rest_with_roles(found), row.problems)

    def _index_roles(self, roles: dict[str, list[RoleTuple]]) -> Iterator[CsvRow]:
        """Fills ``roles`` from roles.csv; yields a record-less CsvRow for each roles row with a
        problem (roles rows make no records of their own). Roles marked tobedeleted are left
        out of the user's roles."""
        shared: dict[str, str] = {}
        for row in self._models("roles"):
            if row.problems:
                yield CsvRow(row.file, row.line, None, row.problems)
            role = row.model
            if not isinstance(role, RoleRow) or role.status == "tobedeleted":
                continue
            entry = _shared_strings(role.as_tuple(), shared)
            roles.setdefault(role.userSourcedId, []).append(entry)


@dataclass(frozen=True)
class _Parsed:
    file: str
    line: int
    model: CsvModel | None
    problems: tuple[RowProblem, ...]


def _rest(model: CsvModel | None) -> dict[str, Any] | None:
    return None if model is None else model.rest()


def _wrong_width(file: str, line: int, last: int, fields: list[str], header: Header) -> RowProblem:
    spans = f" (it runs over lines {line}-{last}: an unclosed quote?)" if last > line else ""
    severity, _, fix = CSV_PROBLEM_CODES["csv_row_invalid"]
    sourced_id = _sourced_id(fields, header)
    reason = f"the row has {len(fields)} fields, the header {header.width}{spans}"
    reason += "; the row is skipped"
    return RowProblem("csv_row_invalid", file, line, None, None, reason, fix, sourced_id, severity)


def _sourced_id(fields: list[str], header: Header) -> str | None:
    index = dict(header.positions).get("sourcedId")
    if index is None or index >= len(fields):
        return None
    return fields[index].strip() or None


def _no_role(row: _Parsed, user: UserRow12) -> RowProblem:
    severity, _, fix = CSV_PROBLEM_CODES["csv_role_missing"]
    reason = f"user {user.sourcedId!r} has no usable row in roles.csv; the user is skipped"
    return RowProblem(
        "csv_role_missing", row.file, row.line, None, None, reason, fix, user.sourcedId, severity
    )


def _shared_strings(entry: RoleTuple, shared: dict[str, str]) -> RoleTuple:
    """The tuple with repeated values (role words, school ids, dates) stored once."""
    role_type, role, org, begin, end, profile = (
        shared.setdefault(v, v) if v is not None else None for v in entry
    )
    return (role_type or "", role or "", org, begin, end, profile)
