"""The zip around a package: is it a zip at all, where its files sit (at the root, or in the one
folder that holds them all, as when a folder is zipped), and which entries are not read. Pure."""

from __future__ import annotations

import zipfile
from typing import BinaryIO

from shared.csvpackage.binding import FILES, MANIFEST, file_name
from shared.csvpackage.errors import PackageError, RowProblem, note
from shared.csvpackage.manifest import Manifest

_MAGIC = {
    b"\x1f\x8b": "a gzip file",
    b"%PDF": "a PDF",
    b"Rar!": "a RAR archive",
    b"7z\xbc\xaf": "a 7-Zip archive",
    b"\xd0\xcf\x11\xe0": "an old Excel/Office file",
}
_ZIP_FIX = "upload the OneRoster CSV files (manifest.csv and the rest) zipped into one .zip file"
_SKIP = ("__MACOSX/",)  # folders some zip tools add, never part of a package
_LISTED = 10  # entries named in a note, at most


def open_zip(fileobj: BinaryIO) -> zipfile.ZipFile:
    size = fileobj.seek(0, 2)
    if size == 0:
        raise PackageError("the package is empty (0 bytes)", None, _ZIP_FIX)
    fileobj.seek(0)
    head = fileobj.read(16)
    fileobj.seek(0)
    try:
        zf = zipfile.ZipFile(fileobj)
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        if head.startswith(b"PK"):
            raise PackageError(
                f"the zip is damaged or cut short ({error})", None, _ZIP_FIX
            ) from None
        raise PackageError(
            f"the upload is not a zip file (it starts with {_describe(head)})", None, _ZIP_FIX
        ) from None
    if not _entries(zf):
        zf.close()
        raise PackageError("the zip holds no files", None, _ZIP_FIX)
    return zf


def _describe(head: bytes) -> str:
    for magic, what in _MAGIC.items():
        if head.startswith(magic):
            return f"{head[:8]!r}: {what}"
    text = head.decode("utf-8", "replace")
    if text.isprintable():
        return f"{text!r}: a text file, perhaps one CSV file unzipped"
    return repr(head)


def _entries(zf: zipfile.ZipFile) -> list[str]:
    return [
        info.filename
        for info in zf.infolist()
        if not info.is_dir() and not info.filename.startswith(_SKIP)
    ]


def package_root(zf: zipfile.ZipFile) -> tuple[str, tuple[RowProblem, ...]]:
    """The folder prefix the package's files sit under ("" for the root) and a note if any."""
    names = _entries(zf)
    if MANIFEST in names:
        return "", ()
    folders = {name.split("/", 1)[0] for name in names}
    nested = [n for n in names if n.endswith("/" + MANIFEST)]
    if len(folders) == 1 and nested == [f"{next(iter(folders))}/{MANIFEST}"]:
        prefix = nested[0].removesuffix(MANIFEST)
        reason = f"the package's files are in the folder {prefix!r} of the zip; read from there"
        return prefix, (note("csv_top_folder", MANIFEST, reason),)
    where = f" (found {nested[0]!r}; zip the files themselves, not their folders)" if nested else ""
    cased = [n for n in names if n.lower() == MANIFEST]
    if cased:
        where = f" (found {cased[0]!r}: file names are case-sensitive)"
    raise PackageError(
        f"the zip has no {MANIFEST} at its root{where}",
        MANIFEST,
        "put manifest.csv beside the other CSV files at the root of the zip",
    )


def ignored_entries(
    names: set[str], prefix: str, manifest: Manifest, read: set[str]
) -> tuple[RowProblem, ...]:
    """One note for entries outside the binding and one for binding files not read."""
    binding = {file_name(stem): stem for stem in FILES[manifest.version]}
    outside, unread = [], []
    for name in sorted(n for n in names if not n.endswith("/") and not n.startswith(_SKIP)):
        local = name.removeprefix(prefix) if name.startswith(prefix) else ""
        if local == MANIFEST:
            continue
        stem = binding.get(local)
        if stem is None:
            outside.append(name)
        elif stem not in read:
            mode = manifest.files[stem]
            unread.append(local + (" (the manifest marks it absent)" if mode == "absent" else ""))
    notes = []
    if outside:
        reason = f"entries outside the OneRoster {manifest.version} CSV binding, ignored: "
        notes.append(note("csv_files_ignored", MANIFEST, reason + _listed(outside)))
    if unread:
        reason = "binding files Rostersync does not read, ignored: "
        notes.append(note("csv_files_ignored", MANIFEST, reason + _listed(unread)))
    return tuple(notes)


def _listed(names: list[str]) -> str:
    more = f" and {len(names) - _LISTED} more" if len(names) > _LISTED else ""
    return ", ".join(names[:_LISTED]) + more
