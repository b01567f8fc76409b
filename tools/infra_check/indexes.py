"""Composite Firestore indexes against the code's multi-field queries."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from tools.infra_check.config import Config, expr, unquote

# --- 3. composite indexes ------------------------------------------------------------------------


@dataclass(frozen=True)
class Index:
    address: str
    collection: str
    fields: tuple[str, ...]


def declared_indexes(config: Config) -> list[Index]:
    indexes = []
    for r in config.of_type("google_firestore_index"):
        fields = tuple(
            unquote(f.get("field_path")) or expr(f.get("field_path"))
            for f in r.body.get("fields", [])
            if isinstance(f, dict)
        )
        collection = unquote(r.body.get("collection")) or expr(r.body.get("collection"))
        indexes.append(Index(r.address, collection, tuple(f for f in fields if f != "__name__")))
    return indexes


def index_problems(config: Config, queries: Iterable[Any] | None = None) -> list[str]:
    if queries is None:
        from shared.store.layout import COMPOSITE_QUERIES

        queries = COMPOSITE_QUERIES
    indexes = declared_indexes(config)
    problems = []
    needed = set()
    for q in queries:
        key = (q.collection_group, tuple(q.fields))
        needed.add(key)
        if len(q.fields) < 2:
            continue
        if not any((i.collection, i.fields) == key for i in indexes):
            problems.append(
                f"firestore.tf: no google_firestore_index on {q.collection_group} with fields "
                f"({', '.join(q.fields)}) in that order, which the query '{q.purpose}' needs "
                "(production Firestore refuses it without one; the emulator does not check)"
            )
    for i in indexes:
        if (i.collection, i.fields) not in needed:
            problems.append(
                f"firestore.tf: {i.address} ({i.collection}: {', '.join(i.fields)}) serves no "
                "query in shared/store/layout.py COMPOSITE_QUERIES (an unused index costs every "
                "write); add the query there or remove the index"
            )
    return problems


def declared_unindexed(config: Config) -> dict[tuple[str, str], bool]:
    """Each google_firestore_field's (collection group, field), and whether its index_config is
    the empty block that disables every single-field index."""
    found = {}
    for r in config.of_type("google_firestore_field"):
        key = (unquote(r.body.get("collection")) or "", unquote(r.body.get("field")) or "")
        blocks = r.body.get("index_config") or []
        empty = len(blocks) == 1 and not {k for k in blocks[0] if k != "__is_block__"}
        found[key] = empty
    return found


def field_problems(
    config: Config, unindexed: Iterable[Any] | None = None, queries: Iterable[Any] | None = None
) -> list[str]:
    """The field overrides are exactly shared/store/layout.py UNINDEXED_FIELDS, each disabling
    every index, and no composite query filters or orders on one of those fields."""
    from shared.store.layout import COMPOSITE_QUERIES, UNINDEXED_FIELDS

    wanted = {(u.collection_group, u.field) for u in unindexed or UNINDEXED_FIELDS}
    declared = declared_unindexed(config)
    problems = [
        f"firestore.tf: no google_firestore_field with an empty index_config for {c}.{f}, which "
        "shared/store/layout.py UNINDEXED_FIELDS lists"
        for c, f in sorted(wanted - {k for k, empty in declared.items() if empty})
    ]
    problems += [
        f"firestore.tf: the google_firestore_field for {c}.{f} is not in shared/store/layout.py "
        "UNINDEXED_FIELDS, or does not disable every index (an empty index_config {})"
        for (c, f), empty in sorted(declared.items())
        if (c, f) not in wanted or not empty
    ]
    for q in queries or COMPOSITE_QUERIES:
        for c, f in sorted(wanted):
            if q.collection_group == c and any(x == f or x.startswith(f + ".") for x in q.fields):
                problems.append(
                    f"layout.py: the query '{q.purpose}' uses {c}.{f}, which has no index "
                    "(UNINDEXED_FIELDS); remove the field from there and from firestore.tf"
                )
    return problems
