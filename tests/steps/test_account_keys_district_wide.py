"""Account matching looks at the whole district: a key value held by SIS users in different
schools links none of them, whatever order the school steps run in and however often each task
is delivered (issue 16, row 2)."""

from __future__ import annotations

from typing import Any

from shared.ids import safe_id
from shared.store import layout
from shared.sync import school_step
from shared.sync.runs import create_run, load_run
from shared.sync.warning_sets import run_warnings
from tests.conftest import StepWorld
from tools.oneroster_sis.harness import RunningSis

SHARED_EMAIL = "shared.address@students.rusd.example.org"
FIRST, SECOND = "stu-000001", "stu-000031"  # one student of each school


def _two_schools_sharing_an_email(make_sis: Any) -> RunningSis:
    running = make_sis(students=60, schools=2, rate_missing_email=0.0, rate_duplicate_email=0.0)
    for student in (FIRST, SECOND):
        running.sis.store.patch("users", student, {"email": SHARED_EMAIL})
    return running


def _seed_accounts(world: StepWorld, district_id: str, running: RunningSis) -> None:
    """An account per SIS user with an email, and one account with the shared email."""
    emails = {u["email"].lower() for u in running.sis.store.all("users") if u.get("email")}
    for number, email in enumerate(sorted(emails)):
        world.store.set(
            f"{layout.accounts(district_id)}/acc-{number:04d}", {"match_keys": {"email": email}}
        )


def _full_sync(world: StepWorld, district_id: str, **drain: Any) -> dict[str, Any]:
    run_id = create_run(
        world.ports, district_id, kind="full", dry_run=False, requested_by="t@example.org"
    )
    world.drain(**drain)
    return load_run(world.store, district_id, run_id)


def _live_links(world: StepWorld, district_id: str) -> dict[str, str]:
    return {
        str(doc.data["sis_user_id"]): str(doc.data["account_id"])
        for doc in world.store.query(layout.account_links(district_id))
        if doc.data.get("account_id")
    }


def _accounts(world: StepWorld, district_id: str) -> dict[str, dict[str, Any]]:
    return {
        doc.id: {k: v for k, v in doc.data.items() if k != "created_at"}
        for doc in world.store.query(layout.accounts(district_id))
    }


def _warnings(world: StepWorld, district_id: str, run_id: str) -> list[dict[str, Any]]:
    return list(run_warnings(world.store, district_id, run_id))


def test_two_students_of_different_schools_sharing_an_email_are_neither_linked(
    make_sis, step_world
) -> None:
    running = _two_schools_sharing_an_email(make_sis)
    district = step_world.register(running)
    _seed_accounts(step_world, district, running)
    run = _full_sync(step_world, district)
    links = _live_links(step_world, district)
    assert FIRST not in links and SECOND not in links
    assert "stu-000002" in links and "stu-000032" in links  # everyone else is linked
    assert run["state"] == "succeeded_with_warnings"


def test_the_shared_email_warning_names_both_users_and_the_fix(make_sis, step_world) -> None:
    running = _two_schools_sharing_an_email(make_sis)
    district = step_world.register(running)
    _seed_accounts(step_world, district, running)
    run_id = create_run(
        step_world.ports, district, kind="full", dry_run=False, requested_by="t@example.org"
    )
    step_world.drain()
    shared = {
        w["sourced_id"]: w
        for w in _warnings(step_world, district, run_id)
        if w["code"] == "duplicate_email"
    }
    assert set(shared) == {FIRST, SECOND}
    assert SECOND in shared[FIRST]["reason"] and FIRST in shared[SECOND]["reason"]
    assert "own email" in shared[FIRST]["fix"]
    assert load_run(step_world.store, district, run_id)["state"] == "succeeded_with_warnings"


def test_a_link_made_before_a_second_holder_appeared_is_undone(make_sis, step_world) -> None:
    running = make_sis(students=60, schools=2, rate_missing_email=0.0, rate_duplicate_email=0.0)
    district = step_world.register(running)
    running.sis.store.patch("users", FIRST, {"email": SHARED_EMAIL})
    _seed_accounts(step_world, district, running)
    _full_sync(step_world, district)
    assert FIRST in _live_links(step_world, district)
    running.sis.store.patch("users", SECOND, {"email": SHARED_EMAIL})
    _full_sync(step_world, district)
    links = _live_links(step_world, district)
    assert FIRST not in links and SECOND not in links
    owned = [
        m
        for doc in step_world.store.query(layout.classes(district))
        for m in (doc.data.get("students") or {}).values()
        if m["sis_user_id"] == FIRST
    ]
    assert owned and all(m["account_id"] is None for m in owned)


def test_duplicate_delivery_of_every_sync_task_gives_the_same_accounts_as_single_delivery(
    make_sis, step_world
) -> None:
    running = _two_schools_sharing_an_email(make_sis)
    once = step_world.register(running, "once")
    thrice = step_world.register(running, "thrice")
    for district in (once, thrice):
        _seed_accounts(step_world, district, running)
    _full_sync(step_world, once)
    run = _full_sync(step_world, thrice, copies=3, parallel=True)
    assert run["state"] == "succeeded_with_warnings"
    assert _live_links(step_world, thrice) == _live_links(step_world, once)
    assert _accounts(step_world, thrice) == _accounts(step_world, once)
    assert FIRST not in _live_links(step_world, thrice)


def test_a_second_school_step_delivered_first_gives_the_same_accounts(make_sis, step_world) -> None:
    running = _two_schools_sharing_an_email(make_sis)
    forwards = step_world.register(running, "forwards")
    backwards = step_world.register(running, "backwards")
    for district in (forwards, backwards):
        _seed_accounts(step_world, district, running)
    _full_sync(step_world, forwards)
    _full_sync_school_steps_reversed(step_world, backwards)
    assert _live_links(step_world, backwards) == _live_links(step_world, forwards)
    assert safe_id(FIRST) not in {safe_id(s) for s in _live_links(step_world, backwards)}


def _full_sync_school_steps_reversed(world: StepWorld, district_id: str) -> None:
    """Every page first, then the school steps in the reverse of their enqueue order."""
    create_run(world.ports, district_id, kind="full", dry_run=False, requested_by="t@example.org")
    schools: list[dict[str, Any]] = []
    while batch := world.queue.take():
        for task in batch:
            if task["step"] == "school":
                schools.append(task)
            else:
                world.deliver(task)
    for task in reversed(schools):
        world.deliver(task)


def test_an_account_created_for_the_first_holder_stops_matching_by_the_shared_email(
    make_sis, step_world
) -> None:
    running = make_sis(students=60, schools=2, rate_missing_email=0.0, rate_duplicate_email=0.0)
    district = step_world.register(running, accounts={"create_accounts": True})
    running.sis.store.patch("users", FIRST, {"email": SHARED_EMAIL})
    _full_sync(step_world, district)
    created = _live_links(step_world, district)[FIRST]
    running.sis.store.patch("users", SECOND, {"email": SHARED_EMAIL})
    _full_sync(step_world, district)
    links = _live_links(step_world, district)
    assert FIRST not in links and SECOND not in links
    assert "email" not in _accounts(step_world, district)[created]["match_keys"]


def test_a_second_holder_unlinking_while_the_first_school_applies_leaves_no_account(
    make_sis, step_world, monkeypatch
) -> None:
    """The first holder's school links its user (no second holder has claimed the value yet),
    then, between that and its apply, the second holder's school step finds the value shared,
    unlinks both and clears their accounts from their classes. The first school's apply, made
    with the link it read before, must not put the account back (seen with parallel duplicate
    deliveries in tests/sync/test_races.py)."""
    running = _two_schools_sharing_an_email(make_sis)
    district = step_world.register(running)
    _seed_accounts(step_world, district, running)
    create_run(step_world.ports, district, kind="full", dry_run=False, requested_by="t@x.org")
    schools: dict[str, dict[str, Any]] = {}
    while batch := step_world.queue.take():
        for task in batch:
            if task["step"] == "school":
                schools[task["school_id"]] = task
            else:
                step_world.deliver(task)
    first_school, second_school = sorted(schools)
    real_apply = school_step.apply_changes

    def apply_after_the_second_school(*args: Any, **kwargs: Any) -> Any:
        monkeypatch.setattr(school_step, "apply_changes", real_apply)
        step_world.deliver(schools[second_school])
        return real_apply(*args, **kwargs)

    monkeypatch.setattr(school_step, "apply_changes", apply_after_the_second_school)
    step_world.deliver(schools[first_school])
    step_world.drain()
    assert FIRST not in _live_links(step_world, district)
    owned = [
        m
        for doc in step_world.store.query(layout.classes(district))
        for m in (doc.data.get("students") or {}).values()
        if m["sis_user_id"] == FIRST
    ]
    assert owned and all(m["account_id"] is None for m in owned)
