"""infra/firestore.rules, run by the Firestore emulator: what users signed in as teachers,
admins, strangers or nobody may read and list (see rules_world.py for the emulator and the
seeded data)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.infra.rules_world import (
    ADA,
    ALLOWED,
    C1,
    COLIN,
    DENIED,
    DORA,
    NOBODY,
    OTTO,
    TINA,
    Emulator,
    safe_id,
    staff_doc,
)


def case_id(value: Any) -> str:
    """Readable test ids: who, what, expected."""
    if isinstance(value, dict) and "email" in value:
        return str(value["email"]).split("@")[0].split(".")[0].split("+")[0].split("_")[0]
    if value is None:
        return "anonymous"
    if isinstance(value, int):
        return {200: "allowed", 403: "denied"}.get(value, str(value))
    return str(value)


@pytest.mark.parametrize(
    ("user", "path", "expected"),
    [
        # Their district, not another.
        (TINA, "districts/d1", ALLOWED),
        (TINA, "districts/d2", DENIED),
        (NOBODY, "districts/d1", DENIED),
        (None, "districts/d1", DENIED),
        # Their classes: owner and active co-teacher (found by the safe id of "t/2").
        (TINA, C1, ALLOWED),
        (COLIN, C1, ALLOWED),
        (OTTO, C1, DENIED),
        (COLIN, "districts/d1/classes/sis-sec-2", DENIED),  # removed co-teacher
        (OTTO, "districts/d1/classes/sis-sec-2", ALLOWED),
        (ADA, "districts/d1/classes/sis-sec-2", ALLOWED),  # admins read their district's classes
        (None, C1, DENIED),
        (NOBODY, C1, DENIED),
        # Nothing of another district, even where an id inside matches.
        (TINA, "districts/d2/classes/sis-sec-1", DENIED),
        (ADA, "districts/d2/classes/sis-sec-7", DENIED),
        (DORA, "districts/d2/classes/sis-sec-7", ALLOWED),
        (DORA, C1, DENIED),
        # Coursework and marks follow the class.
        (TINA, f"{C1}/coursework/a-1", ALLOWED),
        (TINA, f"{C1}/coursework/a-1/marks/s-1", ALLOWED),
        (COLIN, f"{C1}/coursework/a-1/marks/s-1", ALLOWED),
        (OTTO, f"{C1}/coursework/a-1", DENIED),
        (OTTO, f"{C1}/coursework/a-1/marks/s-1", DENIED),
        (DORA, f"{C1}/coursework/a-1/marks/s-1", DENIED),
        # Staff documents: one's own; admins read their district's.
        (TINA, staff_doc("d1", TINA), ALLOWED),
        (TINA, staff_doc("d1", OTTO), DENIED),
        (ADA, staff_doc("d1", OTTO), ALLOWED),
        (ADA, staff_doc("d2", DORA), DENIED),
        # Sync's own collections are closed to every client, admins included.
        (ADA, "districts/d1/runs/r-1", DENIED),
        (ADA, "districts/d1/schools/sch-1/sis_classes/sec-1", DENIED),
        (ADA, "districts/d1/accounts/acc-tina", DENIED),
        (TINA, "districts/d1/accounts/acc-tina", DENIED),
        (ADA, "districts/d1/account_links/t-1", DENIED),
        (ADA, "districts/d1/watermarks/sch-1~~classes", DENIED),
    ],
    ids=case_id,
)
def test_reads(db: Emulator, user: dict[str, Any] | None, path: str, expected: int) -> None:
    assert db.get(path, user) == expected


def test_an_unverified_email_reads_nothing(db: Emulator) -> None:
    assert db.get(C1, TINA, verified=False) == DENIED
    assert db.get("districts/d1", TINA, verified=False) == DENIED


def test_a_teacher_lists_only_the_classes_they_own(db: Emulator) -> None:
    status, names = db.query("districts/d1", "classes", TINA, ("owner.account_id", "acc-tina"))
    assert (status, sorted(names)) == (ALLOWED, ["sis-sec-1", "sis-sec-3"])
    assert db.query("districts/d1", "classes", TINA, None)[0] == DENIED
    assert db.query("districts/d2", "classes", TINA, ("owner.account_id", "acc-tina"))[0] == DENIED


def test_an_admin_lists_the_district_classes_and_staff(db: Emulator) -> None:
    status, names = db.query("districts/d1", "classes", ADA, None)
    assert (status, sorted(names)) == (ALLOWED, ["sis-sec-1", "sis-sec-2", "sis-sec-3"])
    assert db.query("districts/d1", "staff", ADA, None)[0] == ALLOWED
    assert db.query("districts/d1", "staff", TINA, None)[0] == DENIED
    assert db.query("districts/d2", "classes", ADA, None)[0] == DENIED


def test_the_rules_encode_ids_exactly_as_safe_id(db: Emulator) -> None:
    """safeId() in the rules against shared/ids.py for every printable ASCII character: a
    co-teacher whose SIS id holds all of them, and a user whose e-mail holds every character an
    address may contain, are found under the keys sync and the admin tooling write."""
    punctuation = "".join(chr(c) for c in range(32, 127) if not chr(c).isalnum())
    sis_id = f"t{punctuation}x"
    email = "a.b!#$%&'*+/=?^_`{|}~-z@d1.example.org"
    user = {"email": email}
    db.seed(
        {
            staff_doc("d1", user): {"role": "teacher", "sis_user_id": sis_id},
            "districts/d1/classes/sis-sec-9": {
                "origin": "sis",
                "owner": {"sis_user_id": "t-1"},
                "co_teachers": {safe_id(sis_id): {"sis_user_id": sis_id, "status": "active"}},
            },
        }
    )
    assert db.get(staff_doc("d1", user), user) == ALLOWED
    assert db.get("districts/d1/classes/sis-sec-9", user) == ALLOWED
    assert db.get(C1, user) == DENIED
