"""The paging rule over any combination of what an SIS may send (issue 16, "What to build" 3): a
Link header or none, a next link or none, an X-Total-Count of any sign or size, non-numeric or
absent, pages shorter than, as long as or longer than the limit, pages sent again. Whatever it
gets, the rule ends a listing as complete only on evidence of the end, never skips a record, and
never loops: every walk stops within the page cap."""

from __future__ import annotations

import re
from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from shared.oneroster.errors import PagingError
from shared.oneroster.paging import PageRequest, credible_total, next_request, parse_total

LIMIT = 5
PAGE_CAP = 12
URL = "https://sis.example.org/ims/oneroster/rostering/v1p2/users"


@dataclass(frozen=True)
class Answer:
    """One page as the SIS sends it."""

    ids: tuple[str, ...]
    link_header: bool
    link_next: str | None
    total_header: str | None

    @property
    def rows(self) -> list[dict[str, str]]:
        return [{"sourcedId": i} for i in self.ids]


totals = st.one_of(
    st.none(),
    st.integers().map(str),
    st.integers(min_value=0, max_value=60).map(str),
    st.sampled_from(["", " ", "lots", "1_0", "+5", "5.0", "1e3", "٣", " 7 ", "9" * 40]),
)
links = st.one_of(st.none(), st.sampled_from(["?offset=99", "/users?page=2", URL + "?p=3"]))


@st.composite
def answers(draw: st.DrawFn, offset: int, previous: tuple[str, ...]) -> Answer:
    if previous and draw(st.integers(0, 5)) == 0:
        ids = previous  # the same page again
    else:
        count = draw(st.sampled_from([0, 1, LIMIT - 1, LIMIT, LIMIT + 2]))
        ids = tuple(f"u{offset + n}" for n in range(count))
    link_header = draw(st.booleans())
    return Answer(ids, link_header, draw(links) if link_header else None, draw(totals))


def evidence_of_the_end(request: PageRequest, answer: Answer) -> bool:
    """What may end a listing: an empty page; a Link header without rel=next; with neither, an
    X-Total-Count that is a plain count reached exactly by the records received."""
    if not answer.ids:
        return True
    if answer.link_header:
        return answer.link_next is None
    header = (answer.total_header or "").strip()
    received = request.offset + len(answer.ids)
    return bool(re.fullmatch(r"[0-9]{1,18}", header)) and int(header) == received


def step(request: PageRequest, answer: Answer) -> PageRequest | None:
    return next_request(
        request,
        request_url=URL,
        rows=answer.rows,
        total=parse_total({"X-Total-Count": answer.total_header} if answer.total_header else {}),
        has_link_header=answer.link_header,
        link_next=answer.link_next,
        max_pages=PAGE_CAP,
    )


@settings(max_examples=400, deadline=None)
@given(st.data())
def test_a_walk_ends_only_on_evidence_skips_nothing_and_stops_within_the_cap(
    data: st.DataObject,
) -> None:
    request: PageRequest | None = PageRequest(resource="users", limit=LIMIT)
    previous: tuple[str, ...] = ()
    for _ in range(PAGE_CAP + 1):
        assert request is not None
        answer = data.draw(answers(request.offset, previous))
        try:
            following = step(request, answer)
        except PagingError:
            return  # refused loudly: never taken as complete
        if following is None:
            assert evidence_of_the_end(request, answer), (request, answer)
            return
        assert following.index == request.index + 1
        if not answer.link_header:
            assert following.offset == request.offset + len(answer.ids)
            assert following.next_url is None
        request, previous = following, answer.ids
    raise AssertionError(f"the walk went past the page cap of {PAGE_CAP}")


@given(
    total=st.one_of(st.none(), st.integers()),
    offset=st.integers(min_value=0, max_value=10**6),
    received=st.integers(min_value=0, max_value=10**4),
)
def test_a_credible_total_is_never_below_what_was_received(
    total: int | None, offset: int, received: int
) -> None:
    credible = credible_total(total, offset, received)
    assert credible is None or credible >= offset + received >= 0
    assert credible in (None, total)


@given(st.text(max_size=30))
def test_any_header_text_parses_to_a_count_or_nothing(text: str) -> None:
    total = parse_total({"X-Total-Count": text})
    count = re.fullmatch(r"[0-9]{1,18}", text.strip())
    assert total == (int(text.strip()) if count else None)
