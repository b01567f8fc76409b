"""Typed domain errors. Services raise them with a message that names the cause and the fix;
the HTTP edge (shared/web/edge.py) maps each type to a status in one table. No error here knows
about HTTP."""

from __future__ import annotations


class RostersyncError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(RostersyncError):
    """The request or task is malformed; the message names the field and the fix."""


class TooLarge(InvalidInput):
    """What is offered is over a limit (a package's size); the message names both numbers."""


class Unauthenticated(RostersyncError):
    """No valid sign-in."""


class Forbidden(RostersyncError):
    """Signed in, but not allowed to do this."""


class NotFound(RostersyncError):
    """What was asked for does not exist."""


class Conflict(RostersyncError):
    """It exists, but its state does not allow this now."""


class Busy(RostersyncError):
    """Others changed the same record at the same moment, each time it was tried; nothing was
    written, and trying again shortly will do. Not a Conflict: a task that meets it is retried."""


class RunFailure(RostersyncError):
    """Ends a sync run (or one school of it); recorded on the run with where it happened."""

    def __init__(self, message: str, where: str) -> None:
        super().__init__(message)
        self.where = where
