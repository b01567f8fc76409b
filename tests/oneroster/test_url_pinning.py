"""Issue 16 row 8: the connection to an SIS goes only to an address that was checked, whatever DNS
answers from one lookup to the next (DNS rebinding); IPv6 forms that carry a private IPv4 address
are refused like the address they carry.

There is no DNS server here: `socket.getaddrinfo` is replaced for one made-up host name, and every
socket connect to an address off this machine is refused by the test before a packet leaves, so
a regression can only ever reach the test's own listener on 127.0.0.1."""

from __future__ import annotations

import ipaddress
import itertools
import re
import socket
from collections.abc import Iterator

import pytest
from pydantic import SecretStr

from shared.oneroster.auth import TokenCache
from shared.oneroster.client import OneRosterClient
from shared.oneroster.errors import ConfigurationError, OneRosterError
from shared.oneroster.settings import ConnectionSettings
from shared.oneroster.transport import RetryPolicy
from shared.oneroster.urlsafety import check_url

REBINDING_HOST = "sis.rebind.example"
PUBLIC_ADDRESS = "8.8.8.8"  # answered by the fake DNS only; the test refuses to connect there
FEW_RETRIES = RetryPolicy(max_attempts=3, max_total_seconds=5, base_delay=0.01, max_delay=0.02)


class ConnectLog:
    """Every address a socket tried to connect to during the test."""

    def __init__(self) -> None:
        self.addresses: list[str] = []

    @property
    def loopback(self) -> list[str]:
        return [a for a in self.addresses if ipaddress.ip_address(a).is_loopback]


@pytest.fixture
def connects(monkeypatch: pytest.MonkeyPatch) -> ConnectLog:
    log, real_connect = ConnectLog(), socket.socket.connect

    def connect(sock: socket.socket, address: tuple) -> None:
        log.addresses.append(str(address[0]))
        if not ipaddress.ip_address(address[0]).is_loopback:
            raise ConnectionRefusedError("the test lets no connection leave this machine")
        real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    return log


def rebinding_dns(monkeypatch: pytest.MonkeyPatch, answers: Iterator[str]) -> list[str]:
    """REBINDING_HOST answers the next address of `answers` on each lookup; other names resolve
    as usual. Returns the answers given, in order."""
    real_getaddrinfo, given = socket.getaddrinfo, []

    def getaddrinfo(host, port, *args, **kwargs):  # type: ignore[no-untyped-def]
        if host != REBINDING_HOST:
            return real_getaddrinfo(host, port, *args, **kwargs)
        address = next(answers)
        given.append(address)
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        return [(family, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, port or 443))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return given


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A TCP port on 127.0.0.1 standing for a service inside the network (it never answers)."""
    server = socket.create_server(("127.0.0.1", 0))
    server.setblocking(False)
    yield server
    server.close()


def was_reached(server: socket.socket) -> bool:
    try:
        accepted, _ = server.accept()
    except BlockingIOError:
        return False
    accepted.close()
    return True


def production_client(port: int) -> OneRosterClient:
    origin = f"https://{REBINDING_HOST}:{port}"
    settings = ConnectionSettings(
        district_id="d-rebind",
        version="1.2",
        rostering_base_url=f"{origin}/ims/oneroster/rostering/v1p2",
        token_url=f"{origin}/oauth/token",
        client_id="client",
        local_dev=False,
        connect_timeout=0.5,
        read_timeout=0.5,
    )
    return OneRosterClient(
        settings, SecretStr("s3cret"), retry=FEW_RETRIES, token_cache=TokenCache()
    )


def test_a_host_that_rebinds_to_loopback_after_the_check_is_never_connected_to(
    monkeypatch: pytest.MonkeyPatch, connects: ConnectLog, listener: socket.socket
) -> None:
    answers = itertools.chain([PUBLIC_ADDRESS], itertools.repeat("127.0.0.1"))
    given = rebinding_dns(monkeypatch, answers)
    client = production_client(listener.getsockname()[1])
    with pytest.raises(ConfigurationError, match="loopback") as caught:
        client.fetch_all("orgs")
    assert "127.0.0.1" in given
    assert connects.loopback == []
    assert not was_reached(listener)
    assert caught.value.message.startswith("request URL")


def test_every_connection_goes_to_an_address_the_check_approved(
    monkeypatch: pytest.MonkeyPatch, connects: ConnectLog, listener: socket.socket
) -> None:
    answers = itertools.cycle([PUBLIC_ADDRESS, "127.0.0.1"])
    rebinding_dns(monkeypatch, answers)
    client = production_client(listener.getsockname()[1])
    with pytest.raises(OneRosterError):
        client.fetch_all("orgs")
    assert connects.addresses and set(connects.addresses) == {PUBLIC_ADDRESS}
    assert not was_reached(listener)


def test_local_development_mode_still_connects_to_loopback(make_sis, client_for) -> None:
    running = make_sis(students=10)
    client = client_for(running, "1.2")  # local_dev=True, http://127.0.0.1
    assert client.fetch_all("orgs").records


def one_address(address: str):  # type: ignore[no-untyped-def]
    return lambda host, port: [address]


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("2002:a00:1::1", "private address (2002:a00:1::1 carries 10.0.0.1)"),
        ("2002:7f00:1::1", "loopback address (2002:7f00:1::1 carries 127.0.0.1)"),
        ("2002:a9fe:a9fe::1", "link-local"),
        ("64:ff9b::a00:1", "private address (64:ff9b::a00:1 carries 10.0.0.1)"),
        ("64:ff9b::7f00:1", "loopback address (64:ff9b::7f00:1 carries 127.0.0.1)"),
        ("::ffff:c0a8:105", "private address (::ffff:c0a8:105 carries 192.168.1.5)"),
        ("::ffff:127.0.0.1", "loopback"),
        ("2001:0:4136:e378:8000:63bf:f5ff:fffe", "carries 10.0.0.1"),
    ],
)
def test_ipv6_forms_that_carry_a_private_ipv4_address_are_refused(
    address: str, reason: str
) -> None:
    with pytest.raises(ConfigurationError, match=re.escape(reason)):
        check_url(
            "https://sis.example.org/ims/oneroster/v1p1",
            field="rostering_base_url",
            allow_local=False,
            resolver=one_address(address),
        )


def test_a_6to4_address_carrying_a_public_ipv4_address_is_accepted() -> None:
    check_url(
        "https://sis.example.org/ims/oneroster/v1p1",
        field="rostering_base_url",
        allow_local=False,
        resolver=one_address("2002:808:808::1"),
    )


def test_a_host_resolving_to_6to4_with_a_private_ipv4_is_not_connected_to(
    monkeypatch: pytest.MonkeyPatch, connects: ConnectLog, listener: socket.socket
) -> None:
    rebinding_dns(monkeypatch, itertools.repeat("2002:7f00:1::1"))
    client = production_client(listener.getsockname()[1])
    with pytest.raises(ConfigurationError, match=re.escape("carries 127.0.0.1")):
        client.fetch_all("orgs")
    assert connects.addresses == []
