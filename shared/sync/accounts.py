"""Matching SIS users to the app's accounts, and generated usernames. Pure."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from shared.ids import digest
from shared.store.ports import FieldName
from shared.sync.model import DataWarning
from shared.sync.warning_codes import fix_text

MatchKey = Literal["email", "username", "identifier"]
EARLY_GRADES = frozenset({"PK", "TK", "KG", "K", "00", "0", "01", "1", "02", "2"})


@dataclass(frozen=True, slots=True)
class SisPerson:
    sourced_id: str
    role: str  # "teacher" or "student"
    given_name: str
    family_name: str
    email: str | None = None
    username: str | None = None
    identifier: str | None = None
    grades: tuple[str, ...] = ()

    def key(self, name: MatchKey) -> str | None:
        value: str | None = getattr(self, name)
        return value.strip().lower() if value and value.strip() else None


@dataclass(frozen=True, slots=True)
class AccountMatch:
    sis_user_id: str
    account_id: str
    matched_by: MatchKey
    value: str


def key_hash(key: MatchKey, value: str) -> str:
    """What a key claim stores instead of the value itself: the same for the same (key, value)."""
    return digest(key, value, length=32)


def holders_by_value(people: Iterable[SisPerson], key: MatchKey) -> dict[str, set[str]]:
    """The SIS users (by sourcedId) that have each (lower-cased) key value."""
    holders: dict[str, set[str]] = defaultdict(set)
    for person in people:
        value = person.key(key)
        if value:
            holders[value].add(person.sourced_id)
    return holders


def _missing_key(person: SisPerson, key: MatchKey, school_id: str | None) -> DataWarning:
    return DataWarning(
        f"missing_{key}",
        "user",
        person.sourced_id,
        f"the user has no {key}, so no account can be matched",
        fix_text(f"missing_{key}"),
        school_id,
    )


def shared_key_warning(
    sourced_id: str, holders: Collection[str], key: MatchKey, school_id: str | None
) -> DataWarning:
    others = sorted(h for h in holders if h != sourced_id)
    return DataWarning(
        f"duplicate_{key}",
        "user",
        sourced_id,
        f"the {key} is shared with SIS user(s) {', '.join(others)} (in this or another school), "
        "so none of them is linked",
        fix_text(f"duplicate_{key}"),
        school_id,
    )


def _ambiguous_account(
    person: SisPerson, account_count: int, key: MatchKey, school_id: str | None
) -> DataWarning:
    return DataWarning(
        "ambiguous_account",
        "user",
        person.sourced_id,
        f"{account_count} accounts have this {key}, so none is linked",
        fix_text("ambiguous_account", key=key),
        school_id,
    )


def match_accounts(
    people: Iterable[SisPerson],
    accounts_by_key: Mapping[str, list[str]],
    key: MatchKey,
    *,
    holders: Mapping[str, Collection[str]],
    school_id: str | None = None,
) -> tuple[list[AccountMatch], list[SisPerson], list[DataWarning]]:
    """(matches, unmatched people, warnings). ``accounts_by_key`` maps a lower-cased key value to
    the ids of the accounts that have it; ``holders`` maps a value to every SIS user of the whole
    district that has it (the key claims, not only ``people``: a school sees one school). Missing
    keys, keys held by several SIS users and keys shared by several accounts are warnings and are
    not linked."""
    people = list(people)
    matches: list[AccountMatch] = []
    unmatched: list[SisPerson] = []
    warnings: list[DataWarning] = []
    for person in people:
        value = person.key(key)
        if value is None:
            unmatched.append(person)  # no key to match by; an account may still be created
            warnings.append(_missing_key(person, key, school_id))
            continue
        sharing = set(holders.get(value, ())) | {person.sourced_id}
        if len(sharing) > 1:
            warnings.append(shared_key_warning(person.sourced_id, sharing, key, school_id))
            continue
        found = accounts_by_key.get(value, [])
        if len(found) > 1:
            warnings.append(_ambiguous_account(person, len(found), key, school_id))
        elif found:
            matches.append(AccountMatch(person.sourced_id, found[0], key, value))
        else:
            unmatched.append(person)
    return matches, unmatched, warnings


# ---- documents --------------------------------------------------------------------------------


def no_account_warnings(
    unmatched: Sequence[SisPerson], key: str, school_id: str
) -> list[DataWarning]:
    return [
        DataWarning(
            "no_matching_account",
            "user",
            p.sourced_id,
            f"no account has this {key}",
            fix_text("no_matching_account", key=key),
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


def unlinked_document(user_id: str, reason: str, now: dt.datetime) -> dict[str, Any]:
    """A link undone or refused: no account, and why."""
    return {
        "sis_user_id": user_id,
        "account_id": None,
        "matched_by": None,
        "value": None,
        "unlinked_because": reason,
        "unlinked_at": now,
    }


# ---- one key value held by several SIS users, district-wide ------------------------------------


@dataclass(frozen=True)
class Claim:
    sis_user_id: str
    school_id: str


def shared_values(claims: Mapping[str, Sequence[Claim]]) -> dict[str, list[Claim]]:
    """The values held by more than one SIS user. Pure."""
    return {h: list(c) for h, c in claims.items() if len({x.sis_user_id for x in c}) > 1}


def shared_warnings(shared: Mapping[str, Sequence[Claim]], key: MatchKey) -> list[DataWarning]:
    """One warning per holder and school, naming the other holders. Pure."""
    warnings: dict[tuple[str, str], DataWarning] = {}
    for claims in shared.values():
        holders = {c.sis_user_id for c in claims}
        for claim in claims:
            warnings[(claim.school_id, claim.sis_user_id)] = shared_key_warning(
                claim.sis_user_id, holders, key, claim.school_id
            )
    return [warnings[k] for k in sorted(warnings)]


def membership_clears(cls: Mapping[str, Any], revoked: Mapping[str, str]) -> dict[FieldName, Any]:
    """The field paths that take revoked accounts out of a synced class: the owner and the
    members the sync added (members added by hand are the teacher's). Pure."""
    update: dict[FieldName, Any] = {}
    owner = cls.get("owner") or {}
    if owner.get("account_id") and revoked.get(owner.get("sis_user_id", "")) == owner["account_id"]:
        update[("owner", "account_id")] = None
    for group in ("students", "co_teachers"):
        for name, member in (cls.get(group) or {}).items():
            account = member.get("account_id")
            by_sync = member.get("source", "sis") == "sis"
            if account and by_sync and revoked.get(member.get("sis_user_id", "")) == account:
                update[(group, name, "account_id")] = None
    return update


def _letters(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return re.sub(r"[^a-z0-9]", "", decomposed.encode("ascii", "ignore").decode().lower())


def username_stem(person: SisPerson) -> str:
    """Teachers: first initial + last name; students in K-2: first name + last initial;
    students in 3-12: first initial + last name. Letters and digits only."""
    given, family = _letters(person.given_name), _letters(person.family_name)
    early = person.role == "student" and any(g.upper() in EARLY_GRADES for g in person.grades)
    stem = given + family[:1] if early else given[:1] + family
    return stem or "user"


def generate_username(person: SisPerson, taken: Callable[[str], bool]) -> str:
    """The stem, or the stem followed by the smallest number ≥ 2 that is free."""
    stem = username_stem(person)
    if not taken(stem):
        return stem
    number = 2
    while taken(f"{stem}{number}"):
        number += 1
    return f"{stem}{number}"
