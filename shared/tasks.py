"""Cloud Tasks: the typed payloads every task carries, their deterministic names, the queue port,
and the one retry rule.

The retry rule: a transient failure (the SIS timed out, throttled or answered 5xx after the
client's own retries) is raised while Cloud Tasks will still deliver the task again, so the queue's
backoff spaces the tries; on the last delivery it becomes permanent and is recorded where the
admin or teacher sees it. Permanent failures are always recorded and answered 2xx.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar, Protocol

from shared.errors import InvalidInput
from shared.ids import digest
from shared.oneroster.errors import PermanentError, TransientError

MAX_TASK_RETRIES = (
    12  # below the queues' max_attempts (infra/queues.tf): the last try is always seen
)


class TaskQueue(Protocol):
    def enqueue(
        self,
        queue: str,
        payload: dict[str, object],
        name: str | None = None,
        url: str | None = None,
    ) -> bool:
        """False when a task of that name already existed (a duplicate enqueue is harmless)."""
        ...


class GaveUp(PermanentError):
    """A transient failure on the task's last delivery: now recorded as permanent."""


@contextlib.contextmanager
def final_on_last_delivery(retry_count: int) -> Iterator[None]:
    """Lets transient errors through while Cloud Tasks still retries; turns them into GaveUp on
    the last delivery."""
    try:
        yield
    except TransientError as exc:
        if retry_count < MAX_TASK_RETRIES:
            raise
        raise GaveUp(f"{exc.message} (gave up after {retry_count + 1} tries)") from None


def retry_count_of(headers: Mapping[str, str]) -> int:
    """Cloud Tasks' count of earlier deliveries. ``headers`` must be case-insensitive."""
    raw = headers.get("X-CloudTasks-TaskRetryCount", "0") or "0"
    try:
        return max(0, int(raw))
    except ValueError:
        raise InvalidInput(f"X-CloudTasks-TaskRetryCount is not a number: {raw!r}") from None


@dataclass(frozen=True)
class StartTask:
    step: ClassVar[str] = "start"
    district_id: str
    run_id: str

    def name(self) -> str:
        return f"start-{digest(self.district_id, self.run_id)}"


@dataclass(frozen=True)
class StageTask:
    """A CSV run's first step: split the package into staged pages (shared/csvsource/stage.py)."""

    step: ClassVar[str] = "stage"
    district_id: str
    run_id: str

    def name(self) -> str:
        return f"stage-{digest(self.district_id, self.run_id)}"


@dataclass(frozen=True)
class PageTask:
    """One OneRoster page of one item (school x resource) of a lane."""

    step: ClassVar[str] = "page"
    district_id: str
    run_id: str
    lane: str
    item_index: int
    page_index: int
    request: dict[str, Any] = field(default_factory=dict)
    # the lane's item (``school~~resource``), so the step reads the run with its other
    # documents; empty in tasks queued before it was named: the step reads it from the run
    item: str = ""

    def name(self) -> str:
        parts = (self.lane, str(self.item_index), str(self.page_index))
        return f"page-{digest(self.district_id, self.run_id, *parts)}"


@dataclass(frozen=True)
class SchoolTask:
    step: ClassVar[str] = "school"
    district_id: str
    run_id: str
    school_id: str

    def name(self) -> str:
        return f"school-{digest(self.district_id, self.run_id, self.school_id)}"


@dataclass(frozen=True)
class ExportTask:
    step: ClassVar[str] = "export"
    district_id: str
    class_id: str
    requested: str = ""  # the id of the teacher's request: one task per request

    def name(self) -> str:
        return f"export-{digest(self.district_id, self.class_id, self.requested)}"


SyncTask = StageTask | StartTask | PageTask | SchoolTask
_SYNC_STEPS: dict[str, type[SyncTask]] = {
    t.step: t for t in (StageTask, StartTask, PageTask, SchoolTask)
}


def payload(task: SyncTask | ExportTask) -> dict[str, object]:
    return {"step": task.step, **asdict(task)}


def _text(body: Mapping[str, Any], key: str) -> str:
    value = body.get(key)
    if not isinstance(value, str) or not value:
        raise InvalidInput(f"the task needs {key} (a non-empty string)")
    return value


# an item key (shared/store/layout.py item_key): a Firestore-safe school id, "~~", a resource
_ITEM = re.compile(r"(?:[A-Za-z0-9\-]|~[0-9A-F]{2})+~~[a-z]+")


def _item(body: Mapping[str, Any]) -> str:
    value = body.get("item", "")
    if value == "":
        return ""
    if not isinstance(value, str) or len(value) > 2000 or not _ITEM.fullmatch(value):
        raise InvalidInput(
            "the page task's item must be a school's item key (school~~resource) or absent"
        )
    return value


def _number(body: Mapping[str, Any], key: str) -> int:
    value = body.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise InvalidInput(f"the task needs {key} (a whole number, 0 or more)")
    return value


def parse_sync_task(body: Any) -> SyncTask:
    if not isinstance(body, Mapping):
        raise InvalidInput("the task body must be a JSON object")
    kind = _SYNC_STEPS.get(str(body.get("step")))
    if kind is None:
        raise InvalidInput(
            f"unknown step {body.get('step')!r}; expected stage, start, page or school"
        )
    ids = (_text(body, "district_id"), _text(body, "run_id"))
    if kind is StageTask:
        return StageTask(*ids)
    if kind is StartTask:
        return StartTask(*ids)
    if kind is SchoolTask:
        return SchoolTask(*ids, _text(body, "school_id"))
    request = body.get("request")
    if not isinstance(request, Mapping):
        raise InvalidInput("the page task needs request (an object)")
    return PageTask(
        *ids,
        _text(body, "lane"),
        _number(body, "item_index"),
        _number(body, "page_index"),
        dict(request),
        _item(body),
    )


def parse_export_task(body: Any) -> ExportTask:
    if not isinstance(body, Mapping):
        raise InvalidInput("the task body must be a JSON object")
    requested = body.get("requested")
    return ExportTask(
        _text(body, "district_id"),
        _text(body, "class_id"),
        requested if isinstance(requested, str) else "",
    )
