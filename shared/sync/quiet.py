"""A quiet school: one whose plan cannot have moved since its last applied school step, so the
step skips reading the mirror, linking and planning, and records the same warnings again.

A school is quiet in a run when, against the state its last applied step left
(``districts/{d}/schools/{school}``, field ``quiet``):
- no page of the school wrote a mirror document in this run (a page that writes deletes the
  state, so a run that changed the mirror and never applied it cannot leave one behind);
- in a full run, its pages carried the same record ids on the same pages (so nothing is removed
  and the same duplicates are reported); a delta run's pages are not compared;
- its synced classes (teachers' changes included), the district's terms and the settings the plan
  reads (filters, thresholds, match key, account creation, selected schools) are unchanged;
- no date the plan turns on (a term's or an enrollment's begin or end) has passed since;
- the users its last plan left unlinked would be left unlinked again: no account appeared for a
  user with no matching account, a value several accounts held is still held by several, and a
  value shared with another SIS user is still shared (one ``in`` query per 30 values each).
Anything else, including a held or dry-run outcome, plans in full."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from typing import Any

from shared.ids import digest
from shared.store import layout
from shared.store.ports import Data, DocumentStore
from shared.sync.account_lookup import accounts_by_key
from shared.sync.accounts import MatchKey, SisPerson, key_hash, shared_values
from shared.sync.chunked import Entry
from shared.sync.district import DistrictConfig
from shared.sync.key_claims import claims_of
from shared.sync.model import DataWarning, SchoolPlan, Term
from shared.sync.ports import SyncPorts
from shared.sync.roster_checks import split_duplicates
from shared.sync.runs import record_warnings
from shared.sync.school_inputs import (
    ClassSnapshot,
    FetchedPages,
    classes_after,
    run_terms,
    school_class_snapshot,
    school_class_versions,
)
from shared.sync.warning_history import read_history
from shared.sync.warning_log import READ_FIELDS, warning_key
from shared.sync.warning_sets import school_set
from shared.sync.watermarks import commit_school_watermarks
from shared.tasks import SchoolTask

UNMATCHED, AMBIGUOUS = "no_matching_account", "ambiguous_account"
# Warnings a run's own pages decide; a delta's pages differ from the full run's.
PAGE_CODES = frozenset({"duplicate_sourced_id", "tobedeleted_in_full"})
MAX_KEYS = 5000  # warnings a state keeps: a school with more always plans (a small document)
VOLATILE_CLASS_FIELDS = frozenset({"export"})  # the mark export's bookkeeping on a class
WARNING_FIELDS = tuple(f.name for f in fields(DataWarning))


@dataclass(frozen=True)
class QuietState:
    inputs: str  # classes, terms and settings
    pages: str | None  # the full run's ids by page; None after a delta
    # whose pages the mirror matches (mirror_store.py): the run of the last step that planned,
    # or a later full run that found the school quiet
    run_id: str
    warning_keys: tuple[str, ...]
    warnings: int  # the plan's own warnings, as the school's counts report them
    valid_until: str | None  # the first day the plan could differ by date alone
    unmatched: tuple[str, ...]  # match key values no account had
    ambiguous: tuple[str, ...]  # match key values several accounts had
    shared: tuple[str, ...]  # hashes of match key values several SIS users held
    classes: str | None = None  # the digest of its synced classes (part of ``inputs``)
    # a digest of those classes' ids and versions, read with them: while the same, they are
    # unchanged and need not be read (None: read them)
    class_versions: str | None = None
    # after a full run, each of its pages' content hash by page key: what the run's pages held,
    # so a page step of the next run compares without reading them (None: it reads them)
    page_contents: dict[str, str] | None = None


@dataclass(frozen=True)
class Unlinked:
    """The users a plan left unlinked for a reason outside their school's SIS records."""

    unmatched: Sequence[str] = ()
    ambiguous: Sequence[str] = ()
    shared: Sequence[str] = ()


@dataclass(frozen=True)
class Planned:
    """What a school step that planned in full leaves for the next run to compare with."""

    state: str  # applied, held or planned
    warnings: Sequence[DataWarning]  # all it recorded
    counted: int  # the plan's own
    enrollments: Sequence[Mapping[str, Any]]  # the mirror's
    unlinked: Unlinked
    # the school's synced classes as the step read them to plan (documents and versions), and
    # the ids of those its plan changed or created, read again after applying: every class it
    # has then, unless another writer created one (then the next check finds it)
    read: ClassSnapshot = ([], {})
    changed: Sequence[str] = ()


def state_path(district_id: str, school_id: str) -> str:
    return layout.school_state(district_id, school_id)


def _hash(value: Any) -> str:
    return digest(json.dumps(value, sort_keys=True, separators=(",", ":"), default=str), length=32)


def pages_digest(by_page: Iterable[tuple[str, int, Sequence[str]]]) -> str:
    return _hash(sorted([resource, index, sorted(ids)] for resource, index, ids in by_page))


def classes_digest(docs: Iterable[tuple[str, Mapping[str, Any]]]) -> str:
    kept = [(i, {k: v for k, v in d.items() if k not in VOLATILE_CLASS_FIELDS}) for i, d in docs]
    return _hash(sorted(kept, key=lambda item: item[0]))


def settings_digest(district: DistrictConfig, filters: Any) -> str:
    return _hash(
        {
            "filters": filters,
            "thresholds": asdict(district.thresholds),
            "match_key": district.match_key,
            "create_accounts": district.create_accounts,
            "selected_schools": district.selected_schools,
        }
    )


def terms_digest(terms: Mapping[str, Term]) -> str:
    return _hash({term_id: asdict(term) for term_id, term in terms.items()})


def next_boundary(
    enrollments: Iterable[Mapping[str, Any]], terms: Iterable[Term], today: dt.date
) -> str | None:
    """The first day after ``today`` on which a term or an enrollment begins or ends (the
    planner's date tests flip then). Pure."""
    days: list[dt.date] = []
    for term in terms:
        if term.start_date:
            days.append(term.start_date)
        if term.end_date:
            days.append(term.end_date + dt.timedelta(days=1))
    for doc in enrollments:
        data = doc.get("data") or {}
        if data.get("begin_date"):
            days.append(dt.date.fromisoformat(data["begin_date"]))
        if data.get("end_date"):
            days.append(dt.date.fromisoformat(data["end_date"]) + dt.timedelta(days=1))
    later = [d for d in days if d > today]
    return min(later).isoformat() if later else None


def is_quiet(
    state: QuietState | None,
    *,
    kind: str,
    written: int,
    pages: str,
    inputs: str,
    today: dt.date,
) -> bool:
    """The decision, apart from the reads. Pure."""
    if state is None or written:
        return False
    if kind == "full" and state.pages != pages:
        return False
    if kind not in ("full", "delta") or state.inputs != inputs:
        return False
    return state.valid_until is None or today < dt.date.fromisoformat(state.valid_until)


def load_state(store: DocumentStore, district_id: str, school_id: str) -> QuietState | None:
    doc = (store.get(state_path(district_id, school_id)) or {}).get("quiet")
    if not isinstance(doc, Mapping):
        return None
    try:
        lists = ("warning_keys", "unmatched", "ambiguous", "shared")
        return QuietState(**{**doc, **{name: tuple(doc.get(name) or ()) for name in lists}})
    except TypeError:  # written by another version: plan in full
        return None


def versions_digest(versions: Mapping[str, str]) -> str:
    return _hash(sorted(versions.items()))


def inputs_digest(district: DistrictConfig, classes: str, terms: Mapping[str, Term]) -> str:
    """Classes (their digest), terms and settings in one digest. Pure."""
    return _hash([classes, terms_digest(terms), settings_digest(district, district.filters)])


def classes_now(
    store: DocumentStore, district_id: str, school_id: str, state: QuietState
) -> tuple[str, str | None]:
    """The digest of the school's synced classes: the remembered one when their versions are
    those read with it (no class was written since), else read and computed again; and, when
    they were read, the digest of the versions read with them (else None)."""
    if state.classes and state.class_versions:
        versions = school_class_versions(store, district_id, school_id)
        if versions_digest(versions) == state.class_versions:
            return state.classes, None
    docs, versions = school_class_snapshot(store, district_id, school_id)
    return classes_digest(docs), versions_digest(versions)


def warning_from(doc: Mapping[str, Any]) -> DataWarning:
    values: dict[str, Any] = {name: doc[name] for name in WARNING_FIELDS if name in doc}
    return DataWarning(**values)


def replayed(
    store: DocumentStore,
    district_id: str,
    state: QuietState,
    kind: str,
    by_page: Sequence[tuple[str, int, tuple[str, ...]]],
    school_id: str,
) -> tuple[list[DataWarning], dict[str, Data], dict[str, Entry]] | None:
    """The warnings the school's last applied step recorded, read from the district's record of
    each (the school's record, else the warning's document: the latest sighting's text, here the
    same warnings), with what was read for counting this run; a delta's page-decided ones come
    from this run's pages. None when some are gone (plan in full)."""
    history = read_history(store, district_id, school_id)
    own = [history[key] for key in state.warning_keys if key in history]
    folder = layout.district_warnings(district_id)
    paths = {f"{folder}/{key}": key for key in state.warning_keys if key not in history}
    found = store.get_many(list(paths), fields=[*WARNING_FIELDS, *READ_FIELDS]) if paths else {}
    if len(own) + len(found) != len(state.warning_keys):
        return None
    known = {paths[path]: doc for path, doc in found.items()}
    warnings = [warning_from(doc) for doc in [*own, *found.values()]]
    if kind != "full":
        warnings = [w for w in warnings if w.code not in PAGE_CODES]
        warnings += split_duplicates(by_page, school_id)
    return warnings, known, history


def remembered(
    *,
    inputs: str,
    pages: str | None,
    run_id: str,
    warnings: Sequence[DataWarning],
    counted: int,
    valid_until: str | None,
    unlinked: Unlinked,
    classes: tuple[str, str] | None = None,
    page_contents: dict[str, str] | None = None,
) -> dict[str, Any] | None:
    """The state a school step leaves after applying its plan; None when the school must plan
    in full next time. ``classes``: the digest of the school's classes and of their versions;
    ``page_contents``: a full run's pages' content hashes, by page key. Pure."""
    keys = sorted({warning_key(w) for w in warnings})
    groups = (unlinked.unmatched, unlinked.ambiguous, unlinked.shared)
    unmatched, ambiguous, shared = (tuple(sorted(set(values))) for values in groups)
    if len(keys) + len(unmatched) + len(ambiguous) + len(shared) > MAX_KEYS:
        return None
    digest, versions = classes or (None, None)
    lists = (unmatched, ambiguous, shared)
    state = QuietState(
        inputs,
        pages,
        run_id,
        tuple(keys),
        counted,
        valid_until,
        *lists,
        digest,
        versions,
        page_contents=page_contents,
    )
    return asdict(state)


def unlinked_users(
    warnings: Iterable[DataWarning], people: Mapping[str, SisPerson], key: MatchKey, school_id: str
) -> Unlinked:
    """The key values of the school's users the plan left unlinked, by reason. Pure."""
    found: dict[str, list[str]] = {UNMATCHED: [], AMBIGUOUS: [], f"duplicate_{key}": []}
    for warning in warnings:
        person = people.get(warning.sourced_id)
        ours = warning.code in found and warning.school_id == school_id
        if ours and person and (value := person.key(key)):
            found[warning.code].append(value)
    shared = [key_hash(key, value) for value in found[f"duplicate_{key}"]]
    return Unlinked(found[UNMATCHED], found[AMBIGUOUS], shared)


def links_unchanged(
    store: DocumentStore, district: DistrictConfig, state: QuietState, run_id: str
) -> bool:
    """Whether the users the school left unlinked would be left unlinked again."""
    district_id, key = district.district_id, district.match_key
    if state.unmatched and accounts_by_key(store, district_id, key, state.unmatched, run_id):
        return False  # an account appeared: link it
    if state.ambiguous:
        found = accounts_by_key(store, district_id, key, state.ambiguous, run_id)
        if any(len(found.get(value, ())) < 2 for value in state.ambiguous):
            return False  # the accounts were merged
    if state.shared:
        still = shared_values(claims_of(store, district_id, state.shared))
        return set(still) == set(state.shared)  # else another holder changed its value
    return True


# ---- the school step's two calls -----------------------------------------------------------------


def skip_if_quiet(
    ports: SyncPorts,
    district: DistrictConfig,
    run: Mapping[str, Any],
    task: SchoolTask,
    pages: FetchedPages,
) -> dict[str, Any] | None:
    """For a quiet school: records its warnings again, commits its watermarks and returns the
    fields its school document ends with. None: the school plans in full."""
    store, district_id, school_id = ports.store, task.district_id, task.school_id
    run_id = task.run_id
    kind = str(run.get("kind"))
    state = None if run.get("dry_run") else load_state(store, district_id, school_id)
    if state is None or pages.written:
        return None
    classes, class_versions = classes_now(store, district_id, school_id, state)
    inputs = inputs_digest(district, classes, run_terms(store, district_id, run_id))
    today = ports.clock().date()
    digest_now = pages_digest(pages.by_page)
    written = pages.written
    if not is_quiet(
        state, kind=kind, written=written, pages=digest_now, inputs=inputs, today=today
    ):
        return None
    if not links_unchanged(store, district, state, run_id):
        return None
    replay = replayed(store, district_id, state, kind, pages.by_page, school_id)
    if replay is None:
        return None
    warnings, known, history = replay
    found = [*warnings, *pages.rejections]
    writer = school_set(school_id)
    record_warnings(ports, district_id, run_id, found, writer=writer, known=known, history=history)
    commit_school_watermarks(store, ports.clock, district_id, run_id, school_id, pages.stamps)
    kept: dict[str, Any] = {"run_id": run_id} if kind == "full" else {}  # its warnings too
    if class_versions is not None:  # classes written without a change: compare these next
        kept.update(classes=classes, class_versions=class_versions)
    if kept:
        store.set(state_path(district_id, school_id), {"quiet": kept}, merge=True)
    counts = {**SchoolPlan(school_id, (), ()).counts(), "warnings": state.warnings}
    return {
        "state": "applied",
        "quiet": True,
        "counts": counts,
        "held_counts": {},
        "hold_reasons": [],
        "sample": [],
        "dry_run": False,
    }


def remember(
    ports: SyncPorts,
    district: DistrictConfig,
    run: Mapping[str, Any],
    task: SchoolTask,
    pages: FetchedPages,
    planned: Planned,
) -> None:
    """After a school step planned in full: the state a later run compares with, or none when
    the school did not apply (held, dry run) or must plan again."""
    store, district_id, school_id = ports.store, task.district_id, task.school_id
    quiet = None
    if planned.state == "applied" and run.get("kind") in ("full", "delta"):
        terms = run_terms(store, district_id, task.run_id)
        docs, versions = classes_after(store, district_id, school_id, planned.read, planned.changed)
        classes = classes_digest(docs)
        quiet = remembered(
            inputs=inputs_digest(district, classes, terms),
            pages=pages_digest(pages.by_page) if run.get("kind") == "full" else None,
            run_id=task.run_id,
            warnings=planned.warnings,
            counted=planned.counted,
            valid_until=next_boundary(planned.enrollments, terms.values(), ports.clock().date()),
            unlinked=planned.unlinked,
            classes=(classes, versions_digest(versions)),
            page_contents=dict(pages.contents) if run.get("kind") == "full" else None,
        )
    store.set(state_path(district_id, school_id), {"quiet": quiet})
