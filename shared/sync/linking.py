"""Linking SIS users to the app's accounts: existing links are kept; unlinked users are matched
by the district's key (case-insensitive, see accounts.py); optionally accounts are created with
generated usernames. Each link records which key matched.

A key value held by several SIS users anywhere in the district links none of them. The school
steps of a run see one school each, in any order and in parallel, so each first records which
of its users hold which value (key claims, shared/sync/key_claims.py) and then reads
the holders district-wide. A step that finds a value shared unlinks every holder (the link
document says why) and clears the accounts from their synced classes; a step that links a user
reads the holders again afterwards and undoes the link when a second holder appeared meanwhile.
Either the first holder's re-read or the second holder's read sees both claims, so the outcome
does not depend on the order of the steps or on duplicate deliveries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from shared.ids import safe_id
from shared.store import layout
from shared.store.ports import DELETE_FIELD, DocumentStore, Filter, Write
from shared.sync.account_lookup import accounts_by_key
from shared.sync.accounts import (
    AccountMatch,
    Claim,
    MatchKey,
    SisPerson,
    generate_username,
    link_document,
    match_accounts,
    membership_clears,
    no_account_warnings,
    shared_values,
    shared_warnings,
    unlinked_document,
)
from shared.sync.district import MATCH_KEYS, DistrictConfig
from shared.sync.key_claims import claim_keys, claims_of
from shared.sync.model import DataWarning


@dataclass(frozen=True)
class LinkPlan:
    """Pure outcome of matching: new links to record and the users left without one."""

    new_links: tuple[AccountMatch, ...]
    unmatched: tuple[SisPerson, ...]


def plan_links(
    links: Mapping[str, str], matches: Sequence[AccountMatch], unmatched: Sequence[SisPerson]
) -> LinkPlan:
    fresh: dict[str, AccountMatch] = {}
    for match in matches:
        if match.sis_user_id not in links:
            fresh.setdefault(match.sis_user_id, match)
    left = tuple(p for p in unmatched if p.sourced_id not in links and p.sourced_id not in fresh)
    return LinkPlan(tuple(fresh.values()), left)


def _link_path(district_id: str, user_id: str) -> str:
    return f"{layout.account_links(district_id)}/{safe_id(user_id)}"


def read_links(
    store: DocumentStore, district_id: str, people: Sequence[SisPerson]
) -> dict[str, str]:
    found = store.get_many([_link_path(district_id, p.sourced_id) for p in people])
    return {
        str(d["sis_user_id"]): str(d["account_id"]) for d in found.values() if d.get("account_id")
    }


# ---- undoing the links of a shared value --------------------------------------------------------


def clear_memberships(
    store: DocumentStore, district_id: str, revoked: Mapping[str, str], schools: Iterable[str]
) -> None:
    writes = []
    for school_id in sorted(set(schools)):
        for doc in store.query(
            layout.classes(district_id),
            Filter("origin", "==", "sis"),
            Filter("sis.school_id", "==", school_id),
        ):
            if update := membership_clears(doc.data, revoked):
                writes.append(Write("update", doc.path, update))
    store.commit(writes)


def unlink_shared(
    store: DocumentStore,
    district_id: str,
    key: MatchKey,
    shared: Mapping[str, Sequence[Claim]],
    now: dt.datetime,
) -> None:
    """Every holder of a shared value is recorded as unlinked; an account it was linked to leaves
    its synced classes, and an account created for it no longer matches by the shared value."""
    reason = f"duplicate_{key}"
    holders = {c.sis_user_id: c for claims in shared.values() for c in claims}
    paths = {user_id: _link_path(district_id, user_id) for user_id in sorted(holders)}
    stored = store.get_many(list(paths.values()))
    revoked: dict[str, dict[str, Any]] = {}
    for user_id, path in paths.items():
        if (stored.get(path) or {}).get("account_id"):
            revoked[user_id] = stored[path]
    store.commit(
        Write("set", path, unlinked_document(user_id, reason, now))
        for user_id, path in paths.items()
        if user_id in revoked or (stored.get(path) or {}).get("unlinked_because") != reason
    )
    if revoked:
        schools = [c.school_id for v in shared.values() for c in v if c.sis_user_id in revoked]
        accounts = {u: str(d["account_id"]) for u, d in revoked.items()}
        clear_memberships(store, district_id, accounts, schools)
        _forget_key(store, district_id, key, revoked.values())


def confirm_links(
    store: DocumentStore, district_id: str, school_id: str, links: Mapping[str, str]
) -> None:
    """After a school step applied its classes with ``links``: a link another school's step
    undid meanwhile (a value found shared, ``unlink_shared``) may have been cleared from these
    classes before this apply put the account back. The links are read again and an account
    whose link is gone leaves the school's classes. Either this read sees the other step's undo,
    or that step's clearing came after this apply, so the classes end without the account
    whatever the order."""
    if not links:
        return
    paths = {user_id: _link_path(district_id, user_id) for user_id in links}
    stored = store.get_many(list(paths.values()), fields=["account_id"])
    gone = {
        user_id: account_id
        for user_id, account_id in links.items()
        if (stored.get(paths[user_id]) or {}).get("account_id") != account_id
    }
    if gone:
        clear_memberships(store, district_id, gone, [school_id])


def _forget_key(
    store: DocumentStore, district_id: str, key: MatchKey, links: Iterable[Mapping[str, Any]]
) -> None:
    """An account created for a user whose value turned out shared stops matching by it."""
    store.commit(
        Write(
            "update",
            f"{layout.accounts(district_id)}/{link['account_id']}",
            {("match_keys", key): DELETE_FIELD},
        )
        for link in links
        if link.get("matched_by") == "created"
    )


# ---- linking one school's users -----------------------------------------------------------------


@dataclass(frozen=True)
class KeyView:
    """A school's users' key values (hashed) and every claim on them, district-wide."""

    hashes: dict[str, str]
    claims: dict[str, list[Claim]]
    shared: dict[str, list[Claim]]

    def is_shared(self, user_id: str) -> bool:
        return self.hashes.get(user_id) in self.shared

    def holders(self, person: SisPerson) -> set[str]:
        claims = self.claims.get(self.hashes.get(person.sourced_id, ""), ())
        return {c.sis_user_id for c in claims} | {person.sourced_id}


def read_key_view(
    store: DocumentStore,
    district_id: str,
    key: MatchKey,
    school_id: str,
    people: Sequence[SisPerson],
    now: dt.datetime,
    linked: Collection[str] = (),
) -> KeyView:
    """The claims on the values of users who are not linked or whose claim just changed. A
    linked user whose claim did not change needs no look-up: a new holder of the same value
    claims it in its own school step, which reads both claims and unlinks them."""
    hashes, changed = claim_keys(store, district_id, key, school_id, people, now)
    wanted = {h for u, h in hashes.items() if u in changed or u not in linked}
    claims = claims_of(store, district_id, wanted)
    return KeyView(hashes, claims, shared_values(claims))


def _new_link_writes(
    store: DocumentStore,
    district: DistrictConfig,
    plan: LinkPlan,
    linked: dict[str, str],
    now: dt.datetime,
) -> list[Write]:
    """Records the plan's links in ``linked`` and returns their writes; creates accounts for the
    unmatched users when the district asks for it."""
    district_id, writes = district.district_id, []
    for match in plan.new_links:
        linked[match.sis_user_id] = match.account_id
        document = link_document(
            match.sis_user_id, match.account_id, match.matched_by, match.value, now
        )
        writes.append(Write("set", _link_path(district_id, match.sis_user_id), document))
    if district.create_accounts:
        for person in plan.unmatched:
            account_id = create_account(store, district_id, person, now)
            linked[person.sourced_id] = account_id
            document = link_document(person.sourced_id, account_id, "created", None, now)
            writes.append(Write("set", _link_path(district_id, person.sourced_id), document))
    return writes


def _recheck(
    store: DocumentStore,
    district: DistrictConfig,
    view: KeyView,
    linked: Iterable[str],
    now: dt.datetime,
) -> tuple[set[str], list[DataWarning]]:
    """Reads the holders of the values just linked again: a second holder that claimed one
    meanwhile undoes the link. Returns the users unlinked and their warnings."""
    hashes = {view.hashes[u] for u in linked if u in view.hashes}
    shared = shared_values(claims_of(store, district.district_id, hashes))
    if not shared:
        return set(), []
    unlink_shared(store, district.district_id, district.match_key, shared, now)
    undone = {c.sis_user_id for claims in shared.values() for c in claims}
    return undone, shared_warnings(shared, district.match_key)


def _match(
    store: DocumentStore,
    district: DistrictConfig,
    view: KeyView,
    people: Sequence[SisPerson],
    links: Mapping[str, str],
    school_id: str,
    run_id: str | None,
) -> tuple[LinkPlan, list[DataWarning]]:
    """Matches the school's unlinked users whose value no other SIS user holds."""
    key = district.match_key
    unlinked = [p for p in people if p.sourced_id not in links and not view.is_shared(p.sourced_id)]
    holders = {v: view.holders(p) for p in unlinked if (v := p.key(key))}
    found = accounts_by_key(store, district.district_id, key, sorted(holders), run_id)
    matches, unmatched, warnings = match_accounts(
        unlinked, found, key, school_id=school_id, holders=holders
    )
    plan = plan_links(links, matches, unmatched)
    if not district.create_accounts:
        warnings.extend(no_account_warnings(plan.unmatched, key, school_id))
    return plan, warnings


def link_accounts(
    store: DocumentStore,
    district: DistrictConfig,
    people: Sequence[SisPerson],
    *,
    school_id: str,
    dry_run: bool,
    now: dt.datetime,
    run_id: str | None = None,
) -> tuple[dict[str, str], list[DataWarning]]:
    """Links by SIS user id, and the warnings of users left unlinked. A dry run writes no link
    (the key claims are facts of the SIS and are recorded even then). ``run_id``: the run
    linking, whose steps may share one read of the district's accounts (account_lookup.py)."""
    district_id, key = district.district_id, district.match_key
    stored = read_links(store, district_id, people)
    view = read_key_view(store, district_id, key, school_id, people, now, linked=set(stored))
    warnings = shared_warnings(view.shared, key)
    if view.shared and not dry_run:
        unlink_shared(store, district_id, key, view.shared, now)
    links = {u: a for u, a in stored.items() if not view.is_shared(u)}
    plan, match_warnings = _match(store, district, view, people, links, school_id, run_id)
    warnings.extend(match_warnings)
    if dry_run:
        return {**links, **{m.sis_user_id: m.account_id for m in plan.new_links}}, warnings
    linked: dict[str, str] = {}
    store.commit(_new_link_writes(store, district, plan, linked, now))
    undone, late_warnings = _recheck(store, district, view, linked, now)
    links.update({u: a for u, a in linked.items() if u not in undone})
    return links, warnings + late_warnings


def account_document(person: SisPerson, username: str, now: dt.datetime) -> dict[str, Any]:
    return {
        "username": username,
        "display_name": f"{person.given_name} {person.family_name}".strip(),
        "role": person.role,
        "email": person.email,
        "match_keys": {k: v for k in MATCH_KEYS if (v := person.key(k))},
        "created_by": "rostersync",
        "sis_user_id": person.sourced_id,
        "created_at": now,
    }


def create_account(
    store: DocumentStore, district_id: str, person: SisPerson, now: dt.datetime
) -> str:
    """Creates an account with a generated unique username. Idempotent: the account id derives
    from the SIS user, and a username reserved for it earlier is reused."""
    account_id = f"sis-{safe_id(person.sourced_id)}"
    account_path = f"{layout.accounts(district_id)}/{account_id}"
    if store.get(account_path) is not None:
        return account_id

    def taken(name: str) -> bool:
        owner = store.get(f"{layout.usernames(district_id)}/{name}")
        return owner is not None and owner.get("account_id") != account_id

    while True:
        username = generate_username(person, taken)
        reserved = store.create(
            f"{layout.usernames(district_id)}/{username}", {"account_id": account_id}
        )
        if reserved or not taken(username):
            break
    store.set(account_path, account_document(person, username, now))
    return account_id
