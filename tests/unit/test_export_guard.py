"""The guard each assignment and mark is exported under: an error that is not a transient SIS
failure is recorded as ``failed`` on that document alone (an unexpected one with a reference to its
log entry), so one bad document never fails the whole class on every delivery."""

from __future__ import annotations

import logging
import re
from typing import Any, cast

import pytest

from shared.export.task import ClassExport
from shared.oneroster.errors import PermanentError, TransientError
from tests.unit.export_mapping_builders import NOW, context

PATH = "districts/d1/classes/c1/coursework/a1"


def job() -> ClassExport:
    ports = cast(Any, None)  # the guard records in memory; nothing here touches the ports
    return ClassExport(ports, context(), None, NOW, 0, {"district": "d1", "class": "c1"})


def recorded(export: ClassExport) -> dict[str, Any]:
    (write,) = export.writes
    assert write.path == PATH
    return dict(write.data["export"])


def test_an_unexpected_error_is_recorded_as_failed_with_a_reference_that_is_in_the_log(
    caplog: pytest.LogCaptureFixture,
) -> None:
    export = job()
    with caplog.at_level(logging.ERROR), export.guarded(PATH):
        raise KeyError("a bug")
    state = recorded(export)
    assert state["state"] == "failed" and state["last_attempt_at"] == NOW
    found = re.search(r"reference ([0-9a-f]{12})", state["message"])
    assert found, state["message"]
    assert "Export again" in state["message"]
    (entry,) = [r for r in caplog.records if r.getMessage() == "export.internal_error"]
    assert cast(Any, entry).fields == {"reference": found.group(1), "doc": PATH}
    assert cast(Any, entry).labels == {"district": "d1", "class": "c1"}
    assert entry.exc_info is not None and entry.exc_info[0] is KeyError
    assert export.counts["failed"] == 1


def test_a_permanent_sis_refusal_is_recorded_as_failed_with_the_sis_reason() -> None:
    export = job()
    with export.guarded(PATH):
        raise PermanentError("the SIS rejected the data sent (422)")
    assert recorded(export)["message"] == "the SIS rejected the data sent (422)"


def test_a_transient_sis_failure_still_raises_so_cloud_tasks_retries() -> None:
    export = job()
    with pytest.raises(TransientError), export.guarded(PATH):
        raise TransientError("the SIS is unavailable (503)")
    assert export.writes == []


def test_work_that_succeeds_is_left_as_it_recorded_itself() -> None:
    export = job()
    with export.guarded(PATH):
        export.record(PATH, "sent", hash="abc")
    assert recorded(export)["state"] == "sent"
    assert export.counts == {"sent": 1, "unchanged": 0, "failed": 0, "held": 0}


def test_the_reference_differs_each_time() -> None:
    export = job()
    for _ in range(2):
        with export.guarded(PATH):
            raise ValueError("a bug")
    messages = [w.data["export"]["message"] for w in export.writes]
    assert messages[0] != messages[1]
