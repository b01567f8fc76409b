"""Firestore-safe document ids and map keys for any SIS sourcedId.

sourcedIds may contain ``/``, ``.``, spaces or start with ``__``; Firestore ids and field paths
cannot. Every character outside ``[A-Za-z0-9-]`` becomes ``~XX`` (UTF-8 hex), which is reversible
and collision-free, and leaves typical ids such as ``cls-000123`` readable.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

_SAFE = re.compile(r"[A-Za-z0-9\-]")
_PLAIN = re.compile(r"[A-Za-z0-9\-]+")
_ESCAPE = re.compile(r"~([0-9A-F]{2})")
MAX_SOURCED_ID_BYTES = 400


def safe_id(sourced_id: str) -> str:
    if not sourced_id:
        raise ValueError("a sourcedId cannot be empty")
    if len(sourced_id) <= MAX_SOURCED_ID_BYTES and _PLAIN.fullmatch(sourced_id):
        return sourced_id  # the usual id, already safe: one regex pass, not one per character
    raw = sourced_id.encode("utf-8")
    if len(raw) > MAX_SOURCED_ID_BYTES:
        raise ValueError(f"a sourcedId longer than {MAX_SOURCED_ID_BYTES} bytes is not supported")
    return "".join(chr(byte) if _SAFE.fullmatch(chr(byte)) else f"~{byte:02X}" for byte in raw)


def from_safe_id(doc_id: str) -> str:
    return bytes(
        int(part[1:], 16) if part.startswith("~") else ord(part)
        for part in re.findall(r"~[0-9A-F]{2}|.", doc_id, flags=re.DOTALL)
    ).decode("utf-8")


def digest(*parts: str, length: int = 24) -> str:
    """A short stable hash, for deterministic task names and warning ids."""
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:length]


def join_ids(ids: Iterable[str]) -> str:
    """Ids kept as one text, separated by spaces: a Firestore array of hundreds of strings costs
    far more to encode and decode, in the client and in Firestore, than one string (docs/bench.md,
    "Packed fields"). Safe ids and run ids never hold a space."""
    return " ".join(ids)


def split_ids(value: object) -> list[str]:
    """The ids of a ``join_ids`` text, or of an array written before it."""
    if isinstance(value, str):
        return value.split()
    return [str(v) for v in value] if isinstance(value, (list, tuple)) else []
