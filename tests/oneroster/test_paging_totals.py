"""A wrong X-Total-Count never cuts a listing short: the client, over HTTP against the local SIS,
still reads every record when the SIS sends a total that contradicts the rows it sent."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest
from werkzeug.wrappers import Request, Response

from tools.oneroster_sis.harness import RunningSis
from tools.oneroster_sis.profiles import with_overrides


def send_total(running: RunningSis, total: Callable[[int], str]) -> None:
    """Makes the SIS replace every X-Total-Count it sends with `total(true_total)`, and send no
    Link header, so that the total is the only paging header."""
    config = running.sis.config
    quirks = with_overrides(config.quirks, {"link_header": False, "total_count_header": True})
    running.sis.apply_config(dataclasses.replace(config, quirks=quirks))
    honest = running.sis.dispatch

    def lying(request: Request) -> Response:
        response: Response = honest(request)
        true_total = response.headers.get("X-Total-Count")
        if true_total is not None:
            response.headers["X-Total-Count"] = total(int(true_total))
        return response

    running.sis.dispatch = lying  # type: ignore[method-assign]


def stored_ids(running: RunningSis, kind: str) -> list[str]:
    return sorted(r["sourcedId"] for r in running.sis.store.all(kind))


@pytest.mark.parametrize(
    ("label", "total"),
    [
        ("negative", lambda true: "-1"),
        ("very negative", lambda true: str(-(10**30))),
        ("smaller than one page", lambda true: "3"),
        ("a page short", lambda true: str(true - 26)),
        ("not a number", lambda true: "lots"),
        ("python-only digits", lambda true: "1_0"),
    ],
)
def test_a_total_that_contradicts_the_rows_received_does_not_end_the_listing(
    make_sis, client_for, label: str, total: Callable[[int], str]
) -> None:
    running = make_sis(students=90)
    send_total(running, total)
    client = client_for(running, "1.2", page_size=25)
    users = client.fetch_all("users")
    assert sorted(u.sourced_id for u in users.records) == stored_ids(running, "users"), label


def test_a_contradicted_total_is_not_reported_as_the_listing_size(make_sis, client_for) -> None:
    running = make_sis(students=90)
    send_total(running, lambda true: "-5")
    client = client_for(running, "1.2", page_size=25)
    first = client.fetch_page(client.page_request("users"))
    assert first.received == 25
    assert first.total is None
    assert first.next is not None and first.next.offset == 25


def test_an_honest_total_still_ends_the_listing_without_an_extra_request(
    make_sis, client_for
) -> None:
    running = make_sis(students=90)
    client = client_for(running, "1.2", page_size=25)
    users = client.fetch_all("users")
    reads = [r for r in running.sis.request_log if r["path"].endswith("/users")]
    assert sorted(u.sourced_id for u in users.records) == stored_ids(running, "users")
    assert len(reads) == -(-len(users.records) // 25)
