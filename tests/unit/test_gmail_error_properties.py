"""Properties 7 (Gmail API error handling) and 78 (Gmail API usage tracking), against the local fake Gmail server.

7: whatever error Gmail answers (status, reason, message), to whichever call, and for as long as it keeps answering
it, the adapter raises the domain error of the documented kind — a sentence a person understands, never a client
library's exception, raw JSON or HTML, or a token — after retrying exactly the errors worth retrying, and never more
than `max_attempts` times. 78: the units counted are the published units of every call Gmail received."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from domain.errors import (
    Conflict,
    DomainError,
    InfrastructureError,
    NotFound,
    PermissionDenied,
    QuotaExceeded,
    ServiceUnavailable,
    UpstreamError,
    ValidationFailed,
)
from tests.support.fake_gmail import FakeGmailServer, Fault
from tests.unit.test_gmail_adapter import Box, make_box, outgoing

MAX_ATTEMPTS = 3

# (status, reason) as Gmail answers them.
ANSWERS = [
    (400, "badRequest"),
    (400, "invalidArgument"),
    (400, "failedPrecondition"),
    (403, "insufficientPermissions"),
    (403, "forbidden"),
    (403, "dailyLimitExceeded"),
    (403, "userRateLimitExceeded"),
    (403, "rateLimitExceeded"),
    (404, "notFound"),
    (409, "conflict"),
    (429, "rateLimitExceeded"),
    (500, "backendError"),
    (502, "badGateway"),
    (503, "backendError"),
    (504, "deadlineExceeded"),
]


def expected(status: int, reason: str) -> tuple[type[Exception], bool]:
    """The documented kind of error for a Gmail answer, and whether it is worth retrying."""
    if reason == "dailyLimitExceeded":
        return QuotaExceeded, False
    if status == 429 or reason in ("userRateLimitExceeded", "rateLimitExceeded"):
        return QuotaExceeded, True
    if status in (500, 502, 504):
        return UpstreamError, True
    if status == 503:
        return ServiceUnavailable, True
    return {
        403: PermissionDenied,
        404: NotFound,
        409: Conflict,
        400: UpstreamError if reason == "failedPrecondition" else ValidationFailed,
    }[status], False


# call name -> (the discovery method the fault is put on, the call)
CALLS: dict[str, tuple[str, Callable[[Box, str], object]]] = {
    "get_message": ("gmail.users.messages.get", lambda box, mid: box.mailbox.get_message(mid)),
    "get_thread": ("gmail.users.threads.get", lambda box, mid: box.mailbox.get_thread(box.thread_of(mid))),
    "search": ("gmail.users.messages.list", lambda box, _: box.mailbox.search("")),
    "list_labels": ("gmail.users.labels.list", lambda box, _: box.mailbox.list_labels()),
    "list_drafts": ("gmail.users.drafts.list", lambda box, _: box.mailbox.list_drafts()),
}


class ErrorBox(Box):
    def thread_of(self, message_id: str) -> str:
        return self.account.messages[message_id].message.thread_id


@pytest.fixture(scope="module")
def gmail() -> Iterator[FakeGmailServer]:
    with FakeGmailServer() as fake:
        yield fake


@pytest.mark.property(7)
@settings(deadline=None)
@given(
    answer=st.sampled_from(ANSWERS),
    text=st.text(alphabet="abcdefghijklmnopqrstuvwxyz ABC.,'-", max_size=40),
    call=st.sampled_from(sorted(CALLS)),
)
def test_property_7_every_gmail_error_becomes_the_documented_readable_domain_error(
    gmail: FakeGmailServer, answer: tuple[int, str], text: str, call: str
) -> None:
    status, reason = answer
    assume("invalid" not in text.lower())  # "Invalid id value" / "Invalid label" are answers of their own
    box = make_box(gmail, max_attempts=MAX_ATTEMPTS)
    box.__class__ = ErrorBox
    try:
        message_id = box.deliver()
        method, run = CALLS[call]
        gmail.clear_log()
        gmail.faults.clear()
        gmail.inject(Fault(status=status, reason=reason, message=text, method=method, times=10 * MAX_ATTEMPTS))
        kind, retried = expected(status, reason)
        with pytest.raises((DomainError, InfrastructureError)) as caught:
            run(box, message_id)  # type: ignore[arg-type]
        error = caught.value
        assert type(error) is kind or (kind is NotFound and isinstance(error, NotFound)), (type(error), kind)
        said = error.message  # type: ignore[union-attr]
        assert said and said[0].isupper() and said.rstrip(")").endswith((".", ")")), said
        assert not any(raw in said for raw in ("{", "<html", "HttpError", "Traceback", box.account.access_token))
        calls = gmail.count(method.removeprefix("gmail.users."))
        assert calls == (MAX_ATTEMPTS if retried else 1), (calls, status, reason)
        assert len(box.sleeps) == (MAX_ATTEMPTS - 1 if retried else 0), box.sleeps
    finally:
        gmail.faults.clear()
        box.mailbox.close()


# --------------------------------------------------------------------------- property 78: Gmail API usage tracking

# Google's published cost of each Gmail API method in quota units (developers.google.com/gmail/api/reference/quota);
# a method not listed here must not be called by these operations.
PUBLISHED_UNITS = {
    "gmail.users.getProfile": 1,
    "gmail.users.messages.list": 5,
    "gmail.users.messages.get": 5,
    "gmail.users.messages.send": 100,
    "gmail.users.messages.modify": 5,
    "gmail.users.messages.batchModify": 50,
    "gmail.users.threads.get": 10,
    "gmail.users.labels.list": 1,
    "gmail.users.labels.get": 1,
    "gmail.users.drafts.create": 10,
    "gmail.users.drafts.get": 5,
    "gmail.users.drafts.list": 5,
}

OPERATIONS: dict[str, Callable[[ErrorBox, list[str], int], object]] = {
    "get_message": lambda box, ids, n: box.mailbox.get_message(ids[n % len(ids)]),
    "get_thread": lambda box, ids, n: box.mailbox.get_thread(box.thread_of(ids[n % len(ids)])),
    "search": lambda box, ids, n: box.mailbox.search("", limit=1 + n % 8),
    "list_labels": lambda box, ids, n: box.mailbox.list_labels(),
    "star": lambda box, ids, n: box.mailbox.modify_labels(ids[: 1 + n % len(ids)], add=["STARRED"]),
    "send": lambda box, ids, n: box.mailbox.send(outgoing(f"units {n}")),
    "draft": lambda box, ids, n: box.mailbox.create_draft(outgoing(f"draft {n}")),
    "list_drafts": lambda box, ids, n: box.mailbox.list_drafts(),
}


@pytest.mark.property(78)
@settings(deadline=None)
@given(
    messages=st.integers(1, 6),
    operations=st.lists(st.tuples(st.sampled_from(sorted(OPERATIONS)), st.integers(0, 50)), min_size=1, max_size=6),
    outage=st.one_of(st.none(), st.sampled_from(sorted(PUBLISHED_UNITS))),
)
def test_property_78_the_units_counted_are_the_units_of_every_call_gmail_saw(
    gmail: FakeGmailServer, messages: int, operations: list[tuple[str, int]], outage: str | None
) -> None:
    """Any operations, with any method failing once with a 503 on the way (retried): the units the adapter reports
    (its total and each report) add up to the published cost of every call Gmail received, retries included."""
    box = make_box(gmail)
    box.__class__ = ErrorBox
    try:
        ids = [box.deliver(f"m{i}") for i in range(messages)]
        gmail.faults.clear()
        gmail.clear_log()
        before = box.mailbox.quota_units_used
        reported = len(box.quota)
        if outage:
            gmail.inject(Fault(status=503, method=outage, times=1))
        for name, n in operations:
            try:
                OPERATIONS[name](box, ids, n)  # type: ignore[arg-type]
            except UpstreamError:
                # A send whose answer was an error is never sent again (its outcome is unknown; property 86).
                assert name == "send" and outage == "gmail.users.messages.send"
        seen = [c.method for c in gmail.calls if c.method not in ("batch", "token")]
        assert set(seen) <= set(PUBLISHED_UNITS), set(seen) - set(PUBLISHED_UNITS)
        cost = sum(PUBLISHED_UNITS[m] for m in seen)
        assert box.mailbox.quota_units_used - before == cost
        assert sum(box.quota[reported:]) == cost
    finally:
        gmail.faults.clear()
        box.mailbox.close()
