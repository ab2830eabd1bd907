"""Send one scheduled email, exactly once as the recipient sees it, whatever crashed before.

1. Hold the row: the dispatcher claims due rows in batches under a lease (`deliver` takes a held row); the
   `scheduled.send` job of older versions names a row and its version and claims it (or renews the dispatcher's
   lease) by compare-and-set on that version, so of two jobs for one row at most one goes on.
2. Look in the mailbox's Sent for the row's deterministic Message-ID; send only if it is not there.
3. Mark it sent, store a `scheduled_email.sent` event and an audit entry, in one transaction; then relay.
A crash between any two steps leaves the row `sending`; when its lease expires the dispatcher claims it again and
step 2 finds what step 2 already sent. Sending must take less than the lease (see DeliveryPolicy).
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from application.outbox import OutboxRelay, enqueue_after_commit
from application.ports.clock import Clock
from application.ports.job_queue import failure_text
from application.ports.mailbox_provider import MailboxProvider
from application.ports.metrics import NO_METRICS, SCHEDULED_SEND_LATENESS, SCHEDULED_SENDS, Metrics
from application.ports.unit_of_work import UnitOfWork
from application.use_cases.attachments.common import release_holds
from application.use_cases.mail.sync_mailbox import SYNC_JOB, SYNC_RETRY, sync_job_id
from application.use_cases.scheduled.common import DeliveryPolicy, enqueue_wake_up
from domain.attachments import scheduled_holder
from domain.audit import AuditContext, AuditDraft
from domain.errors import Conflict, DomainError, QuotaExceeded, RateLimited, ReauthRequired
from domain.events import DomainEvent, EventType, event_id
from domain.mail import SENT, Message
from domain.mail_account import AccountStatus, MailAccount
from domain.scheduled_email import ScheduledAuditAction, ScheduledEmail, ScheduledStatus

MAX_EVENT_RECIPIENTS = 10

Checkpoint = Callable[[str, str], None]  # (step, the email ids concerned): crash tests hook in here


class Outcome(enum.StrEnum):
    SENT = "sent"
    RECONCILED = "reconciled"  # it was already in Sent (an earlier attempt crashed after sending)
    RETRY_LATER = "retry_later"
    FAILED = "failed"
    SKIPPED = "skipped"  # not ours (superseded, cancelled, done, not due, or another worker holds it)


@dataclass(frozen=True)
class SendScheduledEmailInput:
    email_id: str
    version: int
    owner: str  # who holds the lease (worker host/pid), for operators
    checkpoint: Checkpoint | None = None  # called between steps (crash tests hook in here)


class _Permanent(Exception):
    def __init__(self, message: str, *, reauth: bool = False) -> None:
        super().__init__(message)
        self.message, self.reauth = message, reauth


class SendScheduledEmail:
    def __init__(
        self,
        uow: UnitOfWork,
        mailboxes: MailboxProvider,
        clock: Clock,
        relay: OutboxRelay,
        policy: DeliveryPolicy,
        metrics: Metrics = NO_METRICS,
    ) -> None:
        self.uow, self.mailboxes, self.clock, self.relay, self.policy = uow, mailboxes, clock, relay, policy
        self.metrics = metrics

    def execute(self, inp: SendScheduledEmailInput) -> Outcome:
        """The `scheduled.send` job: hold the named row, send it, relay."""
        step = inp.checkpoint or (lambda _step, _detail: None)
        held = self._take(inp)
        if held is None:
            return Outcome.SKIPPED
        step("claimed", held.id)
        outcome = self.deliver(held, inp.checkpoint)
        self.relay.flush()
        return outcome

    def deliver(self, held: ScheduledEmail, checkpoint: Checkpoint | None = None) -> Outcome:
        """Send a row this process holds (status `sending`, its lease ours) and record the outcome. The caller
        relays afterwards (a batch relays once)."""
        outcome = self._deliver(held, checkpoint)
        if outcome in (Outcome.SENT, Outcome.RECONCILED):
            self.metrics.increment(SCHEDULED_SENDS, outcome="sent")
        elif outcome is Outcome.FAILED:
            self.metrics.increment(SCHEDULED_SENDS, outcome="failed")
        return outcome

    def _deliver(self, held: ScheduledEmail, checkpoint: Checkpoint | None = None) -> Outcome:
        step = checkpoint or (lambda _step, _detail: None)
        try:
            account = self._account(held)
            mailbox = self.mailboxes.open(account)
            already = mailbox.find_by_message_id(held.message_id)
            if already is not None and SENT in already.label_ids:
                sent, outcome = already, Outcome.RECONCILED
            else:
                sent, outcome = mailbox.send(held.message), Outcome.SENT
                step("provider_sent", held.id)
        except _Permanent as exc:
            self._fail(held, exc.message, reauth=exc.reauth)
            return Outcome.FAILED
        except (RateLimited, QuotaExceeded) as exc:
            return self._retry_or_fail(held, failure_text(exc))
        except ReauthRequired as exc:
            self._fail(held, exc.message, reauth=True)
            return Outcome.FAILED
        except DomainError as exc:  # the provider refused this message (bad address, too large...)
            self._fail(held, exc.message)
            return Outcome.FAILED
        except Exception as exc:  # a passing failure (network, provider 5xx) or a bug: try again later
            return self._retry_or_fail(held, failure_text(exc))
        self._mark_sent(held, sent)
        lateness = (self.clock.now() - held.send_at).total_seconds()
        self.metrics.observe(SCHEDULED_SEND_LATENESS, max(0.0, lateness))
        step("marked_sent", held.id)
        return outcome

    # -- steps -----------------------------------------------------------------------------------------------

    def _take(self, inp: SendScheduledEmailInput) -> ScheduledEmail | None:
        with self.uow as uow:
            email = uow.scheduled_emails.get(inp.email_id)
            if email is None or email.version != inp.version:
                return None
            now = self.clock.now()
            if email.status is ScheduledStatus.SCHEDULED:
                if not email.is_due(now):
                    return None  # early (clock skew between processes): the dispatcher takes it when due
                held = email.claim(inp.owner, now, self.policy.lease)
            elif email.status is ScheduledStatus.SENDING:
                held = email.renew(inp.owner, now, self.policy.lease)
            else:
                return None
            try:
                uow.scheduled_emails.update(held, expected_version=email.version)
                uow.commit()
            except Conflict:
                return None
        return held

    def _account(self, email: ScheduledEmail) -> MailAccount:
        """The checks a send now would make: the user may still send, and still has this mailbox."""
        with self.uow as uow:
            user = uow.users.get(email.user_id)
            account = uow.mail_accounts.get(email.account_id)
        if user is None or not user.is_active:
            raise _Permanent("The account that scheduled this email is disabled.")
        if account is None or account.user_id != email.user_id:
            raise _Permanent("The mailbox this email was to be sent from is no longer connected.")
        if account.status is AccountStatus.REAUTH_REQUIRED:
            raise _Permanent(f"The mailbox {account.address} must be connected again: the provider refused access.")
        return account

    def _mark_sent(self, held: ScheduledEmail, sent: Message) -> None:
        with self.uow as uow:
            now = self.clock.now()
            done = held.mark_sent(sent.id, now)
            try:
                uow.scheduled_emails.update(done, expected_version=held.version)
            except Conflict:
                return  # our lease was taken over: the new holder finds the message in Sent and marks it
            uow.events.append(
                DomainEvent(
                    id=event_id(EventType.SCHEDULED_EMAIL_SENT.value, held.id),
                    user_id=held.user_id,
                    account_id=held.account_id,
                    type=EventType.SCHEDULED_EMAIL_SENT,
                    occurred_at=now,
                    data={**_display(done), "email_id": sent.id, "thread_id": sent.thread_id},
                )
            )
            uow.audit.append(
                AuditDraft(
                    ScheduledAuditAction.SENT,
                    actor_id=held.user_id,
                    target=f"message:{held.account_id}/{sent.id}",
                    context=AuditContext(),
                    details={
                        "recipients": len(held.message.recipients),
                        "message_id": held.message_id,
                        "scheduled_id": held.id,
                    },
                ),
                at=now,
            )
            release_holds(uow, scheduled_holder(held.id), now)
            # Like any send through the API: a sync picks the message up from Sent and announces email.sent.
            enqueue_after_commit(
                uow,
                self.clock,
                SYNC_JOB,
                {"account_id": held.account_id},
                job_id=sync_job_id(held.account_id),
                retry=SYNC_RETRY,
            )
            uow.commit()

    def _retry_or_fail(self, held: ScheduledEmail, error: str) -> Outcome:
        if held.attempts >= self.policy.max_attempts:
            self._fail(held, f"Gave up after {held.attempts} attempts: {error}")
            return Outcome.FAILED
        with self.uow as uow:
            now = self.clock.now()
            later = held.retry_later(error, now, now + self.policy.backoff(held.attempts))
            try:
                uow.scheduled_emails.update(later, expected_version=held.version)
            except Conflict:
                return Outcome.SKIPPED
            enqueue_wake_up(uow, self.clock, self.policy, later.due_at)
            uow.commit()
        return Outcome.RETRY_LATER

    def _fail(self, held: ScheduledEmail, error: str, *, reauth: bool = False) -> None:
        with self.uow as uow:
            now = self.clock.now()
            failed = held.mark_failed(error, now)
            try:
                uow.scheduled_emails.update(failed, expected_version=held.version)
            except Conflict:
                return
            if reauth:
                account = uow.mail_accounts.get(held.account_id)
                if account is not None and account.status is not AccountStatus.REAUTH_REQUIRED:
                    uow.mail_accounts.update(
                        replace(account, status=AccountStatus.REAUTH_REQUIRED, last_error=error[:500], updated_at=now)
                    )
            uow.events.append(
                DomainEvent(
                    id=event_id(EventType.SCHEDULED_EMAIL_FAILED.value, held.id),
                    user_id=held.user_id,
                    account_id=held.account_id,
                    type=EventType.SCHEDULED_EMAIL_FAILED,
                    occurred_at=now,
                    data={**_display(failed), "error": failed.error, "attempts": failed.attempts},
                )
            )
            uow.audit.append(
                AuditDraft(
                    ScheduledAuditAction.FAILED,
                    actor_id=held.user_id,
                    target=f"scheduled:{held.id}",
                    context=AuditContext(),
                    details={"error": failed.error or "", "attempts": failed.attempts},
                ),
                at=now,
            )
            release_holds(uow, scheduled_holder(held.id), now)
            uow.commit()


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _display(email: ScheduledEmail) -> dict[str, Any]:
    """What a live client shows: ids, status, times, subject and (some) recipients; never the body."""
    recipients = email.message.recipients
    return {
        "scheduled_id": email.id,
        "status": email.status.value,
        "subject": email.message.subject,
        "to": [a.address for a in recipients[:MAX_EVENT_RECIPIENTS]],
        "recipients": len(recipients),
        "send_at": _iso(email.send_at),
        "timezone": email.timezone,
        "sent_at": _iso(email.sent_at),
        "message_id": email.message_id,
    }
