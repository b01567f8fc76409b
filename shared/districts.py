"""Reading a district's configuration document, shared by sync and export."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shared.errors import NotFound
from shared.store import layout
from shared.store.ports import DocumentStore
from shared.sync.district import DistrictConfig


def load_district(store: DocumentStore, district_id: str) -> DistrictConfig:
    """The district's settings; NotFound when it was never registered, ConfigurationError (a
    permanent OneRoster error naming the field) when its settings are unusable."""
    return district_from(district_id, store.get(layout.district(district_id)))


def district_from(district_id: str, doc: Mapping[str, Any] | None) -> DistrictConfig:
    """The settings in a district document already read (None: it does not exist)."""
    if doc is None:
        raise NotFound(f"district {district_id!r} is not registered")
    return DistrictConfig.from_doc(district_id, doc)
