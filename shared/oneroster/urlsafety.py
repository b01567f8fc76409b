"""SSRF guard: SIS URLs must be https and every address they resolve to must be public.

`check_url` checks a URL whole (shape and addresses). On the wire the check lives in the connection
itself: the guarded session's connections look the host up once, check every address it answers
and connect only to those addresses, so a DNS answer that changes after a check (DNS rebinding)
never reaches an inside address; redirect hops open their connections the same way. IPv6 forms
that carry an IPv4 address (IPv4-mapped, 6to4, Teredo, NAT64) are judged by the address they carry
too. Local development mode allows http and loopback/private addresses.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError
from urllib3.util.connection import create_connection

from shared.oneroster.errors import ConfigurationError

Resolver = Callable[[str, int], list[str]]
IP = ipaddress.IPv4Address | ipaddress.IPv6Address
# RFC 1918, carrier-grade NAT (RFC 6598) and IPv6 unique-local; other non-global ranges
# (documentation, benchmarking, ...) are reported as "not globally routable".
PRIVATE_NETWORKS = tuple(
    ipaddress.ip_network(n)
    for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7")
)
NAT64 = ipaddress.ip_network("64:ff9b::/96")  # RFC 6052 well-known prefix: IPv4 in the last 32 bits
NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")  # RFC 8215: IPv4 in bits 48-63 and 72-87


def system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    return sorted({str(info[4][0]) for info in infos})


def embedded_ipv4(ip: IP) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, 6to4, Teredo client, NAT64), if any."""
    if not isinstance(ip, ipaddress.IPv6Address):
        return None
    if ip.ipv4_mapped or ip.sixtofour:
        return ip.ipv4_mapped or ip.sixtofour
    if ip.teredo:
        return ip.teredo[1]
    if ip in NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip in NAT64_LOCAL:
        packed = ip.packed
        return ipaddress.IPv4Address(packed[6:8] + packed[9:11])
    return None


def _problem(ip: IP) -> str | None:
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


def address_problem(address: str) -> str | None:
    """Why an address is not a public one, or None when it is: e.g. "loopback address
    (127.0.0.1)", or "private address (2002:a00:1:: carries 10.0.0.1)" for an IPv6 address that
    carries a private IPv4 address."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    inner = embedded_ipv4(ip)
    inner_problem = _problem(inner) if inner is not None else None
    if inner_problem:
        return f"{inner_problem} address ({address} carries {inner})"
    problem = _problem(ip)
    return f"{problem} address ({address})" if problem else None


def check_url_shape(url: str, *, field: str, allow_local: bool) -> str:
    """Checks scheme, user info and host (no lookup); returns the host name."""
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
    if not parts.hostname:
        raise ConfigurationError(
            f"{field} has no host name; enter the full URL, e.g. "
            "https://sis.example.org/ims/oneroster/v1p1"
        )
    return parts.hostname


def checked_addresses(
    host: str, port: int, *, field: str, resolver: Resolver = system_resolver
) -> list[str]:
    """Looks `host` up once; returns its addresses when every one is public, else raises
    ConfigurationError. A failed lookup raises the resolver's own error (OSError)."""
    addresses = resolver(host, port)
    if not addresses:
        raise OSError(f"no address for {host}")
    for address in addresses:
        problem = address_problem(address)
        if problem:
            raise ConfigurationError(
                f"{field}: {host} resolves to a {problem}; Rostersync only connects to SISes "
                "on public addresses"
            )
    return addresses


def check_url(
    url: str, *, field: str, allow_local: bool, resolver: Resolver = system_resolver
) -> None:
    """Raises ConfigurationError naming the field and the fix when the URL is not safe to call."""
    host = check_url_shape(url, field=field, allow_local=allow_local)
    if allow_local:
        return
    try:
        checked_addresses(host, urlsplit(url).port or 443, field=field, resolver=resolver)
    except (OSError, UnicodeError) as exc:
        raise ConfigurationError(
            f"{field}: the host name {host} does not resolve ({exc}); check it for typos"
        ) from None


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


@dataclass(frozen=True)
class AddressGuard:
    allow_local: bool
    resolver: Resolver = system_resolver


class PinnedHTTPConnection(HTTPConnection):
    """Connects only to an address its guard checked for the host, looked up here, once: the
    address checked is the address connected to."""

    guard: ClassVar[AddressGuard]

    def _new_conn(self) -> socket.socket:
        if self.guard.allow_local:
            return super()._new_conn()
        try:
            addresses = checked_addresses(
                self.host, self.port, field="request URL", resolver=self.guard.resolver
            )
        except (OSError, UnicodeError) as exc:
            raise NameResolutionError(self.host, self, socket.gaierror(str(exc))) from exc
        return self._connect_to(addresses)

    def _connect_to(self, addresses: list[str]) -> socket.socket:
        error: OSError = OSError(f"no address for {self.host}")
        for address in addresses:
            try:
                return create_connection(
                    (address, self.port),  # an address literal: no second lookup
                    self.timeout,
                    source_address=self.source_address,
                    socket_options=self.socket_options,
                )
            except OSError as exc:
                error = exc
        if isinstance(error, TimeoutError):
            raise ConnectTimeoutError(self, f"connecting to {self.host} timed out") from error
        raise NewConnectionError(self, f"could not connect to {self.host}: {error}") from error


class PinnedHTTPSConnection(PinnedHTTPConnection, HTTPSConnection):
    """TLS still verifies the certificate against the host name, not the address."""


def pinned_pools(guard: AddressGuard) -> dict[str, type[HTTPConnectionPool]]:
    """Connection pool classes whose connections answer to `guard`."""
    http = type("GuardedHTTPConnection", (PinnedHTTPConnection,), {"guard": guard})
    https = type("GuardedHTTPSConnection", (PinnedHTTPSConnection,), {"guard": guard})
    return {
        "http": type("GuardedHTTPPool", (HTTPConnectionPool,), {"ConnectionCls": http}),
        "https": type("GuardedHTTPSPool", (HTTPSConnectionPool,), {"ConnectionCls": https}),
    }


class GuardedAdapter(HTTPAdapter):
    """Checks every outgoing request's URL (redirect hops included) and opens every connection
    through the guard, so each one goes to an address that was checked."""

    def __init__(self, *, allow_local: bool, resolver: Resolver = system_resolver) -> None:
        self.guard = AddressGuard(allow_local, resolver)  # before super(): it builds the pools
        super().__init__(pool_connections=4, pool_maxsize=16)

    @property
    def allow_local(self) -> bool:
        return self.guard.allow_local

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = pinned_pools(self.guard)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        raise ConfigurationError(
            "the SIS connection does not go through a proxy; remove the proxy setting"
        )

    def send(
        self, request: requests.PreparedRequest, *args: Any, **kwargs: Any
    ) -> requests.Response:
        check_url_shape(request.url or "", field="request URL", allow_local=self.allow_local)
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
