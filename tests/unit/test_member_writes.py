"""The pure rules behind the sync's member writes and the class's ``teacher_ids``: which planned
member updates still stand on the class as stored (the planner's own rule), and who teaches."""

from __future__ import annotations

import pytest

from shared.classroom.teachers import person_keys, teacher_ids
from shared.store.memory import MemoryStore
from shared.store.ports import DELETE_FIELD, ArrayUnion, Update, Write, updated
from shared.sync.apply import standing_members, touches_people
from shared.sync.model import ClassChange


def _entry(user: str, status: str = "active", source: str = "sis", by: str | None = None) -> dict:
    return {"sis_user_id": user, "status": status, "source": source, "removed_by": by}


PLAN = ClassChange(
    "c",
    "sec",
    "sch",
    add_students=("s-add",),
    restore_students=("s-restore",),
    remove_students=("s-remove",),
    add_co_teachers=("t-add",),
    remove_co_teachers=("t-remove",),
)


def test_a_plan_on_an_unchanged_class_stands_whole() -> None:
    stored = {
        "students": {
            "s-restore": _entry("s-restore", "removed", by="sis"),
            "s-remove": _entry("s-remove"),
        },
        "co_teachers": {"t-remove": _entry("t-remove")},
    }
    assert standing_members(PLAN, stored) == PLAN


@pytest.mark.parametrize(
    ("stored", "left"),
    [
        ({"s-add": _entry("s-add", source="manual")}, "add"),  # added by hand meanwhile
        ({"s-add": _entry("s-add", "removed", by="teacher")}, "add"),
        ({"s-restore": _entry("s-restore", "removed", by="teacher")}, "restore"),
        ({"s-restore": _entry("s-restore", source="manual")}, "restore"),
        ({"s-remove": _entry("s-remove", "removed", by="teacher")}, "remove"),
        ({"s-remove": _entry("s-remove", source="manual")}, "remove"),  # out and back by hand
        ({}, "remove"),  # nothing stored to remove: no half-written entry
    ],
)
def test_a_hand_change_since_the_plan_drops_that_members_update(stored: dict, left: str) -> None:
    standing = standing_members(PLAN, {"students": stored})
    dropped = {
        "add": standing.add_students,
        "restore": standing.restore_students,
        "remove": standing.remove_students,
    }[left]
    assert dropped == ()


def test_a_member_the_sis_removed_meanwhile_is_still_added() -> None:
    stored = {"students": {"s-add": _entry("s-add", "removed", by="sis")}}
    assert standing_members(PLAN, stored).add_students == ("s-add",)


def test_co_teachers_follow_the_same_rule() -> None:
    stored = {
        "co_teachers": {
            "t-add": _entry("t-add", source="manual"),
            "t-remove": _entry("t-remove", "removed", by="teacher"),
        }
    }
    standing = standing_members(PLAN, stored)
    assert (standing.add_co_teachers, standing.remove_co_teachers) == ((), ())


def test_only_existing_classes_whose_people_change_need_a_transaction() -> None:
    assert touches_people(PLAN)
    assert touches_people(ClassChange("c", "s", "sch", owner_id="t-9"))
    assert not touches_people(ClassChange("c", "s", "sch", sis_title="New", term_ids=("t",)))
    assert not touches_people(ClassChange("c", "s", "sch", create=True, add_students=("s",)))


def test_teacher_ids_are_the_owner_and_active_co_teachers_by_sis_id_and_account() -> None:
    doc = {
        "owner": {"sis_user_id": "t-1", "account_id": "acc-1"},
        "co_teachers": {
            "t-2": {**_entry("t-2"), "account_id": None},
            "t-3": _entry("t-3", "removed", by="teacher"),
            "acc-4": {"sis_user_id": None, "account_id": "acc-4", "status": "active"},
        },
    }
    assert teacher_ids(doc) == ["account:acc-1", "account:acc-4", "sis:t-1", "sis:t-2"]
    assert person_keys({"role": "teacher", "sis_user_id": "t-2"}) == ["sis:t-2"]
    assert teacher_ids({}) == []


def test_updated_applies_field_paths_as_the_store_does() -> None:
    doc = {"a": {"b": 1, "c": 2}}
    assert updated(doc, {("a", "b"): DELETE_FIELD, ("x", "y"): 3, "z": 4}) == {
        "a": {"c": 2},
        "x": {"y": 3},
        "z": 4,
    }
    assert doc == {"a": {"b": 1, "c": 2}}


def test_array_union_adds_only_what_the_array_lacks() -> None:
    store = MemoryStore()
    store.set("c/1", {"ids": ["b"], "n": 1})
    store.update("c/1", {"ids": ArrayUnion(("a", "b")), "new": ArrayUnion(("x",))})
    assert store.get("c/1") == {"ids": ["b", "a"], "n": 1, "new": ["x"]}


def test_memory_update_with_is_all_or_nothing() -> None:
    store = MemoryStore()
    store.set("c/1", {"n": 1})

    def build(doc: dict | None) -> Update:
        return Update({"n": 2}, (Write("set", "log/1", {"ok": True}), Write("update", "nope/1")))

    with pytest.raises(KeyError):
        store.update_with("c/1", build)
    assert (store.get("c/1"), store.get("log/1")) == ({"n": 1}, None)
    assert not store.update_with("c/1", lambda doc: None)
    assert store.update_with("c/1", lambda doc: Update({"n": (doc or {})["n"] + 1}))
    assert store.get("c/1") == {"n": 2}
