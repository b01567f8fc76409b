"""Matching SIS users to the app's accounts, and generated usernames. Pure."""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from shared.sync.model import DataWarning

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


def _holders_by_value(people: Iterable[SisPerson], key: MatchKey) -> dict[str, list[SisPerson]]:
    """The SIS users that have each (lower-cased) key value."""
    holders: dict[str, list[SisPerson]] = defaultdict(list)
    for person in people:
        value = person.key(key)
        if value:
            holders[value].append(person)
    return holders


def _missing_key(person: SisPerson, key: MatchKey, school_id: str | None) -> DataWarning:
    return DataWarning(
        f"missing_{key}",
        "user",
        person.sourced_id,
        f"the user has no {key}, so no account can be matched",
        f"enter the user's {key} in the SIS",
        school_id,
    )


def _shared_key(
    person: SisPerson, holders: list[SisPerson], key: MatchKey, school_id: str | None
) -> DataWarning:
    others = sorted(p.sourced_id for p in holders if p is not person)
    return DataWarning(
        f"duplicate_{key}",
        "user",
        person.sourced_id,
        f"the {key} is shared with SIS user(s) {', '.join(others)}, so neither is linked",
        f"give each user their own {key} in the SIS",
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
        f"merge or correct the accounts that share the {key}",
        school_id,
    )


def match_accounts(
    people: Iterable[SisPerson],
    accounts_by_key: Mapping[str, list[str]],
    key: MatchKey,
    *,
    school_id: str | None = None,
) -> tuple[list[AccountMatch], list[SisPerson], list[DataWarning]]:
    """(matches, unmatched people, warnings). ``accounts_by_key`` maps a lower-cased key value to
    the ids of the accounts that have it. Missing keys, keys shared by several SIS users and keys
    shared by several accounts are warnings and are not linked."""
    people = list(people)
    holders = _holders_by_value(people, key)
    matches: list[AccountMatch] = []
    unmatched: list[SisPerson] = []
    warnings: list[DataWarning] = []
    for person in people:
        value = person.key(key)
        if value is None:
            unmatched.append(person)  # no key to match by; an account may still be created
            warnings.append(_missing_key(person, key, school_id))
            continue
        if len(holders[value]) > 1:
            warnings.append(_shared_key(person, holders[value], key, school_id))
            continue
        found = accounts_by_key.get(value, [])
        if len(found) > 1:
            warnings.append(_ambiguous_account(person, len(found), key, school_id))
        elif found:
            matches.append(AccountMatch(person.sourced_id, found[0], key, value))
        else:
            unmatched.append(person)
    return matches, unmatched, warnings


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
