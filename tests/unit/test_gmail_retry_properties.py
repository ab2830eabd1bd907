"""Property 86 (Gmail API retry with backoff), against the local fake Gmail server: idempotent calls are retried on
429/5xx with exponentially growing, capped, jittered delays and stop after `max_attempts`; a send whose outcome is
unknown is never sent again (it is reconciled by its Message-ID), so the recipient gets at most one copy."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, note
from hypothesis import strategies as st

from adapters.gmail import GmailMailbox
from domain.errors import InfrastructureError, QuotaExceeded
from domain.mail import INBOX, SENT, UNREAD, EmailAddress, OutgoingMessage
from domain.mime import deterministic_message_id
from tests.support.fake_gmail import FakeAccount, FakeGmailServer, FakeTokenSource, Fault
from tests.support.mailbox_seed import OWNER, FakeClock, incoming_raw

NOW = datetime(2025, 6, 15, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def server() -> Iterator[FakeGmailServer]:
    with FakeGmailServer() as fake:
        yield fake
        assert fake.drift == [], "the fake saw requests or gave answers outside gmail.v1.json"


def mailbox(
    server: FakeGmailServer, draws: list[float], sleeps: list[float], **options: object
) -> tuple[GmailMailbox, FakeAccount]:
    clock = FakeClock(NOW)
    account = server.add_account(OWNER, clock=clock)
    draw = iter(draws)
    box = GmailMailbox(
        FakeTokenSource(account),
        address=OWNER,
        root_url=server.url,
        clock=clock,
        sleep=sleeps.append,
        random=lambda: next(draw, 1.0),
        **options,  # type: ignore[arg-type]
    )
    return box, account


RETRYABLE = st.sampled_from([(429, "rateLimitExceeded"), (500, "backendError"), (502, "backendError"),
                             (503, "backendError"), (504, "backendError")])  # fmt: skip


@pytest.mark.property(86)
@given(
    faults=st.lists(RETRYABLE, max_size=7),
    max_attempts=st.integers(1, 6),
    base=st.sampled_from([0.25, 0.5, 1.0, 2.0]),
    max_delay=st.sampled_from([1.0, 4.0, 32.0]),
    draws=st.lists(st.floats(0, 1, exclude_max=True), min_size=8, max_size=8),
)
def test_property_86_reads_retry_with_growing_capped_jittered_delays(
    server: FakeGmailServer,
    faults: list[tuple[int, str]],
    max_attempts: int,
    base: float,
    max_delay: float,
    draws: list[float],
) -> None:
    sleeps: list[float] = []
    box, account = mailbox(server, draws, sleeps, max_attempts=max_attempts, base_delay=base, max_delay=max_delay)
    raw = incoming_raw(sender=EmailAddress(address="a@example.com"), subject="Hi", text="x", date=NOW - timedelta(1))
    message_id = account.deliver(raw, [INBOX, UNREAD])
    server.faults.clear()
    server.clear_log()
    server.inject(*(Fault(status=s, reason=r, method="gmail.users.messages.get") for s, r in faults))
    try:
        got = box.get_message(message_id)
        error: BaseException | None = None
    except (InfrastructureError, QuotaExceeded) as exc:
        got, error = None, exc
    finally:
        server.faults.clear()
        box.close()
    note(f"sleeps={sleeps}")
    tries = min(len(faults) + 1, max_attempts)
    assert server.count("messages.get") == tries  # bounded: never more than max_attempts calls
    if len(faults) < max_attempts:
        assert got is not None and got.id == message_id and error is None
    else:
        assert got is None and error is not None  # a readable error after the last attempt
        assert error.message and "Traceback" not in error.message
    # One pause before each retry; the n-th pause is a full-jitter draw from a window that doubles up to a cap.
    assert len(sleeps) == tries - 1
    windows = [min(max_delay, base * 2**n) for n in range(tries - 1)]
    assert windows == sorted(windows)
    assert sleeps == pytest.approx([draw * window for draw, window in zip(draws, windows, strict=False)])


@pytest.mark.property(86)
@given(faults=st.lists(RETRYABLE, min_size=1, max_size=4))
def test_property_86_delays_grow_exponentially_at_the_top_of_each_window(
    server: FakeGmailServer, faults: list[tuple[int, str]]
) -> None:
    sleeps: list[float] = []
    box, account = mailbox(server, [1.0] * 8, sleeps, max_attempts=6, base_delay=1.0, max_delay=64.0)
    raw = incoming_raw(sender=EmailAddress(address="a@example.com"), subject="Hi", text="x", date=NOW - timedelta(1))
    message_id = account.deliver(raw, [INBOX])
    server.faults.clear()
    server.inject(*(Fault(status=s, reason=r, method="gmail.users.messages.get") for s, r in faults))
    try:
        assert box.get_message(message_id).id == message_id
    finally:
        server.faults.clear()
        box.close()
    assert sleeps == [2.0**n for n in range(len(faults))]  # 1, 2, 4, 8 s


SEND = "gmail.users.messages.send"
SERVER_ERRORS = st.sampled_from([500, 502, 503, 504])
AMBIGUOUS = st.one_of(
    st.builds(lambda s: Fault(status=s, method=SEND, after=True), SERVER_ERRORS),  # stored, then the error
    st.just(Fault(status=None, method=SEND, after=True, drop=True)),  # stored, then the connection dropped
    st.builds(lambda s: Fault(status=s, method=SEND), SERVER_ERRORS),  # refused before storing
)


@pytest.mark.property(86)
@given(fault=AMBIGUOUS, subject=st.text("abcdef ", min_size=1, max_size=12))
def test_property_86_a_send_with_an_unknown_outcome_is_never_sent_twice(
    server: FakeGmailServer, fault: Fault, subject: str
) -> None:
    sleeps: list[float] = []
    box, account = mailbox(server, [], sleeps, reconcile_attempts=2)
    outgoing = OutgoingMessage(
        to=(EmailAddress(address="carol@example.com"),),
        subject=subject,
        text_body="Noon?",
        message_id=deterministic_message_id(f"p86-{uuid.uuid4().hex}", "mailagent.test"),
    )
    server.faults.clear()
    server.clear_log()
    server.inject(fault)
    try:
        sent = box.send(outgoing)
        error: BaseException | None = None
    except InfrastructureError as exc:
        sent, error = None, exc
    finally:
        server.faults.clear()
        box.close()
    copies = sum(1 for s in account.messages.values() if SENT in s.message.label_ids)
    assert server.count("messages.send") == 1  # an ambiguous send is reconciled, never repeated
    assert copies <= 1
    if fault.after:  # Gmail stored it: the reconciliation finds it and returns it as sent
        assert sent is not None and copies == 1 and sent.message_id_header == outgoing.message_id
    else:  # refused before storing: we cannot know, so we say so, and do not resend
        assert sent is None and copies == 0 and error is not None
        assert "NOT sent again" in error.message


@pytest.mark.property(86)
@given(throttles=st.integers(1, 3))
def test_property_86_a_send_refused_with_429_is_retried_and_delivered_once(
    server: FakeGmailServer, throttles: int
) -> None:
    sleeps: list[float] = []
    box, account = mailbox(server, [1.0] * 8, sleeps)
    server.faults.clear()
    server.clear_log()
    server.inject(Fault(status=429, reason="rateLimitExceeded", method="gmail.users.messages.send", times=throttles))
    try:
        box.send(OutgoingMessage(to=(EmailAddress(address="carol@example.com"),), subject="throttled", text_body="x"))
    finally:
        server.faults.clear()
        box.close()
    assert server.count("messages.send") == throttles + 1  # 429 means "not taken": safe to repeat
    assert sum(1 for s in account.messages.values() if SENT in s.message.label_ids) == 1
    assert sleeps == [2.0**n for n in range(throttles)]
