"""The admin API as the CLI calls it: one district, a bearer ID token, JSON in and out. An error
answer becomes ApiError (the RFC 9457 problem's title and detail, or the connect answer's
problems); a URL that does not answer becomes Unreachable. No token is ever part of a message."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import requests

TIMEOUT = 30.0


class CliFailure(Exception):
    """A failure the CLI reports in one message (exit 1), never with a traceback."""


class Unreachable(CliFailure):
    def __init__(self, url: str) -> None:
        super().__init__(f"cannot reach {url}: is the stack up? (make up)")


class ApiError(CliFailure):
    """An answer of 400 or more: its status and the problem it carried."""

    def __init__(self, status: int, body: Any, url: str) -> None:
        self.status, self.body = status, body if isinstance(body, dict) else {}
        super().__init__(self.describe(url))

    @property
    def problems(self) -> list[str]:
        found = self.body.get("problems")
        return [str(p) for p in found] if isinstance(found, list) else []

    def describe(self, url: str) -> str:
        title, detail = self.body.get("title"), self.body.get("detail")
        if self.problems:
            return "the connection failed:\n" + "\n".join(f"  - {p}" for p in self.problems)
        if not title:
            return f"unexpected answer {self.status} from {url}: is it the functions' base URL?"
        lines = [f"{title} ({self.status})"] + ([f"  {detail}"] if detail else [])
        if self.status == 401:
            lines.append("  sign in with --token, --token-command or --email (rostersync --help)")
        return "\n".join(lines)


@dataclass
class AdminApi:
    """``base`` is the functions' base URL (the admin API is its ``sync_admin`` function).
    ``refresh`` gives a new token (from --token-command or --email; ID tokens last an hour): a
    call answered 401 is sent once more with it, so `sync --watch` outlives its first token."""

    base: str
    district: str
    token: str | None
    session: requests.Session = field(default_factory=requests.Session)
    refresh: Callable[[], str] | None = None

    @property
    def root(self) -> str:
        return f"{self.base.rstrip('/')}/sync_admin/districts/{quote(self.district, safe='')}"

    def call(
        self,
        method: str,
        path: str,
        body: Mapping[str, Any] | None = None,
        query: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        params = {k: v for k, v in (query or {}).items() if v is not None}
        response = self._send(method, path, body, params)
        if response.status_code == 401 and self.refresh is not None:
            self.token = self.refresh()
            response = self._send(method, path, body, params)
        try:
            data = response.json()
        except ValueError:
            data = None
        if response.status_code >= 400 or not isinstance(data, dict):
            raise ApiError(response.status_code, data, self.base)
        return data

    def _send(
        self, method: str, path: str, body: Mapping[str, Any] | None, params: Mapping[str, Any]
    ) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        try:
            return self.session.request(
                method, self.root + path, json=body, params=params, headers=headers,
                timeout=TIMEOUT,
            )  # fmt: skip
        except (requests.ConnectionError, requests.Timeout):
            raise Unreachable(self.base) from None

    def pages(
        self, path: str, key: str, query: Mapping[str, Any] | None = None
    ) -> Iterator[dict[str, Any]]:
        """Every page of a cursor-paged list (200 per page), first page first."""
        cursor = None
        while True:
            page = self.call("GET", path, query={**(query or {}), "limit": 200, "cursor": cursor})
            yield page
            cursor = page.get("next_cursor")
            if not cursor or not page.get(key):
                return
