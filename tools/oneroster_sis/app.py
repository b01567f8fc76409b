"""The local OneRoster SIS as a WSGI application: 1.1 and 1.2 rostering reads, gradebook reads and
writes, OAuth 2.0 and OAuth 1.0a, paging with vendor quirks, fault injection.

Requests under ``/_control/`` go to the control API (``control.py``); every other request is a
OneRoster request (``oneroster.py``, routed by the table in ``routes.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.wrappers import Request, Response

from tools.oneroster_sis import control, oneroster
from tools.oneroster_sis.config import SisConfig
from tools.oneroster_sis.state import SisState

__all__ = ["OneRosterSis", "SisConfig"]


class OneRosterSis(SisState):
    """The server state and its WSGI entry point."""

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        response = self.dispatch(Request(environ))
        return response(environ, start_response)

    def dispatch(self, request: Request) -> Response:
        if request.path.startswith(control.PREFIX):
            return control.handle(self, request)
        return oneroster.handle(self, request)
