"""An installation in memory for mailbox-sync tests: users, accounts with InMemoryMailboxes, the real use cases."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from adapters.in_memory.cache import InMemoryCache
from adapters.in_memory.clock import InMemoryClock
from adapters.in_memory.event_bus import InMemoryEventBus
from adapters.in_memory.mailbox import InMemoryMailbox
from adapters.in_memory.unit_of_work import InMemoryStore, InMemoryUnitOfWork
from application.outbox import OutboxRelay
from application.ports.job_queue import FailedJob, JobQueue, JsonScalar, QueueStatus, RetryPolicy
from application.ports.mailbox import Mailbox
from application.ports.mailbox_provider import MailboxProvider
from application.ports.unit_of_work import UnitOfWork
from application.use_cases.mail.handle_google_push import HandleGooglePush
from application.use_cases.mail.poll_mailboxes import PollMailboxes
from application.use_cases.mail.renew_watches import RenewWatches
from application.use_cases.mail.sync_mailbox import SyncMailbox, SyncMailboxInput, SyncResult
from domain.events import DomainEvent, StoredEvent
from domain.identity import Role, User, UserStatus, new_id
from domain.mail import INBOX, UNREAD, EmailAddress
from domain.mail_account import AccountStatus, MailAccount, MailProvider
from tests.support.mailbox_seed import incoming_raw

T0 = datetime.fromisoformat("2026-03-02T09:00:00+00:00")


class RecordingJobQueue(JobQueue):
    """Keeps what was enqueued (a taken id is a no-op, like every adapter)."""

    def __init__(self) -> None:
        self.jobs: dict[str, tuple[str, dict[str, JsonScalar], RetryPolicy | None]] = {}
        self.order: list[str] = []
        self._lock = threading.Lock()

    def enqueue(
        self,
        name: str,
        payload: Mapping[str, JsonScalar],
        *,
        job_id: str | None = None,
        at: datetime | None = None,
        retry: RetryPolicy | None = None,
    ) -> str:
        job_id = job_id or new_id()
        with self._lock:
            if job_id not in self.jobs:
                self.jobs[job_id] = (name, dict(payload), retry)
                self.order.append(job_id)
        return job_id

    def named(self, name: str) -> list[dict[str, JsonScalar]]:
        return [self.jobs[i][1] for i in self.order if self.jobs[i][0] == name]

    def cancel(self, job_id: str) -> bool:
        return self.jobs.pop(job_id, None) is not None

    def failed(self) -> list[FailedJob]:
        return []

    def requeue(self, job_id: str) -> None:
        return None

    def status(self) -> QueueStatus:
        with self._lock:
            return QueueStatus(workers=(), scheduler=None, depths={"default": len(self.jobs)})


class WatchableMailbox(InMemoryMailbox):
    """An in-memory mailbox that can push like Gmail: `watch` lasts 7 days; `watch_error` makes it fail."""

    def __init__(self, address: str, *, clock: InMemoryClock) -> None:
        super().__init__(address, clock=clock.now)
        self.test_clock = clock
        self.watch_error: Exception | None = None
        self.watches: list[str] = []

    def watch(self, topic: str) -> datetime:
        if self.watch_error is not None:
            raise self.watch_error
        self.watches.append(topic)
        return self.test_clock.now() + timedelta(days=7)

    def stop_watch(self) -> None:
        self.watches.clear()


class Mailboxes(MailboxProvider):
    def __init__(self, clock: InMemoryClock) -> None:
        self.clock = clock
        self.by_account: dict[str, Mailbox] = {}
        self.open_error: Exception | None = None

    def supports(self, provider: MailProvider) -> bool:
        return True

    def open(self, account: MailAccount) -> Mailbox:
        if self.open_error is not None:
            raise self.open_error
        return self.by_account[account.id]

    def provision(self, account: MailAccount) -> None:
        return None


class SyncWorld:
    """`uow_factory`: another UnitOfWork (e.g. SQLAlchemy on PostgreSQL) instead of the in-memory one."""

    def __init__(self, start: datetime = T0, *, uow_factory: Callable[[], UnitOfWork] | None = None) -> None:
        self.clock = InMemoryClock(start)
        self.store = InMemoryStore()
        self._uow_factory = uow_factory
        self.bus = InMemoryEventBus()
        self.jobs = RecordingJobQueue()
        self.cache = InMemoryCache(self.clock)
        self.mailboxes = Mailboxes(self.clock)
        self.relay = OutboxRelay(self.uow, self.jobs, self.bus, self.clock)

    def uow(self) -> UnitOfWork:
        if self._uow_factory is not None:
            return self._uow_factory()
        return InMemoryUnitOfWork(self.store)

    def add_account(
        self,
        email: str,
        *,
        provider: MailProvider = MailProvider.DEMO,
        address: str | None = None,
        user: User | None = None,
        mailbox: Mailbox | None = None,
    ) -> tuple[MailAccount, Any]:
        with self.uow() as uow:
            if user is None:
                user = User(new_id(), email, Role.USER, UserStatus.ACTIVE, created_at=self.clock.now())
                uow.users.add(user)
            account = MailAccount(
                id=new_id(),
                user_id=user.id,
                provider=provider,
                address=address or email,
                status=AccountStatus.ACTIVE,
                created_at=self.clock.now(),
                updated_at=self.clock.now(),
            )
            uow.mail_accounts.add(account)
            uow.commit()
        box = mailbox if mailbox is not None else WatchableMailbox(account.address, clock=self.clock)
        self.mailboxes.by_account[account.id] = box
        return account, box

    # use cases -----------------------------------------------------------------------------------------------

    def sync_use_case(self) -> SyncMailbox:
        return SyncMailbox(self.uow(), self.mailboxes, self.clock, self.relay, self.cache)

    def sync(self, account: MailAccount) -> SyncResult:
        return self.sync_use_case().execute(SyncMailboxInput(account.id))

    def push(self) -> HandleGooglePush:
        return HandleGooglePush(self.uow(), self.jobs)

    def poll(self, interval: float = 300) -> PollMailboxes:
        return PollMailboxes(self.uow(), self.jobs, self.cache, self.clock, interval)

    def renew(self, topic: str | None = "projects/mailagent-test/topics/gmail") -> RenewWatches:
        return RenewWatches(self.uow(), self.mailboxes, self.clock, topic, self.relay)

    # inspection ----------------------------------------------------------------------------------------------

    def events(self, user_id: str) -> list[DomainEvent]:
        with self.uow() as uow:
            return [s.event for s in uow.events.after(user_id, 0, limit=10_000)]

    def published(self, user_id: str) -> list[StoredEvent]:
        return [s for s in self.bus.published if s.event.user_id == user_id]


def deliver(
    box: InMemoryMailbox, clock: InMemoryClock, *, sender: str = "pat@example.com", subject: str = "Hi", **kw: Any
) -> str:
    raw = incoming_raw(
        sender=EmailAddress(address=sender, name="Pat"),
        to=(EmailAddress(address=box.address()),),
        subject=subject,
        text=kw.pop("text", "Body text that must never reach an event."),
        date=clock.now(),
    )
    return box.deliver(raw, kw.pop("labels", (INBOX, UNREAD)))
