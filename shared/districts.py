"""Reading a district's configuration document, shared by sync and export."""

from __future__ import annotations

from shared.errors import NotFound
from shared.store import layout
from shared.store.ports import DocumentStore
from shared.sync.district import DistrictConfig


def load_district(store: DocumentStore, district_id: str) -> DistrictConfig:
    """The district's settings; NotFound when it was never registered, ConfigurationError (a
    permanent OneRoster error naming the field) when its settings are unusable."""
    doc = store.get(layout.district(district_id))
    if doc is None:
        raise NotFound(f"district {district_id!r} is not registered")
    return DistrictConfig.from_doc(district_id, doc)
