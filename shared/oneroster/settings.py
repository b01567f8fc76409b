"""A district's OneRoster connection settings (no secret: the secret lives in Secret Manager)."""

from __future__ import annotations

import re
from typing import Any, Literal
from urllib.parse import parse_qsl, urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from shared.oneroster.errors import ConfigurationError
from shared.oneroster.vendors import PRESETS, explain_base_url, preset, preset_defaults

PARAMETER_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_.-]{0,31}")
CREDENTIAL_WORDS = ("secret", "password", "passwd", "token", "key", "client", "auth", "signature")
AuthMode = Literal["oauth2-basic", "oauth2-body", "oauth1-hmac-sha256", "oauth1-hmac-sha1"]
OAUTH2_MODES = ("oauth2-basic", "oauth2-body")


class ConnectionSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    district_id: str = Field(min_length=1)
    vendor: str = "generic"
    version: Literal["1.1", "1.2"]
    rostering_base_url: str
    gradebook_base_url: str | None = None
    token_url: str | None = None
    auth_mode: AuthMode = "oauth2-basic"
    client_id: str = Field(min_length=1)
    scopes: tuple[str, ...] = ()
    page_size: int = Field(default=1000, ge=1, le=50_000)
    max_concurrency: int = Field(default=5, ge=1, le=100)
    support_domain: str | None = None  # set only while "Enable support with the SIS" is on
    local_dev: bool = False  # allows http and loopback/private addresses (never in production)
    connect_timeout: float = Field(default=5.0, gt=0, le=60)
    read_timeout: float = Field(default=60.0, gt=0, le=600)

    @field_validator("vendor")
    @classmethod
    def _known_vendor(cls, value: str) -> str:
        if value not in PRESETS:
            raise ValueError(f"unknown vendor; choose one of {sorted(PRESETS)}")
        return value

    @field_validator("rostering_base_url", "gradebook_base_url", "token_url")
    @classmethod
    def _absolute_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip()
        parts = urlsplit(value)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise ValueError("must be a full URL starting with https://")
        return value

    @field_validator("rostering_base_url", "gradebook_base_url")
    @classmethod
    def _no_query(cls, value: str | None) -> str | None:
        if value is not None and (urlsplit(value).query or urlsplit(value).fragment):
            raise ValueError("a base URL has no ?query or #fragment; remove it")
        return value.rstrip("/") if value else value

    @field_validator("token_url")
    @classmethod
    def _no_secret_in_token_url(cls, value: str | None, info: ValidationInfo) -> str | None:
        problem = token_url_query_problem(value, str(info.data.get("vendor", "generic")))
        if problem:
            raise ValueError(problem)
        return value

    @model_validator(mode="after")
    def _consistent(self) -> ConnectionSettings:
        if self.auth_mode in OAUTH2_MODES and not self.token_url:
            raise ValueError(
                "token_url is required for OAuth 2.0; enter the token URL the SIS "
                "documents (e.g. https://<server>/oauth/access_token)"
            )
        if self.auth_mode not in OAUTH2_MODES and self.version != "1.1":
            raise ValueError(
                "OAuth 1.0a signing exists only for OneRoster 1.1; use OAuth 2.0 "
                "client credentials for 1.2"
            )
        if not self.local_dev:
            for name in ("rostering_base_url", "gradebook_base_url", "token_url"):
                url = getattr(self, name)
                if url and urlsplit(url).scheme != "https":
                    raise ValueError(f"{name} must use https://")
        return self

    def url_problems(self) -> list[str]:
        """Explanations for base URLs that do not fit the vendor's shape (empty when they fit)."""
        vendor = preset(self.vendor)
        problems = [explain_base_url(vendor, self.version, "rostering", self.rostering_base_url)]
        if self.gradebook_base_url:
            problems.append(
                explain_base_url(vendor, self.version, "gradebook", self.gradebook_base_url)
            )
        return [p for p in problems if p]

    def base_url(self, service: str) -> str:
        if service == "gradebook" and self.version == "1.2":
            if not self.gradebook_base_url:
                raise ConfigurationError(
                    "gradebook_base_url is not set; OneRoster 1.2 keeps the "
                    "gradebook at its own URL (…/ims/oneroster/gradebook/v1p2)"
                )
            return self.gradebook_base_url
        return self.rostering_base_url


def token_query_names(vendor: str) -> frozenset[str]:
    """The query parameters a vendor's token URL is documented with (Infinite Campus: appName)."""
    shape = PRESETS[vendor].token_url_shape if vendor in PRESETS else None
    query = urlsplit(shape).query if shape and shape.startswith("https://") else ""
    return frozenset(name for name, _ in parse_qsl(query, keep_blank_values=True))


def token_url_query_problem(url: str | None, vendor: str) -> str | None:
    """Why a token URL's query may not be stored (it would keep a secret with the settings), or
    None. Only the parameters of the vendor's documented token URL are allowed; values are never
    quoted back."""
    parts = urlsplit(url or "")
    if parts.fragment:
        return "a token URL has no #fragment; remove it"
    allowed = token_query_names(vendor)
    names = [name for name, _ in parse_qsl(parts.query, keep_blank_values=True)] or (
        ["?"] if parts.query else []
    )
    refused = [name for name in dict.fromkeys(names) if name not in allowed]
    secret_like = [n for n in refused if any(w in n.lower() for w in CREDENTIAL_WORDS)]
    if secret_like:
        return (
            f"carries {_shown(secret_like)} in its query; a credential never goes in a URL "
            "(it would be stored with the settings): remove it and enter the secret code in "
            "its own field"
        )
    return _unexpected_query(refused, allowed, vendor) if refused else None


def _unexpected_query(refused: list[str], allowed: frozenset[str], vendor: str) -> str:
    label = PRESETS[vendor].label if vendor in PRESETS else vendor
    got = f"(got {_shown(refused)})"
    if allowed:
        shape = PRESETS[vendor].token_url_shape
        return (
            f"takes only {', '.join(sorted(allowed))} in its query {got}; remove the rest: {shape}"
        )
    fits = [p for p in PRESETS.values() if set(refused) <= token_query_names(p.key)]
    hint = f", or choose the vendor {fits[0].key} ({fits[0].token_url_shape})" if fits else ""
    return f"takes no query with vendor {label} {got}; remove the ?… part{hint}"


def _shown(names: list[str]) -> str:
    """Parameter names fit to quote back: short identifiers only (a name may itself be a token)."""
    return ", ".join(n if PARAMETER_NAME.fullmatch(n) else "a parameter" for n in names)


def settings_from_preset(vendor: Any, **fields: Any) -> ConnectionSettings:
    """Settings with the vendor's defaults (``preset_defaults``) filled in for the fields not
    given; given fields win. An unknown vendor is refused by name, with the known ones."""
    if not isinstance(vendor, str) or vendor not in PRESETS:
        raise ConfigurationError(f"vendor: unknown vendor; choose one of {sorted(PRESETS)}")
    return parse_settings({**preset_defaults(vendor), **fields, "vendor": vendor})


def parse_settings(data: dict[str, Any]) -> ConnectionSettings:
    """Validates settings from outside, with one message that names each field and its fix."""
    try:
        return ConnectionSettings.model_validate(data)
    except ValidationError as exc:
        messages = [describe(error) for error in exc.errors()]
        # The cross-field https rule only runs once every field is valid; report it anyway, so
        # one answer lists every problem.
        for problem in _plain_http(data):
            if not any(problem in message for message in messages):
                messages.insert(0, problem)
        raise ConfigurationError("; ".join(messages)) from None


def _plain_http(data: dict[str, Any]) -> list[str]:
    if data.get("local_dev") is True:
        return []
    return [
        f"{name} must use https://"
        for name in ("rostering_base_url", "gradebook_base_url", "token_url")
        if isinstance(data.get(name), str) and urlsplit(data[name].strip()).scheme == "http"
    ]


def describe(error: Any) -> str:
    field = ".".join(str(p) for p in error.get("loc", ())) or "settings"
    message = str(error.get("msg", "is invalid")).removeprefix("Value error, ")
    if error.get("type") == "extra_forbidden":
        message = "is not a connection setting; remove it"
    elif error.get("type") == "missing":
        message = "is required"
    return f"{field}: {message}"
