"""SSRF guard: SIS URLs must be https and resolve only to public addresses.

Checked when settings are saved and again on every connection (each redirect hop included), because
DNS can change between the two. Local development mode allows http and loopback/private addresses.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter

from shared.oneroster.errors import ConfigurationError

Resolver = Callable[[str, int], list[str]]
# RFC 1918, carrier-grade NAT (RFC 6598) and IPv6 unique-local; other non-global ranges
# (documentation, benchmarking, ...) are reported as "not globally routable".
PRIVATE_NETWORKS = tuple(
    ipaddress.ip_network(n)
    for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7")
)


def system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    return sorted({str(info[4][0]) for info in infos})


def address_problem(address: str) -> str | None:
    """Why an address is not a public one, or None when it is."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    checks = (
        ("loopback", ip.is_loopback),
        ("link-local (cloud metadata and similar)", ip.is_link_local),
        ("private", any(ip in network for network in PRIVATE_NETWORKS)),
        ("multicast", ip.is_multicast),
        ("reserved", ip.is_reserved),
        ("unspecified", ip.is_unspecified),
    )
    for label, hit in checks:
        if hit:
            return label
    return None if ip.is_global else "not globally routable"


def check_url(
    url: str, *, field: str, allow_local: bool, resolver: Resolver = system_resolver
) -> None:
    """Raises ConfigurationError naming the field and the fix when the URL is not safe to call."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    allowed = {"https", "http"} if allow_local else {"https"}
    if scheme not in allowed:
        raise ConfigurationError(
            f"{field} must start with https:// (got {scheme or 'no scheme'}://); use the "
            "https address of the SIS's OneRoster API"
        )
    if parts.username or parts.password:
        raise ConfigurationError(
            f"{field} must not contain a user name or password; enter the "
            "access key and secret code in their own fields"
        )
    host = parts.hostname
    if not host:
        raise ConfigurationError(
            f"{field} has no host name; enter the full URL, e.g. "
            "https://sis.example.org/ims/oneroster/v1p1"
        )
    if allow_local:
        return
    try:
        addresses = resolver(host, parts.port or 443)
    except (OSError, UnicodeError) as exc:
        raise ConfigurationError(
            f"{field}: the host name {host} does not resolve ({exc}); check it for typos"
        ) from None
    for address in addresses:
        problem = address_problem(address)
        if problem:
            raise ConfigurationError(
                f"{field}: {host} resolves to a {problem} address ({address}); Rostersync only "
                "connects to SISes on public addresses"
            )


def mask_url(url: str) -> str:
    """A URL fit for logs and messages: no user info, every query value masked."""
    parts = urlsplit(url)
    netloc = parts.hostname or ""
    if parts.port:
        netloc = f"{netloc}:{parts.port}"
    query = urlencode(
        [(key, "***") for key, _ in parse_qsl(parts.query, keep_blank_values=True)], safe="*"
    )
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


class GuardedAdapter(HTTPAdapter):
    """Checks every outgoing request's URL at connection time, redirect hops included."""

    def __init__(self, *, allow_local: bool, resolver: Resolver = system_resolver) -> None:
        super().__init__(pool_connections=4, pool_maxsize=16)
        self.allow_local = allow_local
        self.resolver = resolver

    def send(
        self, request: requests.PreparedRequest, *args: Any, **kwargs: Any
    ) -> requests.Response:
        check_url(
            request.url or "",
            field="request URL",
            allow_local=self.allow_local,
            resolver=self.resolver,
        )
        return super().send(request, *args, **kwargs)


def guarded_session(
    *,
    allow_local: bool,
    user_agent: str,
    resolver: Resolver = system_resolver,
    headers: Mapping[str, str] | None = None,
) -> requests.Session:
    session = requests.Session()
    adapter = GuardedAdapter(allow_local=allow_local, resolver=resolver)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.max_redirects = 3
    session.trust_env = False  # no proxy or netrc credentials from the environment
    session.headers.update(
        {"User-Agent": user_agent, "Accept": "application/json", **dict(headers or {})}
    )
    return session
