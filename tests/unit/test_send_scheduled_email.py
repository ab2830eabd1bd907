"""The scheduled-send use cases on in-memory adapters: a crash between any two steps (simulated by a checkpoint
that raises past every handler) never loses a mail nor sends it twice; passing failures are retried with backoff,
permanent ones fail at once; stale and duplicate jobs do nothing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
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
    lease_seconds=60, max_attempts=3, retry_base_seconds=10, retry_max_seconds=40, dispatch_grace_seconds=0
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

    def send(self, email: ScheduledEmail, version: int | None = None, crash_at: str | None = None) -> Outcome:
        def checkpoint(step: str) -> None:
            if step == crash_at:
                raise Crash(step)

        use_case = SendScheduledEmail(self.uow(), Provider(self.mailbox), self.clock, self.relay, POLICY)
        return use_case.execute(
            SendScheduledEmailInput(email.id, version or self.get(email.id).version, "w", checkpoint=checkpoint)
        )

    def dispatch(self, crash_at: str | None = None) -> int:
        def checkpoint(step: str) -> None:
            if step == crash_at:
                raise Crash(step)

        use_case = DispatchDueScheduledEmails(self.uow(), self.clock, self.relay, POLICY)
        return use_case.execute(DispatchDueScheduledEmailsInput("d", checkpoint=checkpoint))

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

    def recover(self, email: ScheduledEmail) -> Outcome:
        """What the worker does after a crash: once the lease expired, the dispatcher claims it, the job sends."""
        self.clock.advance(seconds=POLICY.lease_seconds + 1)
        self.dispatch()
        return self.send(email)


@pytest.mark.parametrize("step", ["claimed", "provider_sent", "marked_sent"])
def test_a_crash_at_any_step_neither_loses_nor_doubles(step: str) -> None:
    w = World()
    email = w.schedule()
    w.clock.advance(seconds=60)
    with pytest.raises(Crash):
        w.send(email, version=1, crash_at=step)
    crashed = w.get(email.id)
    if step == "marked_sent":
        assert crashed.status is ScheduledStatus.SENT  # committed; only the relay was missed
        assert w.published == []
        assert w.recover(email) is Outcome.SKIPPED
        w.relay.flush()  # the periodic outbox relay
    else:
        assert crashed.status is ScheduledStatus.SENDING
        assert w.send(email, version=1) is Outcome.SKIPPED  # a retried job of the old version does nothing
        expected = Outcome.RECONCILED if step == "provider_sent" else Outcome.SENT
        assert w.recover(email) is expected
    done = w.get(email.id)
    assert done.status is ScheduledStatus.SENT and w.copies(email) == 1 and w.mailbox.send_calls == 1
    assert len(w.events(EventType.SCHEDULED_EMAIL_SENT)) == 1
    assert [e.event.type for e in w.published] == [EventType.SCHEDULED_EMAIL_SENT]


def test_a_crash_after_the_dispatcher_claimed_is_recovered() -> None:
    w = World()
    emails = [w.schedule(seconds=n) for n in (10, 20, 30)]
    w.clock.advance(seconds=30)
    with pytest.raises(Crash):
        w.dispatch(crash_at="dispatch_claimed")  # claimed and committed, jobs still in the outbox
    assert all(w.get(e.id).status is ScheduledStatus.SENDING for e in emails)
    assert all(w.send(e, version=1) is Outcome.SKIPPED for e in emails)  # the schedule-time jobs are stale
    for e in emails:  # the relayed dispatcher jobs (version 2) go on
        assert w.send(e) is Outcome.SENT
    assert all(w.copies(e) == 1 for e in emails)


def test_two_jobs_for_one_row_send_once() -> None:
    w = World()
    email = w.schedule()
    w.clock.advance(seconds=60)
    w.dispatch()  # version 2, sending
    assert w.send(email, version=1) is Outcome.SKIPPED  # the delayed job came second
    assert w.send(email, version=2) is Outcome.SENT
    assert w.send(email, version=2) is Outcome.SKIPPED  # a duplicate delivery of the same job
    assert w.copies(email) == 1


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
    assert w.send(email, version=1) is Outcome.RETRY_LATER
    first = w.get(email.id)
    assert first.status is ScheduledStatus.SCHEDULED and "Gmail is down" in (first.error or "")
    assert first.due_at == w.clock.now() + timedelta(seconds=10)
    w.clock.advance(seconds=9)
    assert w.dispatch() == 0  # not yet
    w.clock.advance(seconds=1)
    assert w.send(email) is Outcome.RETRY_LATER
    assert w.get(email.id).due_at == w.clock.now() + timedelta(seconds=20)  # doubled
    w.clock.advance(seconds=20)
    assert w.send(email) is Outcome.SENT
    done = w.get(email.id)
    assert done.attempts == 3 and done.error is None and w.copies(email) == 1


def test_gives_up_after_the_last_attempt() -> None:
    w = World()
    email = w.schedule()
    w.mailbox.failures = [ServiceUnavailable("down")] * 3
    w.clock.advance(seconds=60)
    for _ in range(3):
        w.send(email)
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
    assert w.send(email, version=1) is Outcome.FAILED
    failed = w.get(email.id)
    assert failed.status is ScheduledStatus.FAILED and failed.attempts == 1 and failed.error
    (event,) = w.events(EventType.SCHEDULED_EMAIL_FAILED)
    assert event.event.data["error"] == failed.error


def _disable(w: World) -> None:
    with w.uow() as uow:
        uow.users.update(w.user.with_changes(status=UserStatus.DISABLED))
        uow.commit()


def test_the_dispatcher_leaves_fresh_rows_to_their_delayed_job() -> None:
    w = World()
    email = w.schedule(seconds=10)
    w.clock.advance(seconds=10)
    graceful = DispatchDueScheduledEmails(w.uow(), w.clock, w.relay, replace(POLICY, dispatch_grace_seconds=30))
    assert graceful.execute(DispatchDueScheduledEmailsInput("d")) == 0
    w.clock.advance(seconds=30)
    assert graceful.execute(DispatchDueScheduledEmailsInput("d")) == 1  # its job should have run by now
    taken = w.get(email.id)
    assert taken.lease_expires_at == w.clock.now() + timedelta(seconds=POLICY.lease_seconds)
