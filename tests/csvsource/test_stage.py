"""A CSV package's run on in-memory ports (MemoryStore, a recording queue, MemoryPackageStorage):
run creation and its refusals, routing into per-school pages as the REST listings route,
bounded buffers, duplicate and concurrent stage deliveries, a bad row's id kept in a full run,
a delta manifest making a delta run, and row warnings with their file, line and column."""

from __future__ import annotations

import io
import threading
import zipfile
from typing import Any

import pytest

from shared.csvsource import stage
from shared.csvsource.reader import StagedPageMissing, staging_prefix
from shared.csvsource.runs import start_csv_run
from shared.csvsource.split import Splitter
from shared.districts import load_district
from shared.oneroster.errors import TransientError
from shared.store import layout
from shared.sync.runs import load_run
from shared.sync.warning_sets import run_warnings
from tests.conftest import active
from tests.csvsource.build import STAGING, CsvWorld, csv_world, package_zip

D = "d1"
GUARDS_OFF = {
    "guards": {"max_fraction": 1, "max_count": 100_000},
    "accounts": {"create_accounts": True},
}


def _org(sid: str, kind: str = "school", parent: str = "") -> dict[str, str]:
    return {"sourcedId": sid, "name": f"Org {sid}", "type": kind, "parentSourcedId": parent}


def _class(sid: str, school: str) -> dict[str, str]:
    return {
        "sourcedId": sid,
        "title": f"Class {sid}",
        "courseSourcedId": "k1",
        "classType": "scheduled",
        "schoolSourcedId": school,
        "termSourcedIds": "t1",
    }


def _user(sid: str) -> dict[str, str]:
    return {
        "sourcedId": sid,
        "enabledUser": "true",
        "username": sid,
        "givenName": sid.upper(),
        "familyName": "Test",
        "email": f"{sid}@school.example.org",
    }


def _role(user: str, role: str, org: str, kind: str = "primary") -> dict[str, str]:
    return {
        "sourcedId": f"r-{user}-{org}",
        "userSourcedId": user,
        "roleType": kind,
        "role": role,
        "orgSourcedId": org,
    }


def _enr(sid: str, cls: str, school: str, user: str, role: str) -> dict[str, str]:
    return {
        "sourcedId": sid,
        "classSourcedId": cls,
        "schoolSourcedId": school,
        "userSourcedId": user,
        "role": role,
    }


def district_files(**changes: Any) -> dict[str, list[dict[str, str]]]:
    """Two schools; teacher ta teaches in both (1.2 roles in s1 and s2)."""
    files = {
        "orgs": [_org("dist", "district"), _org("s1", parent="dist"), _org("s2", parent="dist")],
        "academicSessions": [
            {
                "sourcedId": "t1",
                "title": "Year",
                "type": "term",
                "startDate": "2024-08-01",
                "endDate": "2035-06-30",
                "schoolYear": "2035",
            },
            {
                "sourcedId": "g1",
                "title": "Q1",
                "type": "gradingPeriod",
                "startDate": "2024-08-01",
                "endDate": "2024-10-30",
                "schoolYear": "2035",
                "parentSourcedId": "t1",
            },
        ],
        "classes": [_class("c1", "s1"), _class("c2", "s2"), _class("c3", "s1")],
        "users": [_user(u) for u in ("ta", "st1", "st2", "st3")],
        "roles": [
            _role("ta", "teacher", "s1"),
            _role("ta", "teacher", "s2", "secondary"),
            _role("st1", "student", "s1"),
            _role("st2", "student", "s1"),
            _role("st3", "student", "s2"),
        ],
        "enrollments": [
            _enr("e1", "c1", "s1", "ta", "teacher"),
            _enr("e2", "c2", "s2", "ta", "teacher"),
            _enr("e3", "c1", "s1", "st1", "student"),
            _enr("e4", "c1", "s1", "st2", "student"),
            _enr("e5", "c2", "s2", "st3", "student"),
            _enr("e6", "c3", "s1", "ta", "teacher"),
        ],
    }
    files.update(changes)
    return files


@pytest.fixture
def world() -> CsvWorld:
    world = csv_world()
    world.register_csv(D, **GUARDS_OFF)
    return world


def _run(world: CsvWorld, data: bytes, name: str = "export.zip", **drain: Any) -> dict[str, Any]:
    run_id = start_csv_run(world.ports, D, world.land(D, data, name), requested_by="inbox")
    world.drain(**drain)
    return {**load_run(world.store, D, run_id), "run_id": run_id}


def _staged_rows(world: CsvWorld, run_id: str, item: str) -> list[dict[str, Any]]:
    prefix = staging_prefix(D, run_id)
    names = world.storage.names(STAGING, f"{prefix}/{item}/")
    return [row for n in names for row in world.storage.read_json(STAGING, n)["rows"]]


def _members(world: CsvWorld) -> dict[str, set[str]]:
    return {
        doc.id: active(doc.data["students"]) | active(doc.data["co_teachers"])
        for doc in world.store.query(layout.classes(D))
    }


def _warnings(world: CsvWorld, run_id: str) -> list[dict[str, Any]]:
    return list(run_warnings(world.store, D, run_id))


def test_a_package_syncs_its_classes_and_routes_rows_as_the_rest_listings_do(world) -> None:
    run = _run(world, package_zip("1.2", district_files()))
    assert run["state"] == "succeeded", run
    assert run["source"] == "csv" and run["package"]["version"] == "1.2"
    assert run["kind"] == "full" and run["staged"]["rows"]["enrollments"] == 6
    teachers = {
        school: _staged_rows(world, run["run_id"], f"{school}~~teachers") for school in ("s1", "s2")
    }
    assert (
        [u["sourcedId"] for u in teachers["s1"]]
        == ["ta"]
        == [u["sourcedId"] for u in teachers["s2"]]
    )
    students = _staged_rows(world, run["run_id"], "s1~~students")
    assert sorted(u["sourcedId"] for u in students) == ["st1", "st2"]
    assert _members(world) == {"sis-c1": {"st1", "st2"}, "sis-c2": {"st3"}, "sis-c3": set()}
    owners = {d.id: d.data["owner"]["sis_user_id"] for d in world.store.query(layout.classes(D))}
    assert owners == {"sis-c1": "ta", "sis-c2": "ta", "sis-c3": "ta"}
    terms = world.storage.read_json(STAGING, f"{staging_prefix(D, run['run_id'])}/terms.json")
    assert [t["sourcedId"] for t in terms] == ["t1"]  # /terms lists sessions of type term


def test_a_1_1_user_is_routed_by_role_and_orgs(world) -> None:
    files = district_files()
    users = [
        {**_user("ta"), "role": "teacher", "orgSourcedIds": "s1,s2"},
        {**_user("st1"), "role": "student", "orgSourcedIds": "s1"},
        {**_user("st2"), "role": "student", "orgSourcedIds": "s1"},
        {**_user("st3"), "role": "student", "orgSourcedIds": "s2"},
    ]
    del files["roles"]
    run = _run(world, package_zip("1.1", {**files, "users": users}))
    assert run["state"] == "succeeded", run
    assert [u["sourcedId"] for u in _staged_rows(world, run["run_id"], "s2~~teachers")] == ["ta"]
    assert _members(world)["sis-c1"] == {"st1", "st2"}


def test_buffers_stay_bounded_and_pages_hold_at_most_the_page_size() -> None:
    written: list[tuple[str, int, int]] = []
    splitter = Splitter(lambda item, i, rows: written.append((item, i, len(rows))), 5, 12)
    peak = 0
    for n in range(200):
        splitter.add(f"s{n % 7}~~enrollments", {"n": n})
        peak = max(peak, splitter.buffered)
    index = splitter.close()
    assert peak <= 12 and all(size <= 5 for _, _, size in written)
    assert sum(size for _, _, size in written) == 200
    assert index == {item: 1 + max(i for it, i, _ in written if it == item) for item in index}


def test_a_school_with_more_than_500_rows_gets_several_pages(world) -> None:
    users = [_user(f"p{n}") for n in range(1001)]
    roles = [_role(f"p{n}", "student", "s1") for n in range(1001)]
    run_id = start_csv_run(
        world.ports,
        D,
        world.land(D, package_zip("1.2", district_files(users=users, roles=roles))),
        requested_by="inbox",
    )
    world.deliver(world.queue.take()[0])  # the stage step only
    prefix = staging_prefix(D, run_id)
    assert world.storage.read_json(STAGING, f"{prefix}/index.json")["s1~~students"] == 3
    names = world.storage.names(STAGING, f"{prefix}/s1~~students/")
    sizes = [len(world.storage.read_json(STAGING, n)["rows"]) for n in names]
    assert sizes == [500, 500, 1]


def test_bytes_that_are_not_utf8_mid_file_fail_the_run_and_stage_nothing(world) -> None:
    _run(world, package_zip("1.2", district_files()), "good.zip")
    before = _members(world)
    padding = [_enr(f"x{n}", "c1", "s1", "st1", "student") for n in range(600)]  # > one chunk
    files = district_files(enrollments=[*district_files()["enrollments"], *padding])
    good = zipfile.ZipFile(io.BytesIO(package_zip("1.2", files)))
    broken = io.BytesIO()
    with zipfile.ZipFile(broken, "w") as archive:
        for entry in good.namelist():
            bad = b"e9,,,c1,s1,st1,student,,,\xe9\r\n" if entry == "enrollments.csv" else b""
            archive.writestr(entry, good.read(entry) + bad)
    run = _run(world, broken.getvalue(), "broken.zip")
    assert run["state"] == "failed" and "enrollments.csv" in run["failure"]["reason"], run
    assert "line 608 is not UTF-8" in run["failure"]["reason"]
    assert run["failure"]["where"] == "reading the package"
    assert not world.storage.names(STAGING, staging_prefix(D, run["run_id"]))
    assert _members(world) == before


def test_a_duplicate_stage_delivery_stages_once(world) -> None:
    obj = world.land(D, package_zip("1.2", district_files()))
    run_id = start_csv_run(world.ports, D, obj, requested_by="inbox")
    assert start_csv_run(world.ports, D, obj, requested_by="inbox") == run_id
    (stage,) = world.queue.take()
    assert stage["step"] == "stage"
    world.deliver(stage)
    objects = {n: world.storage.info(STAGING, n) for n in world.storage.names(STAGING)}
    assert world.deliver(stage)["state"] == "staged"
    assert {n: world.storage.info(STAGING, n) for n in world.storage.names(STAGING)} == objects
    assert [t["step"] for t in world.queue.take()] == ["start"]  # one start task, by its name


def test_two_concurrent_stage_deliveries_end_with_one_staging(world) -> None:
    run_id = start_csv_run(
        world.ports, D, world.land(D, package_zip("1.2", district_files())), requested_by="inbox"
    )
    (stage,) = world.queue.take()
    writes: list[str] = []
    original = world.storage.write_json
    gate = threading.Barrier(2)

    def counting(bucket: str, name: str, value: Any) -> None:
        writes.append(name)
        original(bucket, name, value)

    world.storage.write_json = counting
    outcomes: list[str] = []

    def deliver() -> None:
        gate.wait()
        try:
            outcomes.append(world.deliver(stage)["state"])
        except TransientError:
            outcomes.append("retry")

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) in (["retry", "staged"], ["staged", "staged"])
    assert len(writes) == len(set(writes))  # every object written once: one staging
    world.deliver(stage)  # the retried delivery finds the run staged
    world.drain()
    assert load_run(world.store, D, run_id)["state"] == "succeeded"


def test_a_bad_rows_id_is_kept_in_a_full_run_and_nothing_is_removed(world) -> None:
    _run(world, package_zip("1.2", district_files()), "monday.zip")
    files = district_files()
    files["enrollments"][3] = {**files["enrollments"][3], "role": "captain"}  # e4: st2 in c1
    run = _run(world, package_zip("1.2", files), "tuesday.zip")
    assert run["staged"]["kept"] == 1 and run["state"] == "succeeded_with_warnings"
    assert _members(world)["sis-c1"] == {"st1", "st2"}
    (warning,) = [w for w in _warnings(world, run["run_id"]) if w["sourced_id"] == "e4"]
    assert warning["code"] == "csv_value_unknown" and warning["record_kind"] == "enrollment"
    assert warning["location"] == "enrollments.csv line 5, column role"
    assert (warning["field"], warning["value"]) == ("role", "captain")
    del files["enrollments"][3]  # now gone from the file: st2 leaves c1
    _run(world, package_zip("1.2", files), "wednesday.zip")
    assert _members(world)["sis-c1"] == {"st1"}


def test_a_delta_manifest_makes_a_delta_run_that_changes_only_what_it_sends(world) -> None:
    _run(world, package_zip("1.2", district_files()))
    stamp = {"dateLastModified": "2030-01-02T03:04:05Z"}
    changes = [
        {**_enr("e4", "c1", "s1", "st2", "student"), **stamp, "status": "tobedeleted"},
        {**_enr("e9", "c3", "s1", "st1", "student"), **stamp, "status": "active"},
    ]
    delta = package_zip("1.2", {"enrollments": changes}, {"enrollments": "delta"})
    run = _run(world, delta, "delta.zip")
    assert run["kind"] == "delta" and "-delta-csv" in run["run_id"], run
    assert run["state"] == "succeeded", run
    assert _members(world) == {"sis-c1": {"st1"}, "sis-c2": {"st3"}, "sis-c3": {"st1"}}


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "empty (0 bytes)"),
        (b"PK\x03\x04 not really a zip", "zip"),
    ],
)
def test_a_package_that_cannot_be_read_makes_a_failed_run(world, data: bytes, words: str) -> None:
    run = _run(world, data)
    assert run["state"] == "failed" and words in run["failure"]["reason"], run
    assert run["failure"]["where"] == "package checks" and not world.storage.names(STAGING)


def test_a_package_over_the_limit_and_a_rest_district_make_failed_runs(world) -> None:
    data = package_zip("1.2", district_files())
    small = csv_world()
    small.register_csv(D)
    limited = type(small.ports)(**{**small.ports.__dict__, "max_package_bytes": 100})
    run_id = start_csv_run(limited, D, small.land(D, data), requested_by="inbox")
    reason = load_run(small.store, D, run_id)["failure"]["reason"]
    assert f"{len(data):,} bytes" in reason and "limit of 100 bytes" in reason
    rest = {
        "version": "1.2",
        "rostering_base_url": "https://sis.example.org/ims/oneroster/rostering/v1p2",
        "token_url": "https://sis.example.org/oauth/token",
        "client_id": "c",
    }
    world.store.update(layout.district(D), {"connection": rest, "secret_name": "s"})
    run = _run(world, data)
    assert run["state"] == "failed" and '{"source": "csv"}' in run["failure"]["reason"]


def test_a_rest_run_is_refused_for_a_csv_district(world) -> None:
    from shared.errors import Conflict
    from shared.sync.runs import create_run

    with pytest.raises(Conflict, match="CSV packages"):
        create_run(world.ports, D, kind="full", dry_run=False, requested_by="a@x.org")


def test_a_file_full_of_bad_rows_lists_the_first_and_counts_the_rest(
    world: CsvWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stage, "ROW_WARNINGS", 2)
    bad = [{**_user(f"p{n}"), "enabledUser": "maybe"} for n in range(5)]
    files = district_files()
    run = _run(world, package_zip("1.2", {**files, "users": [*files["users"], *bad]}))
    listed = [w for w in _warnings(world, run["run_id"]) if w["code"] == "csv_value_invalid"]
    (more,) = [w for w in _warnings(world, run["run_id"]) if w["code"] == "csv_more_problems"]
    assert len(listed) == 2 and more["reason"].startswith("3 more problems in users.csv")
    assert run["staged"]["problems"] == 5


def test_a_staged_page_gone_from_the_bucket_is_a_permanent_error_naming_it(world) -> None:
    run = _run(world, package_zip("1.2", district_files()))
    reader = world.ports.reader(load_district(world.store, D), run)
    first = reader.school_request("s1", "students")
    assert reader.fetch_page(first).records
    world.storage.delete_prefix(STAGING, staging_prefix(D, run["run_id"]))
    with pytest.raises(StagedPageMissing, match=r"s1~~students/00000\.json") as caught:
        reader.fetch_page(first)
    assert not caught.value.transient


def test_a_bad_roles_row_is_warned_but_neither_counted_nor_kept_as_a_user(world) -> None:
    files = district_files()
    files["roles"].append({**_role("st1", "student", "s2"), "role": "captain"})
    run = _run(world, package_zip("1.2", files))
    assert run["staged"]["rows"]["users"] == 4 and run["staged"]["kept"] == 0
    (warning,) = [w for w in _warnings(world, run["run_id"]) if w["value"] == "captain"]
    assert warning["location"].startswith("roles.csv line 7")
