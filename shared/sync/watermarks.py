"""Delta-sync watermarks: the largest ``dateLastModified`` seen for one school's resource,
committed only after that resource was fetched completely and applied. The next delta asks for
records modified after it, less an overlap for clock skew between SIS servers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

from shared.oneroster.gradebook import timestamp
from shared.store import layout
from shared.store.ports import DocumentStore, Write
from shared.sync.mirror import SCHOOL_RESOURCES
from shared.sync.ports import Clock

DELTA_OVERLAP = dt.timedelta(minutes=10)
_EARLIEST = dt.datetime.min.replace(tzinfo=dt.UTC)


def stamp_key(value: str) -> dt.datetime:
    """A sortable instant for a OneRoster timestamp; unreadable ones sort first."""
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return _EARLIEST
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def newest(stamps: Iterable[str | None]) -> str | None:
    present = [s for s in stamps if s]
    return max(present, key=stamp_key) if present else None


def advances(candidate: str, current: object) -> bool:
    """Whether ``candidate`` should replace the stored watermark (never moves it back)."""
    return not isinstance(current, str) or stamp_key(candidate) > stamp_key(current)


def delta_filter(watermark: object) -> str | None:
    """The OneRoster filter of a delta fetch, or None (fetch everything) without a watermark."""
    if not isinstance(watermark, str) or not watermark:
        return None
    return f"dateLastModified>'{timestamp(stamp_key(watermark) - DELTA_OVERLAP)}'"


def watermark_path(district_id: str, item: str) -> str:
    return f"{layout.watermarks(district_id)}/{item}"


def read_watermark(store: DocumentStore, district_id: str, item: str) -> object:
    doc = store.get(watermark_path(district_id, item))
    return (doc or {}).get("value")


def watermark_writes(
    current: Mapping[str, Mapping[str, object]],
    candidates: Mapping[str, str],
    run_id: str,
    now: dt.datetime,
) -> list[Write]:
    """The watermarks (by path) that ``candidates`` move forward from ``current``. Pure."""
    return [
        Write("set", path, {"value": candidate, "run_id": run_id, "at": now})
        for path, candidate in sorted(candidates.items())
        if advances(candidate, (current.get(path) or {}).get("value"))
    ]


def commit_school_watermarks(
    store: DocumentStore,
    clock: Clock,
    district_id: str,
    run_id: str,
    school_id: str,
    stamps: Mapping[str, Iterable[str | None]],
) -> None:
    """Each of the school's resources, from the stamps its run's pages recorded: one batched
    read of the watermarks and one commit of those that move."""
    folder = layout.watermarks(district_id)
    candidates = {
        f"{folder}/{layout.item_key(school_id, resource)}": candidate
        for resource in SCHOOL_RESOURCES
        if (candidate := newest(stamps[resource])) is not None
    }
    if not candidates:
        return
    current = store.get_many(list(candidates), fields=["value"])
    store.commit(watermark_writes(current, candidates, run_id, clock()))
