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
