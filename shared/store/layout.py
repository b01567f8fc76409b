"""The Firestore document layout in one place: every collection and document path the services
use, and every query that filters on more than one field (each needs a composite index, declared
in infra/firestore.tf; tests/infra checks the two agree). docs/firestore.md describes the fields.

Paths are plain strings, ``collection/doc/collection/doc``; ids inside them are already
Firestore-safe (``shared.ids.safe_id``).
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.ids import safe_id


@dataclass(frozen=True)
class CompositeQuery:
    """A query with filters on several fields: its collection group and the fields in order."""

    collection_group: str
    fields: tuple[str, ...]
    purpose: str


COMPOSITE_QUERIES = (
    CompositeQuery(
        "classes",
        ("origin", "sis.school_id"),
        "the synced classes of one school, read by the school step",
    ),
    # Runs newest first (created_at descending) filtered by state, kind or both: the admin's
    # runs list, and the district's warnings (its latest ended full run).
    CompositeQuery("runs", ("state", "created_at"), "the runs list filtered by state"),
    CompositeQuery("runs", ("kind", "created_at"), "the runs list filtered by kind"),
    CompositeQuery(
        "runs", ("kind", "state", "created_at"), "the runs list by kind and state; latest full run"
    ),
    CompositeQuery("warnings", ("code", "school_id"), "a run's warnings of one kind and school"),
    # The district's current warnings: ``epoch in [...]`` (shared/sync/warning_log.py), by kind,
    # school or both, in document order.
    CompositeQuery("warnings", ("epoch", "code"), "the district's warnings of one kind"),
    CompositeQuery("warnings", ("epoch", "school_id"), "the district's warnings of a school"),
    CompositeQuery(
        "warnings", ("epoch", "code", "school_id"), "the district's warnings of a kind and school"
    ),
)


@dataclass(frozen=True)
class UnindexedField:
    """A field Firestore keeps no single-field index for (infra/firestore.tf declares a
    ``google_firestore_field`` with an empty ``index_config``): large values that are read by path
    and never filtered or ordered on, so every write of their documents is cheaper. A query on
    one of them would fail in production (the emulator does not check): remove its entry and
    its override first."""

    collection_group: str
    field: str
    purpose: str


UNINDEXED_FIELDS = (
    UnindexedField("sis_classes", "data", "a mirrored class record's fields"),
    UnindexedField("sis_teachers", "data", "a mirrored teacher record's fields"),
    UnindexedField("sis_students", "data", "a mirrored student record's fields"),
    UnindexedField("sis_enrollments", "data", "a mirrored enrollment's fields"),
    UnindexedField("pages", "ids", "the ids one page received, up to the page size"),
    UnindexedField("key_values", "holders", "one field per SIS user holding a key value"),
    UnindexedField("school_key_claims", "claims", "a share of a school's users and key values"),
    UnindexedField("schools", "quiet", "a school's quiet state: thousands of warning keys"),
    UnindexedField("warning_chunks", "entries", "a share of a run's warnings, as JSON text"),
    UnindexedField(
        "warning_history_chunks", "entries", "a share of a school's warning record, as JSON text"
    ),
    UnindexedField("mirror_snapshot_chunks", "entries", "a share of a school's mirror snapshot"),
    UnindexedField("mirror_written", "ids", "the mirror documents a run wrote for a school"),
    UnindexedField("mirror_copies", "piece", "a page's mirror documents, compressed"),
    UnindexedField("class_index", "ids", "a share of a school's synced class ids"),
)


def districts() -> str:
    return "districts"


def district(district_id: str) -> str:
    return f"districts/{district_id}"


def staff(district_id: str, email: str) -> str:
    return f"{district(district_id)}/staff/{safe_id(email)}"


def runs(district_id: str) -> str:
    return f"{district(district_id)}/runs"


def run(district_id: str, run_id: str) -> str:
    return f"{runs(district_id)}/{run_id}"


def run_part(district_id: str, run_id: str, part: str) -> str:
    """One of a run's sub-collections: schools, fetches, pages, warnings, holds."""
    return f"{run(district_id, run_id)}/{part}"


def district_warnings(district_id: str) -> str:
    """One document per warning (school, code, record) across runs: first and last seen, count."""
    return f"{district(district_id)}/warnings"


def warning_history(district_id: str) -> str:
    """A school's record of its warnings (shared/sync/warning_history.py), one per school."""
    return f"{district(district_id)}/warning_history"


def warning_history_chunks(district_id: str) -> str:
    return f"{district(district_id)}/warning_history_chunks"


def audit(district_id: str) -> str:
    """Who did what, when: admin and teacher actions (shared/audit.py)."""
    return f"{district(district_id)}/audit"


def packages(district_id: str) -> str:
    """CSV packages uploaded by admins (shared/csvsource/uploads.py)."""
    return f"{district(district_id)}/packages"


def package(district_id: str, package_id: str) -> str:
    return f"{packages(district_id)}/{package_id}"


def sis_schools(district_id: str) -> str:
    return f"{district(district_id)}/sis_schools"


def sis_terms(district_id: str) -> str:
    return f"{district(district_id)}/sis_terms"


def school_state(district_id: str, school_id: str) -> str:
    """The school's sync state across runs (shared/sync/quiet.py); its mirror lies beneath."""
    return f"{district(district_id)}/schools/{safe_id(school_id)}"


def mirror(district_id: str, school_id: str, resource: str) -> str:
    return f"{district(district_id)}/schools/{safe_id(school_id)}/sis_{resource}"


def mirror_start(district_id: str, school_id: str, resource: str) -> str:
    """The run that first wrote a school's mirror of ``resource`` (sync/mirror_store.py)."""
    return f"{district(district_id)}/schools/{safe_id(school_id)}/mirror_starts/{resource}"


def classes(district_id: str) -> str:
    return f"{district(district_id)}/classes"


def class_doc(district_id: str, class_id: str) -> str:
    return f"{classes(district_id)}/{class_id}"


def coursework(district_id: str, class_id: str) -> str:
    return f"{class_doc(district_id, class_id)}/coursework"


def marks(district_id: str, class_id: str, assignment_id: str) -> str:
    return f"{coursework(district_id, class_id)}/{assignment_id}/marks"


def account_link(district_id: str, user_id: str) -> str:
    return f"{account_links(district_id)}/{safe_id(user_id)}"


def watermarks(district_id: str) -> str:
    return f"{district(district_id)}/watermarks"


def account_links(district_id: str) -> str:
    return f"{district(district_id)}/account_links"


def accounts(district_id: str) -> str:
    return f"{district(district_id)}/accounts"


def usernames(district_id: str) -> str:
    return f"{district(district_id)}/usernames"


def key_claims(district_id: str) -> str:
    """Which SIS user of which school holds which (hashed) account-match key value, one
    document per school and user: how claims were kept before ``school_key_claims``, read once
    to carry them over."""
    return f"{district(district_id)}/key_claims"


def school_key_claims(district_id: str) -> str:
    """The same, a school's claims in a few documents (shared/sync/key_claims.py)."""
    return f"{district(district_id)}/school_key_claims"


def key_values(district_id: str) -> str:
    """The same claims by value: one document per (hashed) key value naming its holders."""
    return f"{district(district_id)}/key_values"


def class_index(district_id: str) -> str:
    """The ids of each school's synced classes, in a few documents per school
    (shared/sync/class_index.py)."""
    return f"{district(district_id)}/class_index"


def class_id_for(section_id: str) -> str:
    return f"sis-{safe_id(section_id)}"


def item_key(school_id: str, resource: str) -> str:
    """A run's unit of fetching: one resource of one school."""
    return f"{safe_id(school_id)}~~{resource}"


def page_key(item: str, index: int) -> str:
    """The id of a run's page document: the item and the page's index, in fetch order."""
    return f"{item}~~{index:05d}"
