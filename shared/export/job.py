"""One delivery of a class's export: what it sends with, what it records, and the counts.

Only what changed is written: a document whose export state would read as it already does (a
mark the SIS holds with the same hash, a held mark held for the same reason, an assignment
whose lineItem is unchanged) is counted but not written, so an unchanged re-export writes no
assignment or mark document at all. ``shared/export/status.py`` shows such documents as checked
by the class's last export (``export.started_at``). Records are committed in batches.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from shared.export.mapping import ExportContext
from shared.export.ports import ExportPorts
from shared.export.sending import Sender
from shared.oneroster.errors import OneRosterError, TransientError
from shared.oneroster.gradebook import ResultWrite
from shared.store.ports import Write
from shared.tasks import final_on_last_delivery

log = logging.getLogger(__name__)

FLUSH_AT = 400  # pending records committed together (a Firestore batch takes 500 writes)
ACCEPTED = ("sent", "unchanged")


def already_sent(doc: Mapping[str, Any], content: str) -> bool:
    """The SIS already holds exactly this content (sent or confirmed unchanged before)."""
    previous = doc.get("export") or {}
    return previous.get("hash") == content and previous.get("state") in ACCEPTED


def reads_the_same(doc: Mapping[str, Any], state: str, extra: Mapping[str, Any]) -> bool:
    """The document's export state already says this (``unchanged`` reads as ``sent``)."""
    previous = doc.get("export") or {}
    stored = previous.get("state")
    same = stored == state or (state == "unchanged" and stored in ACCEPTED)
    return same and all(previous.get(k) == v for k, v in extra.items())


@dataclass(frozen=True)
class Due:
    """A result to send: the mark document it is recorded on and the hash of its body."""

    path: str
    result: ResultWrite
    digest: str


@dataclass
class ClassExport:
    """One delivery's state: what it sends with, what it has recorded, and the counts."""

    ports: ExportPorts
    ctx: ExportContext
    client: Any
    now: dt.datetime
    retry_count: int
    labels: dict[str, str] = field(default_factory=dict)
    writes: list[Write] = field(default_factory=list)
    counts: dict[str, int] = field(
        default_factory=lambda: {"sent": 0, "unchanged": 0, "failed": 0, "held": 0}
    )
    sender: Sender | None = None  # None: one request at a time

    def record(
        self, path: str, state: str, *, stored: Mapping[str, Any] | None = None, **extra: Any
    ) -> None:
        """Counts the state; writes it unless ``stored`` (the document) already reads the same."""
        self.counts[state] += 1
        if stored is not None and reads_the_same(stored, state, extra):
            return
        self.writes.append(
            Write("merge", path, {"export": {"state": state, "last_attempt_at": self.now, **extra}})
        )

    def flush(self) -> None:
        if self.writes:
            self.ports.store.commit(self.writes)
        self.writes = []

    def flush_if_full(self) -> None:
        if len(self.writes) >= FLUSH_AT:
            self.flush()

    @contextlib.contextmanager
    def guarded(self, path: str) -> Iterator[None]:
        """Exports one assignment or mark. A transient SIS failure still raises (Cloud Tasks
        retries); anything else is recorded as ``failed`` on this document and the others go on:
        an error that is no SIS's would only fail the same way on every retry."""
        try:
            yield
        except OneRosterError as exc:
            if exc.transient:
                raise
            self.record(path, "failed", message=exc.message)
        except Exception:
            self.record(path, "failed", message=self.internal_failure(path))

    def internal_failure(self, path: str, error: Exception | None = None) -> str:
        """Logs the error (the one in hand, or ``error``) under a new reference; the teacher's
        message quotes it."""
        reference = uuid.uuid4().hex[:12]
        log.error(
            "export.internal_error",
            exc_info=error or True,
            extra={"labels": self.labels, "fields": {"reference": reference, "doc": path}},
        )
        return (
            f"An unexpected error stopped the export of this item (reference {reference}). "
            "Export again; if it happens again, give the reference to support."
        )

    def send(self, put: Callable[[], object]) -> str | None:
        """None when the SIS accepted the write, else the reason to record. A transient failure
        while Cloud Tasks still retries keeps what was accepted and raises."""
        try:
            with final_on_last_delivery(self.retry_count):
                put()
        except OneRosterError as exc:
            if exc.transient:
                self.flush()  # the retry finds these unchanged and skips them
                raise
            return exc.message
        return None

    def send_results(self, due: Sequence[Due]) -> None:
        """PUTs the results side by side and records each outcome; then, if one failed for a
        while (Cloud Tasks still retries), commits what was accepted and raises it."""
        calls = [partial(self.client.put_result, d.result, now=self.now) for d in due]
        outcomes = self.sender.run_all(calls) if self.sender else [_run(c) for c in calls]
        retry: OneRosterError | None = None
        for item, error in zip(due, outcomes, strict=True):
            error = self.final(error)
            if isinstance(error, OneRosterError) and error.transient:
                retry = retry or error
            else:
                self.settle(item, error)
        if retry is not None:
            self.flush()  # the retry finds these unchanged and skips them
            raise retry

    def settle(self, item: Due, error: Exception | None) -> None:
        if error is None:
            sis_id = item.result.sourced_id
            self.record(item.path, "sent", hash=item.digest, sis_result_id=sis_id, message=None)
        elif isinstance(error, OneRosterError):
            self.record(item.path, "failed", message=error.message)
        else:
            self.record(item.path, "failed", message=self.internal_failure(item.path, error))

    def final(self, error: Exception | None) -> Exception | None:
        """A transient failure on the task's last delivery becomes permanent (GaveUp)."""
        if not isinstance(error, TransientError):
            return error
        try:
            with final_on_last_delivery(self.retry_count):
                raise error
        except OneRosterError as final:
            return final
        return error

    def close(self) -> None:
        if self.sender is not None:
            self.sender.close()


def _run(call: Callable[[], object]) -> Exception | None:
    try:
        call()
    except Exception as exc:
        return exc
    return None
