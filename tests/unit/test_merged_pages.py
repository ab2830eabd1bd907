"""The unified inbox's merged pagination (ADR 0026) over real in-memory mailboxes: every message exactly once, newest
first across accounts, whatever the page sizes, ties, empty mailboxes, archiving between pages or a failing account."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.in_memory.mailbox import InMemoryMailbox
from application.use_cases.mail.merged_pages import MergedState, merge_pages, search_fingerprint
from domain.errors import ServiceUnavailable, ValidationFailed
from domain.mail import INBOX, UNREAD, EmailAddress, SearchPage
from tests.support.mailbox_seed import incoming_raw

BASE = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
FINGERPRINT = search_fingerprint("", [INBOX])


def mailbox_with(minutes: list[int], name: str) -> InMemoryMailbox:
    """A mailbox holding one inbox message per entry, received `minutes` after BASE (repeats make equal dates)."""
    box = InMemoryMailbox(f"{name}@example.com")
    for n, minute in enumerate(minutes):
        raw = incoming_raw(
            sender=EmailAddress(address=f"s{n}@example.org"),
            to=(EmailAddress(address=f"{name}@example.com"),),
            subject=f"{name} {n}",
            date=BASE + timedelta(minutes=minute),
        )
        box.deliver(raw, [INBOX, UNREAD])
    return box


def fetcher(boxes: dict[str, InMemoryMailbox], calls: list[tuple[str, str | None, int]] | None = None):  # type: ignore[no-untyped-def]
    def fetch(key: str, token: str | None, size: int) -> SearchPage:
        if calls is not None:
            calls.append((key, token, size))
        return boxes[key].search("", label_ids=[INBOX], page_token=token, limit=size)

    return fetch


def expected_order(boxes: dict[str, InMemoryMailbox], keys: list[str]) -> list[tuple[str, str]]:
    """Newest first; equal dates: the account listed first; within one account, its own order."""
    rows = []
    for rank, key in enumerate(keys):
        for position, m in enumerate(boxes[key].search("", label_ids=[INBOX], limit=500).messages):
            rows.append((-m.internal_date.timestamp(), rank, position, key, m.id))
    return [(key, mid) for *_, key, mid in sorted(rows)]


def read_all(keys: list[str], fetch, limits: list[int], between=None) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    shown: list[tuple[str, str]] = []
    token: str | None = None
    for page_number in range(1000):
        limit = limits[page_number % len(limits)]
        page = merge_pages(keys, fetch, page_token=token, limit=limit, fingerprint=FINGERPRINT)
        assert len(page.items) <= limit
        assert page.items or page.next_page_token is None, "an empty page must be the last"
        dates = [m.internal_date for _, m in page.items]
        assert dates == sorted(dates, reverse=True)
        shown.extend((k, m.id) for k, m in page.items)
        if between is not None:
            between(page)
        token = page.next_page_token
        if token is None:
            return shown
    raise AssertionError("the pages never ended")


accounts_minutes = st.lists(st.lists(st.integers(0, 40), max_size=25), min_size=1, max_size=4)


@settings(max_examples=60, deadline=None)
@given(accounts_minutes, st.lists(st.integers(1, 12), min_size=1, max_size=4))
def test_every_message_is_listed_once_in_merged_date_order(minutes: list[list[int]], limits: list[int]) -> None:
    keys = [f"acct{i}" for i in range(len(minutes))]
    boxes = {k: mailbox_with(m, k) for k, m in zip(keys, minutes, strict=True)}
    shown = read_all(keys, fetcher(boxes), limits)
    # the same ids repeat across in-memory mailboxes (m1, m2...): only (account, id) identifies a message
    assert len(set(shown)) == len(shown)
    assert shown == expected_order(boxes, keys)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.lists(st.integers(0, 400), max_size=20, unique=True), min_size=1, max_size=3),
    st.lists(st.integers(1, 8), min_size=1, max_size=3),
    st.data(),
)
def test_archiving_shown_messages_between_pages_loses_and_repeats_nothing(
    minutes: list[list[int]], limits: list[int], data: st.DataObject
) -> None:
    """The inbox being read changes under the reader: some messages already shown are archived (they leave INBOX)
    before the next page is asked for. Every message not archived is still shown exactly once."""
    keys = [f"acct{i}" for i in range(len(minutes))]
    boxes = {k: mailbox_with(m, k) for k, m in zip(keys, minutes, strict=True)}
    everything = set(expected_order(boxes, keys))

    def archive_some(page) -> None:  # type: ignore[no-untyped-def]
        for key, message in page.items:
            if data.draw(st.booleans(), label=f"archive {key}/{message.id}"):
                boxes[key].modify_labels([message.id], remove=[INBOX])

    shown = read_all(keys, fetcher(boxes), limits, between=archive_some)
    assert len(set(shown)) == len(shown)
    assert set(shown) == everything


def test_a_failing_account_is_left_out_and_read_again_on_the_next_page() -> None:
    boxes = {"a": mailbox_with([10, 8, 6], "a"), "b": mailbox_with([9, 7, 5], "b")}
    down = {"b"}

    def fetch(key: str, token: str | None, size: int) -> SearchPage:
        if key in down:
            raise ServiceUnavailable("The mail provider did not answer.")
        return boxes[key].search("", label_ids=[INBOX], page_token=token, limit=size)

    first = merge_pages(["a", "b"], fetch, page_token=None, limit=2, fingerprint=FINGERPRINT)
    assert [k for k, _ in first.items] == ["a", "a"]
    assert [f.key for f in first.failures] == ["b"] and first.sources_read == 2
    down.clear()
    rest = merge_pages(["a", "b"], fetch, page_token=first.next_page_token, limit=10, fingerprint=FINGERPRINT)
    assert [k for k, _ in rest.items] == ["b", "b", "a", "b"]  # b's newest, kept in the token, comes back
    assert rest.next_page_token is None and rest.failures == ()


def test_a_bad_query_fails_the_whole_search() -> None:
    boxes = {"a": mailbox_with([1], "a")}

    def fetch(key: str, token: str | None, size: int) -> SearchPage:
        return boxes[key].search("from:(", page_token=token, limit=size)

    with pytest.raises(ValidationFailed):
        merge_pages(["a"], fetch, page_token=None, limit=5, fingerprint=FINGERPRINT)


def test_pages_read_only_as_far_as_needed() -> None:
    """A page of 3 from two mailboxes reads one provider page of each, never the whole mailbox."""
    boxes = {"a": mailbox_with(list(range(0, 60, 2)), "a"), "b": mailbox_with(list(range(1, 60, 2)), "b")}
    calls: list[tuple[str, str | None, int]] = []
    page = merge_pages(["a", "b"], fetcher(boxes, calls), page_token=None, limit=3, fingerprint=FINGERPRINT)
    assert len(page.items) == 3 and len(calls) == 2 and all(size == 3 for _, _, size in calls)
    assert page.result_size_estimate == 60


@pytest.mark.parametrize(
    "token",
    [
        "not-a-token",
        "u1.!!!",
        "u1." + "e30",  # {}
        MergedState(5, "other-search", {"a": (None, 0, None, None)}).encode(),
        MergedState(5, FINGERPRINT, {"a": (None, 9, None, None)}).encode(),  # skips past a page of 5
        MergedState(5, FINGERPRINT, {}).encode().replace("u1.", "u2."),
    ],
)
def test_a_token_from_elsewhere_is_refused_with_a_sentence(token: str) -> None:
    boxes = {"a": mailbox_with([1, 2], "a")}
    with pytest.raises(ValidationFailed) as refused:
        merge_pages(["a"], fetcher(boxes), page_token=token, limit=5, fingerprint=FINGERPRINT)
    assert "start again from the first page" in refused.value.message


def test_an_account_not_in_the_token_is_not_read() -> None:
    """Accounts connected after the first page (or someone else's id put in a token) are not read by later pages."""
    boxes = {"a": mailbox_with([3, 2, 1], "a"), "b": mailbox_with([4], "b")}
    calls: list[tuple[str, str | None, int]] = []
    token = MergedState(1, FINGERPRINT, {"a": (None, 1, None, None), "zzz": (None, 0, None, None)}).encode()
    page = merge_pages(["a", "b"], fetcher(boxes, calls), page_token=token, limit=5, fingerprint=FINGERPRINT)
    assert {k for k, _, _ in calls} == {"a"}
    assert [k for k, _ in page.items] == ["a", "a"]
