"""A CSV run's staged pages, read as the sync reads a OneRoster SIS (the ``SisReader`` protocol of
shared/sync/ports.py). The stage step (stage.py) wrote them to the staging bucket:

    runs/{district}/{run}/schools.json, terms.json, orgs.json   district-wide listings (rows)
    runs/{district}/{run}/{item}/{index:05d}.json               one page of an item: {"rows": [...]}
    runs/{district}/{run}/index.json                            {item: page count}
    runs/{district}/{run}/kept.json                             {resource: [sourcedId]} (full run)

Rows are in the REST JSON shape, so ``parse_records`` makes the same records a REST page makes.
A missing staged object is a permanent error naming it (the run fails), never a retry."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shared.csvsource.ports import ObjectNotFound, PackageStorage
from shared.oneroster.errors import PermanentError
from shared.oneroster.paging import Page, PageRequest
from shared.oneroster.records import Parsed, parse_records
from shared.store.layout import item_key

PAGE_ROWS = 500
SERVICE = "csv"
LISTINGS = {"schools": "orgs", "terms": "academicSessions", "orgs": "orgs"}
RECORD_KIND = {
    "classes": "classes",
    "teachers": "users",
    "students": "users",
    "enrollments": "enrollments",
}
AGAIN = "upload the package again to start a new run"


class StagedPageMissing(PermanentError):
    """A staged object the run needs is gone (the staging bucket's lifecycle deleted it)."""


def staging_prefix(district_id: str, run_id: str) -> str:
    return f"runs/{district_id}/{run_id}"


def page_name(prefix: str, item: str, index: int) -> str:
    return f"{prefix}/{item}/{index:05d}.json"


def _item_of(request: PageRequest) -> str:
    return request.resource.rsplit("/", 1)[-1]


def _pages_of(request: PageRequest) -> int:
    return next((int(v) for k, v in request.params if k == "pages"), 0)


class CsvStagedReader:
    """Reads one run's staged pages; ``version`` is the package's OneRoster version."""

    def __init__(self, storage: PackageStorage, bucket: str, prefix: str, version: str) -> None:
        self.storage = storage
        self.bucket = bucket
        self.prefix = prefix
        self.version = version

    def __repr__(self) -> str:
        return f"CsvStagedReader(gs://{self.bucket}/{self.prefix}, {self.version})"

    def _read(self, name: str) -> Any:
        try:
            return self.storage.read_json(self.bucket, f"{self.prefix}/{name}")
        except ObjectNotFound:
            raise StagedPageMissing(
                f"the staged object {name} of this run is missing from gs://{self.bucket}/"
                f"{self.prefix} (the bucket keeps staged pages a few days); {AGAIN}"
            ) from None

    def fetch_all(self, resource: str) -> Parsed[Any]:
        """The district-wide listing ``schools``, ``terms`` or ``orgs``."""
        if resource not in LISTINGS:
            raise ValueError(f"a CSV run lists {sorted(LISTINGS)}, not {resource!r}")
        rows = self._read(f"{resource}.json")
        return parse_records(LISTINGS[resource], rows, self.version)

    def school_request(self, school_id: str, what: str, **query: Any) -> PageRequest:
        """The first page of one school's resource. Delta filters are ignored: a delta package
        holds only the changed rows already. The item's page count rides in the request."""
        if what not in RECORD_KIND:
            raise ValueError(f"school resources are {sorted(RECORD_KIND)}, not {what!r}")
        item = item_key(school_id, what)
        index = self._read("index.json")
        count = int(index.get(item, 0)) if isinstance(index, Mapping) else 0
        return PageRequest(
            resource=f"{self.prefix}/{item}",
            limit=PAGE_ROWS,
            service=SERVICE,
            params=(("pages", str(count)),),
        )

    def _kept(self, resource: str) -> tuple[str, ...]:
        try:
            kept = self.storage.read_json(self.bucket, f"{self.prefix}/kept.json")
        except ObjectNotFound:
            return ()
        ids = kept.get(resource) if isinstance(kept, Mapping) else None
        return tuple(str(i) for i in ids or ())

    def fetch_page(self, request: PageRequest) -> Page:
        """The staged page ``request.index`` of the item; an item with no rows has one empty
        page. The first page also carries the ids of the resource's unusable rows (kept.json)."""
        item, count = _item_of(request), _pages_of(request)
        rows: list[dict[str, Any]] = []
        if request.index < count:
            staged = self._read(page_name("", item, request.index).lstrip("/"))
            rows = list(staged.get("rows") or []) if isinstance(staged, Mapping) else []
        resource = item.rsplit("~~", 1)[-1]
        keep = self._kept(resource) if request.index == 0 else ()
        following = None
        if request.index + 1 < count:
            following = PageRequest(
                request.resource,
                request.limit,
                request.offset + len(rows),
                request.service,
                request.params,
                index=request.index + 1,
            )
        return Page(request, rows, len(rows), None, following, 0, keep_ids=keep)

    def parse_page(self, page: Page) -> Parsed[Any]:
        resource = _item_of(page.request).rsplit("~~", 1)[-1]
        return parse_records(RECORD_KIND[resource], page.records, self.version)


def staged_reader(
    storage: PackageStorage | None, bucket: str, run: Mapping[str, Any]
) -> CsvStagedReader:
    """The reader of a CSV run's staged pages, from the run document (``staged.prefix`` written
    by the stage step, ``package.version`` by start_csv_run)."""
    staged, package = run.get("staged"), run.get("package")
    if storage is None:
        raise PermanentError("no package storage is configured for CSV runs; set up Cloud Storage")
    if not isinstance(staged, Mapping) or not isinstance(package, Mapping):
        raise PermanentError(f"the run's package was not staged; {AGAIN}")
    return CsvStagedReader(
        storage, bucket, str(staged["prefix"]), str(package.get("version") or "1.1")
    )
