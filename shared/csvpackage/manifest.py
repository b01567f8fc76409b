"""``manifest.csv``: the package's versions, which files it holds and whether each is bulk or
delta. Columns ``propertyName,value``; rows ``manifest.version`` (1.0), ``oneroster.version``
(1.1 or 1.2), ``file.<name>`` (bulk, delta or absent; a file the manifest leaves out is absent)
and optionally ``source.systemName``/``source.systemCode``. Pure."""

from __future__ import annotations

import difflib
import zipfile
from dataclasses import dataclass

from shared.csvpackage.binding import FILES, MANIFEST, MODES, ROSTER_FILES, VERSIONS
from shared.csvpackage.errors import PackageError, RowProblem, note
from shared.csvpackage.reading import records

_HEADER = ["propertyName", "value"]
_KNOWN = ("manifest.version", "oneroster.version", "source.systemName", "source.systemCode")
_FIX = "correct manifest.csv as the OneRoster CSV binding describes it"


@dataclass(frozen=True)
class Manifest:
    version: str  # "1.1" | "1.2"
    files: dict[str, str]  # file stem -> "bulk" | "delta" | "absent"
    source: str | None

    @property
    def kind(self) -> str:
        """ "delta" if any roster file is delta, else "full"."""
        delta = any(mode == "delta" for stem, mode in self.files.items() if stem in ROSTER_FILES)
        return "delta" if delta else "full"


def read_manifest(zf: zipfile.ZipFile, entry: str) -> tuple[Manifest, tuple[RowProblem, ...]]:
    properties = _properties(zf, entry)
    version = _versions(properties)
    files = dict.fromkeys(FILES[version], "absent")
    notes = []
    for name, (line, value) in properties.items():
        stem = name.removeprefix("file.")
        if name.startswith("file.") and stem in files:
            files[stem] = _mode(name, value, line)
        elif name not in _KNOWN:
            notes.append(note("csv_manifest_property", MANIFEST, _unknown(name, version), line))
    source = properties.get("source.systemName", properties.get("source.systemCode"))
    return Manifest(version, files, source[1] if source else None), tuple(notes)


def _properties(zf: zipfile.ZipFile, entry: str) -> dict[str, tuple[int, str]]:
    found: dict[str, tuple[int, str]] = {}
    for index, (line, _, fields) in enumerate(records(zf, entry, MANIFEST)):
        if index == 0:
            if fields != _HEADER:
                raise PackageError(f"the header is {fields!r}, not {_HEADER!r}", MANIFEST, _FIX)
            continue
        if len(fields) != 2:
            raise PackageError(f"line {line} has {len(fields)} fields, not 2", MANIFEST, _FIX)
        name, value = fields[0].strip(), fields[1].strip()
        if name in found and found[name][1] != value:
            raise PackageError(f"line {line} sets {name} a second time", MANIFEST, _FIX)
        found[name] = (line, value)
    if not found:
        raise PackageError("the manifest has no rows", MANIFEST, _FIX)
    return found


def _versions(properties: dict[str, tuple[int, str]]) -> str:
    manifest_version = properties.get("manifest.version", (0, ""))[1]
    if manifest_version != "1.0":
        raise PackageError(
            f"manifest.version is {manifest_version or 'missing'}; Rostersync reads manifest "
            "version 1.0",
            MANIFEST,
            "write the row manifest.version,1.0",
        )
    version = properties.get("oneroster.version", (0, ""))[1]
    if version not in VERSIONS:
        raise PackageError(
            f"oneroster.version is {version or 'missing'}; Rostersync reads OneRoster 1.1 and "
            "1.2 packages",
            MANIFEST,
            "export the package as OneRoster 1.1 or 1.2 and state it in oneroster.version",
        )
    return version


def _mode(name: str, value: str, line: int) -> str:
    mode = value.lower()
    if mode not in MODES:
        raise PackageError(
            f"line {line}: {name} is {value!r}, not one of {', '.join(MODES)}", MANIFEST, _FIX
        )
    return mode


def _unknown(name: str, version: str) -> str:
    words = [*_KNOWN, *(f"file.{stem}" for stem in FILES[version])]
    close = difflib.get_close_matches(name, words, n=1, cutoff=0.8)
    hint = f" (did you mean {close[0]}?)" if close else ""
    return f"{name!r} is not a OneRoster {version} manifest property{hint}; ignored"
