"""Linking SIS users to the app's accounts: existing links are kept; unlinked users are matched
by the district's key (case-insensitive, see accounts.py); optionally accounts are created with
generated usernames. Each link records which key matched."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from shared.ids import safe_id
from shared.store import layout
from shared.store.ports import DocumentStore, Filter, Write
from shared.sync.accounts import AccountMatch, SisPerson, generate_username, match_accounts
from shared.sync.district import MATCH_KEYS, DistrictConfig
from shared.sync.model import DataWarning

KEY_VALUES_PER_QUERY = 30  # Firestore's limit for an "in" filter


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


def no_account_warnings(
    unmatched: Sequence[SisPerson], key: str, school_id: str
) -> list[DataWarning]:
    return [
        DataWarning(
            "no_matching_account",
            "user",
            p.sourced_id,
            f"no account has this {key}",
            f"create the account in the app, correct the {key} in the SIS, or turn on "
            "account creation",
            school_id,
        )
        for p in unmatched
        if p.key(key)  # type: ignore[arg-type]  # users without the key have their own warning
    ]


def link_document(
    user_id: str, account_id: str, matched_by: str, value: str | None, now: dt.datetime
) -> dict[str, Any]:
    return {
        "sis_user_id": user_id,
        "account_id": account_id,
        "matched_by": matched_by,
        "value": value,
        "linked_at": now,
    }


def _link_path(district_id: str, user_id: str) -> str:
    return f"{layout.account_links(district_id)}/{safe_id(user_id)}"


def read_links(
    store: DocumentStore, district_id: str, people: Sequence[SisPerson]
) -> dict[str, str]:
    found = store.get_many([_link_path(district_id, p.sourced_id) for p in people])
    return {str(d["sis_user_id"]): str(d["account_id"]) for d in found.values()}


def accounts_by_key(
    store: DocumentStore, district_id: str, key: str, values: Sequence[str]
) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for start in range(0, len(values), KEY_VALUES_PER_QUERY):
        chunk = list(values[start : start + KEY_VALUES_PER_QUERY])
        for doc in store.query(
            layout.accounts(district_id), Filter(f"match_keys.{key}", "in", chunk)
        ):
            value = (doc.data.get("match_keys") or {}).get(key)
            if isinstance(value, str):
                found.setdefault(value, []).append(doc.id)
    return found


def link_accounts(
    store: DocumentStore,
    district: DistrictConfig,
    people: Sequence[SisPerson],
    *,
    school_id: str,
    dry_run: bool,
    now: dt.datetime,
) -> tuple[dict[str, str], list[DataWarning]]:
    """Links by SIS user id, and the warnings of users left unlinked. A dry run writes nothing."""
    district_id, key = district.district_id, district.match_key
    links = read_links(store, district_id, people)
    unlinked = [p for p in people if p.sourced_id not in links]
    if not unlinked:
        return links, []
    values = sorted({v for p in unlinked if (v := p.key(key))})
    matches, unmatched, warnings = match_accounts(
        people, accounts_by_key(store, district_id, key, values), key, school_id=school_id
    )
    plan = plan_links(links, matches, unmatched)
    writes = []
    for match in plan.new_links:
        links[match.sis_user_id] = match.account_id
        writes.append(
            Write(
                "set",
                _link_path(district_id, match.sis_user_id),
                link_document(
                    match.sis_user_id, match.account_id, match.matched_by, match.value, now
                ),
            )
        )
    if district.create_accounts and not dry_run:
        for person in plan.unmatched:
            links[person.sourced_id] = create_account(store, district_id, person, now)
            writes.append(
                Write(
                    "set",
                    _link_path(district_id, person.sourced_id),
                    link_document(
                        person.sourced_id, links[person.sourced_id], "created", None, now
                    ),
                )
            )
    else:
        warnings.extend(no_account_warnings(plan.unmatched, key, school_id))
    if not dry_run:
        store.commit(writes)
    return links, warnings


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
