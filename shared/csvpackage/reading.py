"""Streaming one CSV entry of the zip: UTF-8 with or without a byte order mark, RFC 4180 quoting
through the csv module (commas, quotes and line breaks inside quoted fields), one record at a
time from ``ZipFile.open`` through ``io.TextIOWrapper`` -- never a whole entry in memory. Each
record comes with the physical line it starts on (header = line 1). Pure: reads only the zip it
is given."""

from __future__ import annotations

import csv
import io
import zipfile
import zlib
from collections.abc import Generator, Iterator
from typing import IO

from shared.csvpackage.errors import PackageError

Record = tuple[int, int, list[str]]  # (first line, last line, fields)
_DAMAGED = (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError)
_DAMAGED_FIX = "zip the files again and upload the new zip"


def records(zf: zipfile.ZipFile, entry: str, file: str) -> Generator[Record, None, None]:
    """(first line, last line, fields) of every non-blank record, the header first."""
    try:
        with (
            _open(zf, entry, file) as raw,
            io.TextIOWrapper(raw, encoding="utf-8-sig", newline="") as text,
        ):
            yield from _parse(csv.reader(text), zf, entry, file)
    except _DAMAGED as error:
        raise PackageError(f"the zip entry cannot be read ({error})", file, _DAMAGED_FIX) from None


def _open(zf: zipfile.ZipFile, entry: str, file: str) -> IO[bytes]:
    info = zf.getinfo(entry)
    if info.flag_bits & 0x1:
        raise PackageError(
            "the file is encrypted", file, "zip the package without a password and upload it"
        )
    return zf.open(info)


def _parse(
    reader: Iterator[list[str]], zf: zipfile.ZipFile, entry: str, file: str
) -> Iterator[tuple[int, int, list[str]]]:
    line_num = 0  # csv.reader's line_num: physical lines read so far
    while True:
        start = line_num + 1
        try:
            fields = next(reader)
        except StopIteration:
            return
        except UnicodeDecodeError as error:
            raise _not_utf8(zf, entry, file, error) from None
        except csv.Error as error:
            raise PackageError(
                f"line {start} is not valid CSV ({error})",
                file,
                "quote fields holding commas, quotes or line breaks; keep each field under 128 KiB",
            ) from None
        line_num = getattr(reader, "line_num", line_num + 1)
        if fields:  # a blank line is skipped
            yield start, line_num, fields


def _not_utf8(
    zf: zipfile.ZipFile, entry: str, file: str, error: UnicodeDecodeError
) -> PackageError:
    """The decoder works in chunks, so find the exact line by reading the bytes again (only on
    this error path). UTF-8 never puts a newline byte inside a character, so lines decode alone."""
    line, byte = 0, error.object[error.start : error.start + 1]
    with zf.open(entry) as raw:
        for line, data in enumerate(raw, start=1):  # noqa: B007
            try:
                data.decode("utf-8")
            except UnicodeDecodeError as bad:
                byte = data[bad.start : bad.start + 1]
                break
    return PackageError(
        f"line {line} is not UTF-8 text (byte 0x{byte.hex()})",
        file,
        "export the file as UTF-8 (Windows-1252 and Latin-1 exports put bytes like 0xe9 for é)",
    )


def header_of(zf: zipfile.ZipFile, entry: str, file: str) -> list[str]:
    """The header row, read alone (the entry is closed again)."""
    rows = records(zf, entry, file)
    try:
        first = next(rows, None)
    finally:
        rows.close()
    if first is None:
        raise PackageError(
            "the file is empty", file, "export the file with its header row (and its rows)"
        )
    return first[2]
