"""What a run tells the admin (issue 16, row 11): a selected school the SIS does not send is a
warning the admin sees, and an SIS's own error text never carries a token, a secret or a URL's
query into the run's failure."""

from __future__ import annotations

import dataclasses
from typing import Any

from shared.oneroster.errors import PermanentError
from shared.sync.admin_reads import warnings_page
from shared.sync.runs import create_run, load_run
from shared.sync.service import handle_task
from shared.sync.status import run_status
from shared.tasks import parse_sync_task
from tests.conftest import StepWorld

# Its warning id sorts after most others (warning ids are hashes), which is where a run with
# hundreds of warnings hid it.
MISSING_SCHOOL = "sch-0003"


def test_a_selected_school_the_sis_does_not_send_is_a_warning_the_admin_sees(
    make_sis, step_world: StepWorld
) -> None:
    running = make_sis(students=600, schools=2)  # hundreds of "no matching account" warnings
    district = step_world.register(running, selected_schools=["sch-0002", MISSING_SCHOOL])
    run_id = create_run(
        step_world.ports, district, kind="full", dry_run=False, requested_by="t@example.org"
    )
    step_world.drain()
    status = run_status(step_world.store, district, run_id, step_world.ports.clock())
    wanted = {"code": "selected_school_missing"}
    missing = warnings_page(step_world.store, district, run_id, wanted, 50, None)["warnings"]
    assert status["state"] == "succeeded_with_warnings"
    assert [w["sourced_id"] for w in missing] == [MISSING_SCHOOL]
    assert status["warnings_total"] > 200


SIS_TEXT = (
    "token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJjbGllbnQifQ.c2lnbmF0dXJl rejected for "
    "https://sis.example.org/ims/oneroster/v1p1/schools?access_token=abc123&appName=district "
    "(Authorization: Bearer s3cr3t-bearer; client_secret=hunter2)"
)


class RefusingReader:
    def fetch_all(self, resource: str) -> Any:
        raise PermanentError(
            f"the SIS refused access (403) at https://sis.example.org/x; grant the scopes. "
            f"The SIS said: {SIS_TEXT!r}."
        )


class RefusingClients:
    def client_for(self, district: Any) -> RefusingReader:
        return RefusingReader()

    def forget(self, district_id: str) -> None: ...


def test_an_sis_error_text_is_stored_without_tokens_secrets_or_query_values(
    make_sis, step_world: StepWorld
) -> None:
    district = step_world.register(make_sis(students=10))
    run_id = create_run(
        step_world.ports, district, kind="full", dry_run=False, requested_by="t@example.org"
    )
    ports = dataclasses.replace(step_world.ports, sis=RefusingClients())
    for task in step_world.queue.take():
        handle_task(ports, parse_sync_task(task))
    stored = load_run(step_world.store, district, run_id)["failure"]["reason"]
    shown = run_status(step_world.store, district, run_id, step_world.ports.clock())
    shown = shown["failure"]["reason"]
    assert "schools?access_token=***&appName=***" in stored
    for reason in (stored, shown):
        assert reason.startswith("the SIS refused access (403)")
        for secret in ("eyJhbGciOiJIUzI1NiJ9", "abc123", "s3cr3t-bearer", "hunter2", "=district"):
            assert secret not in reason


def test_a_progress_poll_reads_the_runs_fetches_and_schools_by_path(
    make_sis, step_world: StepWorld, monkeypatch
) -> None:
    """The same progress and schools a query would show, with no query of either folder: on
    the emulator a query costs a pass over every document held (docs/bench.md)."""
    district = step_world.register(make_sis(students=60, schools=2))
    first = create_run(step_world.ports, district, kind="full", dry_run=False, requested_by="a@x")
    step_world.drain()
    run_id = create_run(step_world.ports, district, kind="full", dry_run=False, requested_by="a@x")
    for _ in range(2):  # the start step, then one page: a run under way, most items not started
        step_world.deliver(step_world.queue.take()[0])
    queried: list[str] = []
    query = step_world.store.query

    def recording(collection: str, *filters: Any, **kwargs: Any) -> Any:
        queried.append(collection.rsplit("/", 1)[1])
        return query(collection, *filters, **kwargs)

    monkeypatch.setattr(step_world.store, "query", recording)
    for run in (run_id, first):
        status = run_status(step_world.store, district, run, step_world.ports.clock())
        assert sorted(status["schools"]) == ["sch-0001", "sch-0002"]
        assert status["progress"]["pages_known"] >= status["progress"]["pages_done"] > 0
    assert "fetches" not in queried and "schools" not in queried
