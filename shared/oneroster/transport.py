"""HTTP to one district's SIS: guarded session, timeouts, auth, retries, error classification."""

from __future__ import annotations

import email.utils
import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import requests
import tenacity
from pydantic import SecretStr

from shared.oneroster.auth import TOKENS, RefreshableAuth, TokenCache, make_auth, token_request_body
from shared.oneroster.errors import (
    CONNECTION,
    TIMEOUT,
    UNPARSEABLE,
    Action,
    ConfigurationError,
    CredentialsError,
    OneRosterError,
    Outcome,
    PermanentError,
    TransientError,
    outcome_for_status,
    parse_status_info,
)
from shared.oneroster.settings import ConnectionSettings
from shared.oneroster.urlsafety import Resolver, guarded_session, mask_url, system_resolver
from shared.oneroster.vendors import preset, url_shape
from shared.settings import VERSION

log = logging.getLogger(__name__)
SIS_TEXT_LIMIT = 300  # an SIS's own error description is quoted, but never at length


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 6
    max_total_seconds: float = 90.0
    base_delay: float = 0.5
    max_delay: float = 20.0
    max_retry_after: float = 60.0


@dataclass(frozen=True)
class HttpResult:
    status: int
    body: Any
    headers: Mapping[str, str]
    url: str
    links: Mapping[str, Mapping[str, str]]


def user_agent(settings: ConnectionSettings) -> str:
    agent = f"Rostersync/{VERSION} (OneRoster client; python-requests)"
    if settings.support_domain:
        agent += f" district={settings.support_domain}"
    return agent


class OneRosterTransport:
    """One per district connection per instance; reuses its pooled session."""

    def __init__(
        self,
        settings: ConnectionSettings,
        secret: SecretStr,
        *,
        resolver: Resolver = system_resolver,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        token_cache: TokenCache = TOKENS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        self.session = guarded_session(
            allow_local=settings.local_dev, user_agent=user_agent(settings), resolver=resolver
        )
        self.auth: RefreshableAuth = make_auth(
            settings, secret, self._fetch_token, cache=token_cache, clock=clock
        )
        self.requests_sent = 0

    def __repr__(self) -> str:
        return f"OneRosterTransport(district={self.settings.district_id!r})"

    @property
    def timeout(self) -> tuple[float, float]:
        return (self.settings.connect_timeout, self.settings.read_timeout)

    def get(self, url: str, params: Mapping[str, str] | None = None) -> HttpResult:
        return self._with_retries("GET", url, params=params)

    def put(self, url: str, body: Mapping[str, Any]) -> HttpResult:
        return self._with_retries("PUT", url, json_body=body)

    def delete(self, url: str) -> HttpResult:
        return self._with_retries("DELETE", url)

    def post_once(self, url: str, body: Mapping[str, Any]) -> HttpResult:
        """Server-allocated POSTs are never retried automatically: a retry could duplicate."""
        return self._once("POST", url, None, body)

    def _with_retries(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        json_body: Mapping[str, Any] | None = None,
    ) -> HttpResult:
        policy = self.retry
        retrying = tenacity.Retrying(
            stop=(
                tenacity.stop_after_attempt(policy.max_attempts)
                | tenacity.stop_after_delay(policy.max_total_seconds)
            ),
            wait=self._wait,
            retry=tenacity.retry_if_exception_type(TransientError),
            sleep=self._sleep,
            reraise=True,
            before_sleep=self._log_retry,
        )
        try:
            result: HttpResult = retrying(self._once, method, url, params, json_body)
        except TransientError as exc:
            if exc.status is None and exc.message.startswith(UNPARSEABLE.cause):
                raise PermanentError(exc.message, url=exc.url) from None
            raise
        return result

    def _wait(self, state: tenacity.RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, TransientError) and error.retry_after is not None:
            return min(error.retry_after, self.retry.max_retry_after)
        jitter = tenacity.wait_random_exponential(
            multiplier=self.retry.base_delay, max=self.retry.max_delay
        )
        return float(jitter(state))

    def _log_retry(self, state: tenacity.RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        log.warning(
            "oneroster.retry",
            extra={
                "labels": {"district": self.settings.district_id},
                "fields": {
                    "attempt": state.attempt_number,
                    "cause": getattr(error, "message", str(error)),
                    "url": getattr(error, "url", ""),
                    "wait_s": round(state.next_action.sleep if state.next_action else 0.0, 2),
                },
            },
        )

    def _once(
        self,
        method: str,
        url: str,
        params: Mapping[str, str] | None,
        json_body: Mapping[str, Any] | None,
    ) -> HttpResult:
        request = self.session.prepare_request(
            requests.Request(method, url, params=dict(params or {}), json=json_body, auth=self.auth)
        )
        response = self._send(request)
        if response.status_code == 401:
            self.auth.renew(request)
            response = self._send(request)
            if response.status_code == 401:
                raise self._error(response, CredentialsError)
        return self._result(response)

    def _send(self, request: requests.PreparedRequest) -> requests.Response:
        masked = mask_url(request.url or "")
        started = time.monotonic()
        self.requests_sent += 1
        try:
            response = self.session.send(request, timeout=self.timeout, allow_redirects=True)
        except requests.Timeout:
            raise _transient(TIMEOUT, masked) from None
        except requests.TooManyRedirects:
            raise PermanentError(
                f"the SIS redirected too often at {masked}; check the base URL", url=masked
            ) from None
        except requests.ConnectionError:
            raise _transient(CONNECTION, masked) from None
        log.debug(
            "oneroster.request",
            extra={
                "labels": {"district": self.settings.district_id},
                "fields": {
                    "method": request.method,
                    "url": masked,
                    "status": response.status_code,
                    "ms": round((time.monotonic() - started) * 1000, 1),
                },
            },
        )
        return response

    def _result(self, response: requests.Response) -> HttpResult:
        masked = mask_url(response.url)
        outcome = outcome_for_status(response.status_code)
        if response.status_code >= 400:
            if outcome.action is Action.RETRY:
                raise _transient(
                    outcome,
                    masked,
                    response.status_code,
                    _retry_after(response.headers.get("Retry-After")),
                )
            raise self._error(response, PermanentError)
        body: Any = None
        if response.status_code != 204 and response.content:
            if "html" in response.headers.get("Content-Type", ""):
                raise PermanentError(
                    f"the SIS answered with a web page, not OneRoster JSON, at "
                    f"{masked}; {self._shape_hint()}",
                    url=masked,
                )
            try:
                body = json.loads(response.content)
            except ValueError:
                raise _transient(UNPARSEABLE, masked) from None
        return HttpResult(
            response.status_code, body, response.headers, response.url, response.links
        )

    def _error(self, response: requests.Response, kind: type[OneRosterError]) -> OneRosterError:
        masked = mask_url(response.url)
        outcome = outcome_for_status(response.status_code)
        info = parse_status_info(response.content)
        detail = ""
        if info and info.description:
            detail = f" The SIS said: {info.description[:SIS_TEXT_LIMIT]!r}."
        fix = outcome.fix
        if response.status_code == 404:
            fix = f"{fix}: {self._shape_hint()}"
        return kind(
            f"{outcome.cause} at {masked}; {fix}.{detail}",
            status=response.status_code,
            url=masked,
            code_minor=info.code_minor if info else None,
        )

    def _shape_hint(self) -> str:
        vendor = preset(self.settings.vendor)
        shape = url_shape(vendor, self.settings.version, "rostering")
        return f"{vendor.label} OneRoster {self.settings.version} base URLs look like {shape}"

    def _fetch_token(self, settings: ConnectionSettings, secret: SecretStr) -> requests.Response:
        if not settings.token_url:
            raise ConfigurationError("token_url is required for OAuth 2.0")
        basic = None
        if settings.auth_mode == "oauth2-basic":
            basic = (settings.client_id, secret.get_secret_value())
        data = token_request_body(settings, secret)
        retrying = tenacity.Retrying(
            stop=(
                tenacity.stop_after_attempt(self.retry.max_attempts)
                | tenacity.stop_after_delay(self.retry.max_total_seconds)
            ),
            wait=self._wait,
            retry=tenacity.retry_if_exception_type(TransientError),
            sleep=self._sleep,
            reraise=True,
            before_sleep=self._log_retry,
        )
        response: requests.Response = retrying(self._post_token, settings.token_url, data, basic)
        return response

    def _post_token(self, url: str, data: str, basic: tuple[str, str] | None) -> requests.Response:
        request = self.session.prepare_request(
            requests.Request(
                "POST",
                url,
                data=data,
                auth=basic,
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            )
        )
        response = self._send(request)
        outcome = outcome_for_status(response.status_code)
        if response.status_code >= 400 and outcome.action is Action.RETRY:
            raise _transient(
                outcome,
                mask_url(url),
                response.status_code,
                _retry_after(response.headers.get("Retry-After")),
            )
        if response.status_code == 404:
            raise ConfigurationError(
                f"the token URL {mask_url(url)} does not exist (404); check token_url"
            )
        return response


def _transient(
    outcome: Outcome, url: str, status: int | None = None, retry_after: float | None = None
) -> TransientError:
    return TransientError(
        f"{outcome.cause} at {url}; {outcome.fix}", status=status, url=url, retry_after=retry_after
    )


def _retry_after(value: str | None) -> float | None:
    """Retry-After as seconds or an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
