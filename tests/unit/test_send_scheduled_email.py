"""The scheduled-send use cases on in-memory adapters: a crash between any two steps (simulated by a checkpoint
that raises past every handler) never loses a mail nor sends it twice; due rows go out in batches through a pool;
passing failures are retried with backoff, permanent ones fail at once; stale and duplicate jobs do nothing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from adapters.in_memory.clock import InMemoryClock
from adapters.in_memory.event_bus import InMemoryEventBus
from adapters.in_memory.job_queue import InProcessJobQueue
from adapters.in_memory.mailbox import InMemoryMailbox
from adapters.in_memory.unit_of_work import InMemoryStore, InMemoryUnitOfWork
from application.mail_access import MailAccess
from application.mail_compose import Compose
from application.outbox import OutboxRelay
from application.ports.job_queue import JobRegistry
from application.ports.mailbox import Mailbox
from application.ports.mailbox_provider import MailboxProvider
from application.use_cases.scheduled.common import DISPATCH_JOB, SEND_JOB, DeliveryPolicy
from application.use_cases.scheduled.dispatch_due_scheduled_emails import (
    DispatchDueScheduledEmails,
    DispatchDueScheduledEmailsInput,
)
from application.use_cases.scheduled.schedule_email import ScheduleEmail, ScheduleEmailInput
from application.use_cases.scheduled.send_scheduled_email import (
    Outcome,
    SendScheduledEmail,
    SendScheduledEmailInput,
)
from domain.errors import ServiceUnavailable, ValidationFailed
from domain.events import EventType, StoredEvent
from domain.identity import Principal, Role, Scope, User, UserStatus, new_id
from domain.mail import OutgoingMessage
from domain.mail_account import AccountStatus, MailAccount, MailProvider
from domain.scheduled_email import ScheduledEmail, ScheduledStatus

T0 = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)
POLICY = DeliveryPolicy(
    lease_seconds=60, max_attempts=3, retry_base_seconds=10, retry_max_seconds=40, dispatch_batch=3, send_concurrency=2
)


class Crash(BaseException):
    """Stands in for SIGKILL: nothing in the use case catches it."""


class PassThrough:
    def sanitize(self, html: str) -> str:
        return html


class FlakyMailbox(InMemoryMailbox):
    def __init__(self) -> None:
        super().__init__("me@example.com")
        self.failures: list[Exception] = []
        self.send_calls = 0

    def send(self, message: OutgoingMessage):  # type: ignore[no-untyped-def]
        self.send_calls += 1
        if self.failures:
            raise self.failures.pop(0)
        return super().send(message)


@dataclass
class Provider(MailboxProvider):
    mailbox: Mailbox

    def supports(self, provider: MailProvider) -> bool:
        return True

    def open(self, account: MailAccount) -> Mailbox:
        return self.mailbox

    def provision(self, account: MailAccount) -> None:
        return None


@dataclass
class World:
    clock: InMemoryClock = field(default_factory=lambda: InMemoryClock(T0))
    store: InMemoryStore = field(default_factory=InMemoryStore)
    mailbox: FlakyMailbox = field(default_factory=FlakyMailbox)
    published: list[StoredEvent] = field(default_factory=list)

    def __post_init__(self) -> None:
        registry = JobRegistry()
        registry.register(SEND_JOB, lambda _: None)
        registry.register(DISPATCH_JOB, lambda _: None)
        self.jobs = InProcessJobQueue(registry, self.clock)  # never started: the test runs the use cases itself
        bus = InMemoryEventBus()
        bus.subscribe(self.published.append)
        self.relay = OutboxRelay(self.uow, self.jobs, bus, self.clock)
        self.user = User(new_id(), "me@example.com", Role.USER, UserStatus.ACTIVE, T0, password_hash="h")
        self.account = MailAccount(
            new_id(), self.user.id, MailProvider.DEMO, "me@example.com", AccountStatus.ACTIVE, T0, T0
        )
        with self.uow() as uow:
            uow.users.add(self.user)
            uow.mail_accounts.add(self.account)
            uow.commit()

    def uow(self) -> InMemoryUnitOfWork:
        return InMemoryUnitOfWork(self.store)

    def schedule(self, seconds: float = 60) -> ScheduledEmail:
        principal = Principal(self.user, frozenset({Scope.MAIL_SEND, Scope.MAIL_READ}))
        use_case = ScheduleEmail(
            self.uow(),
            MailAccess(self.uow(), Provider(self.mailbox), self.clock),
            PassThrough(),
            self.clock,
            self.relay,
            POLICY,
        )
        when = (self.clock.now() + timedelta(seconds=seconds)).isoformat()
        return use_case.execute(
            ScheduleEmailInput(principal, Compose(to=("bob@example.com",), subject="Hi", text_body="x"), when)
        ).email

    def sender(self, policy: DeliveryPolicy = POLICY) -> SendScheduledEmail:
        return SendScheduledEmail(self.uow(), Provider(self.mailbox), self.clock, self.relay, policy)

    def send(self, email: ScheduledEmail, version: int | None = None, crash_at: str | None = None) -> Outcome:
        """The `scheduled.send` job that versions before batches enqueued for one row."""
        return self.sender().execute(
            SendScheduledEmailInput(email.id, version or self.get(email.id).version, "w", checkpoint=crasher(crash_at))
        )

    def dispatch(self, crash_at: str | None = None, policy: DeliveryPolicy = POLICY) -> int:
        use_case = DispatchDueScheduledEmails(
            self.uow(), self.clock, self.relay, policy, lambda: self.sender(policy), jobs=self.jobs
        )
        return use_case.execute(DispatchDueScheduledEmailsInput("d", checkpoint=crasher(crash_at)))

    def waiting_jobs(self) -> list[str]:
        """Ids of the jobs the queue holds (it is never started here)."""
        return sorted(self.jobs._jobs)

    def get(self, email_id: str) -> ScheduledEmail:
        with self.uow() as uow:
            found = uow.scheduled_emails.get(email_id)
        assert found is not None
        return found

    def copies(self, email: ScheduledEmail) -> int:
        return sum(1 for m in self.mailbox.sent if m.message_id_header == email.message_id)

    def events(self, kind: EventType) -> list[StoredEvent]:
        with self.uow() as uow:
            return [e for e in uow.events.after(self.user.id, 0, limit=100) if e.event.type is kind]

    def recover(self) -> int:
        """What a worker does after a crash: once the lease expired, the periodic dispatch claims and sends."""
        self.clock.advance(seconds=POLICY.lease_seconds + 1)
        return self.dispatch()


def crasher(crash_at: str | None) -> Callable[[str, str], None]:
    def checkpoint(step: str, detail: str) -> None:
        if step == crash_at:
            raise Crash(f"{step} {detail}")

    return checkpoint


@pytest.mark.property(69)
@pytest.mark.parametrize("step", ["claimed", "provider_sent", "marked_sent"])
def test_a_crash_at_any_step_neither_loses_nor_doubles(step: str) -> None:
    w = World()
    email = w.schedule()
    w.clock.advance(seconds=60)
    with pytest.raises(Crash):
        w.dispatch(crash_at=step)
    crashed = w.get(email.id)
    if step == "marked_sent":
        assert crashed.status is ScheduledStatus.SENT  # committed; only the relay was missed
        assert w.published == []
        assert w.recover() == 0
        w.relay.flush()  # the periodic outbox relay
    else:
        assert crashed.status is ScheduledStatus.SENDING and crashed.lease_owner == "d"
        assert w.dispatch() == 0  # another dispatch leaves a leased row alone
        assert w.send(email, version=1) is Outcome.SKIPPED  # and so does a stale job of an older version
        assert w.recover() == 1  # the lease ran out: claimed again and sent (or found in Sent)
    done = w.get(email.id)
    assert done.status is ScheduledStatus.SENT and w.copies(email) == 1 and w.mailbox.send_calls == 1
    assert len(w.events(EventType.SCHEDULED_EMAIL_SENT)) == 1
    assert [e.event.type for e in w.published] == [EventType.SCHEDULED_EMAIL_SENT]


def test_due_rows_go_out_in_batches_and_a_full_batch_calls_for_help() -> None:
    w = World()
    emails = [w.schedule(seconds=n) for n in (10, 20, 30, 40, 50, 60, 70)]
    w.clock.advance(seconds=70)
    assert w.dispatch() == 7  # three batches of at most three, sent by a pool of two
    assert all(w.get(e.id).status is ScheduledStatus.SENT and w.copies(e) == 1 for e in emails)
    assert all(w.get(e.id).attempts == 1 for e in emails)
    # Each full batch asked the queue for another dispatcher (one id per second, so one request here).
    assert [j for j in w.waiting_jobs() if j.startswith("sched-more-")] == [
        f"sched-more-{int(w.clock.now().timestamp())}"
    ]
    assert len(w.events(EventType.SCHEDULED_EMAIL_SENT)) == 7


def test_emails_due_in_the_same_second_share_one_wake_up() -> None:
    w = World()
    for _ in range(3):
        w.schedule(seconds=60)
    w.schedule(seconds=61)
    second = int((T0 + timedelta(seconds=60)).timestamp())
    assert [j for j in w.waiting_jobs() if j.startswith("sched-wake-")] == [
        f"sched-wake-{second}",
        f"sched-wake-{second + 1}",
    ]


def test_a_crash_in_one_send_of_a_batch_loses_none_of_the_others() -> None:
    w = World()
    emails = [w.schedule(seconds=10) for _ in range(3)]
    w.clock.advance(seconds=10)
    with pytest.raises(Crash):
        w.dispatch(crash_at="provider_sent")  # one of the pool's sends dies after the provider took it
    assert {w.get(e.id).status for e in emails} <= {ScheduledStatus.SENDING, ScheduledStatus.SENT}
    assert w.recover() >= 1
    assert all(w.get(e.id).status is ScheduledStatus.SENT and w.copies(e) == 1 for e in emails)
    assert sorted(e.event.data["scheduled_id"] for e in w.events(EventType.SCHEDULED_EMAIL_SENT)) == sorted(
        e.id for e in emails
    )


def test_a_row_taken_over_during_the_sends_is_left_to_its_new_holder_and_the_others_are_marked() -> None:
    """The batch's mark is one write when every row is still ours; here one row's lease was taken over while the
    batch was being sent, so that write is refused and the batch is marked row by row: the taken row is left to
    its new holder, which finds the message in Sent and marks it without sending it again."""
    w = World()
    emails = [w.schedule(seconds=10) for _ in range(3)]
    w.clock.advance(seconds=10)
    with w.uow() as uow:
        held = list(uow.scheduled_emails.claim_due(now=w.clock.now(), lease_seconds=60, owner="d", limit=3))
        uow.commit()
    taken = held[1]
    with w.uow() as uow:  # another dispatcher, after this one's lease had run out
        uow.scheduled_emails.update(taken.renew("other", w.clock.now(), POLICY.lease), expected_version=taken.version)
        uow.commit()
    outcomes = w.sender().deliver_batch(held)
    assert outcomes == {held[0].id: Outcome.SENT, held[1].id: Outcome.SKIPPED, held[2].id: Outcome.SENT}
    assert [w.get(e.id).status for e in held] == [ScheduledStatus.SENT, ScheduledStatus.SENDING, ScheduledStatus.SENT]
    assert w.get(taken.id).lease_owner == "other"
    announced = [e.event.data["scheduled_id"] for e in w.events(EventType.SCHEDULED_EMAIL_SENT)]
    assert sorted(announced) == sorted([held[0].id, held[2].id])
    assert w.recover() == 1  # the new holder's lease ran out too: the sweep takes the row, finds it in Sent
    assert all(w.get(e.id).status is ScheduledStatus.SENT and w.copies(e) == 1 for e in emails)
    assert len(w.events(EventType.SCHEDULED_EMAIL_SENT)) == 3


def test_a_legacy_send_job_and_the_dispatcher_send_once() -> None:
    w = World()
    email = w.schedule()
    w.clock.advance(seconds=60)
    w.dispatch()  # version 2, sent
    assert w.send(email, version=1) is Outcome.SKIPPED  # the old per-email job came second
    assert w.send(email, version=2) is Outcome.SKIPPED  # already sent
    assert w.copies(email) == 1
    other = w.schedule()
    w.clock.advance(seconds=60)
    assert w.send(other, version=1) is Outcome.SENT  # an old job still sends its row, once
    assert w.send(other, version=1) is Outcome.SKIPPED
    assert w.dispatch() == 0 and w.copies(other) == 1


@pytest.mark.property(69)
def test_nothing_is_sent_early() -> None:
    w = World()
    email = w.schedule(seconds=60)
    w.clock.advance(seconds=59)
    assert w.send(email, version=1) is Outcome.SKIPPED
    assert w.dispatch() == 0 and w.copies(email) == 0
    assert w.get(email.id).status is ScheduledStatus.SCHEDULED


def test_passing_failures_are_retried_with_backoff_then_sent() -> None:
    w = World()
    email = w.schedule()
    w.mailbox.failures = [ServiceUnavailable("Gmail is down"), ServiceUnavailable("still down")]
    w.clock.advance(seconds=60)
    assert w.dispatch() == 1
    first = w.get(email.id)
    assert first.status is ScheduledStatus.SCHEDULED and "Gmail is down" in (first.error or "")
    assert first.due_at == w.clock.now() + timedelta(seconds=10)
    assert f"sched-wake-{int(first.due_at.timestamp())}" in w.waiting_jobs()  # woken up for the retry
    w.clock.advance(seconds=9)
    assert w.dispatch() == 0  # not yet
    w.clock.advance(seconds=1)
    assert w.dispatch() == 1
    assert w.get(email.id).due_at == w.clock.now() + timedelta(seconds=20)  # doubled
    w.clock.advance(seconds=20)
    assert w.dispatch() == 1
    done = w.get(email.id)
    assert done.status is ScheduledStatus.SENT
    assert done.attempts == 3 and done.error is None and w.copies(email) == 1


def test_gives_up_after_the_last_attempt() -> None:
    w = World()
    email = w.schedule()
    w.mailbox.failures = [ServiceUnavailable("down")] * 3
    w.clock.advance(seconds=60)
    for _ in range(3):
        w.dispatch()
        w.clock.advance(seconds=100)
    failed = w.get(email.id)
    assert failed.status is ScheduledStatus.FAILED and "Gave up after 3 attempts" in (failed.error or "")
    assert len(w.events(EventType.SCHEDULED_EMAIL_FAILED)) == 1 and w.copies(email) == 0


@pytest.mark.parametrize(
    "break_it",
    [
        lambda w: setattr(w.mailbox, "failures", [ValidationFailed("Recipient address rejected")]),
        lambda w: _disable(w),
    ],
)
def test_permanent_failures_fail_at_once(break_it: Callable[[World], None]) -> None:
    w = World()
    email = w.schedule()
    break_it(w)
    w.clock.advance(seconds=60)
    assert w.dispatch() == 1
    failed = w.get(email.id)
    assert failed.status is ScheduledStatus.FAILED and failed.attempts == 1 and failed.error
    (event,) = w.events(EventType.SCHEDULED_EMAIL_FAILED)
    assert event.event.data["error"] == failed.error


def _disable(w: World) -> None:
    with w.uow() as uow:
        uow.users.update(w.user.with_changes(status=UserStatus.DISABLED))
        uow.commit()


def test_a_claim_holds_the_row_for_the_lease() -> None:
    w = World()
    email = w.schedule(seconds=10)
    w.clock.advance(seconds=10)
    with pytest.raises(Crash):
        w.dispatch(crash_at="claimed")
    taken = w.get(email.id)
    assert taken.lease_expires_at == w.clock.now() + timedelta(seconds=POLICY.lease_seconds)
    w.clock.advance(seconds=POLICY.lease_seconds - 1)
    assert w.dispatch() == 0
    w.clock.advance(seconds=1)
    assert w.dispatch() == 1 and w.copies(email) == 1
