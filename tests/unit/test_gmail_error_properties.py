"""Property 7 (Gmail API error handling), against the local fake Gmail server: whatever error Gmail answers (status,
reason, message), to whichever call, and for as long as it keeps answering it, the adapter raises the domain error
of the documented kind — a sentence a person understands, never a client library's exception, raw JSON or HTML, or
a token — after retrying exactly the errors that are worth retrying, and never more than `max_attempts` times."""

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
from tests.unit.test_gmail_adapter import Box, make_box

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
