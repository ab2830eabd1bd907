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
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from application.outbox import OutboxRelay, enqueue_after_commit
from application.ports.clock import Clock
from application.ports.job_queue import failure_text
from application.ports.mailbox_provider import MailboxProvider
from application.ports.metrics import NO_METRICS, SCHEDULED_SEND_LATENESS, SCHEDULED_SENDS, Metrics
from application.ports.unit_of_work import UnitOfWork
from application.use_cases.attachments.common import release_holds, release_holds_many
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


@dataclass(frozen=True)
class _Transmitted:
    held: ScheduledEmail
    message: Message
    outcome: Outcome  # SENT, or RECONCILED when an earlier attempt had sent it


@dataclass(frozen=True)
class _Refused:
    held: ScheduledEmail
    why: _Permanent | str  # a permanent refusal, or the text of a passing failure (tried again later)


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
        return self.deliver_batch([held], checkpoint)[held.id]

    def deliver_batch(
        self, batch: Sequence[ScheduledEmail], checkpoint: Checkpoint | None = None, pool: Executor | None = None
    ) -> dict[str, Outcome]:
        """Send rows this process holds and record the outcomes: one read transaction checks every sender and
        mailbox of the batch, the sends run on `pool` (one after another without it), and one write transaction
        marks every sent row with its event and audit entry. A failure is recorded on its own row. A crash before
        that transaction leaves the batch `sending`: once the lease runs out, the next claim finds each sent
        message in Sent (step 2) instead of sending it again. The caller relays afterwards."""
        step = checkpoint or (lambda _step, _detail: None)
        accounts = self._accounts(batch)
        ready = [(email, account) for email in batch if isinstance(account := accounts[email.id], MailAccount)]
        outcomes: dict[str, Outcome] = {}
        interrupted: BaseException | None = None
        results: list[_Transmitted | _Refused] = []
        if pool is None or len(ready) <= 1:
            try:
                for email, account in ready:
                    results.append(self._transmit(email, account, step))
            except BaseException as exc:  # a crash test's stand-in for SIGKILL: keep what went out, then go on
                interrupted = exc
        else:
            futures = [pool.submit(self._transmit, email, account, step) for email, account in ready]
            for future in futures:  # wait for every send before recording: each one holds a row
                try:
                    results.append(future.result())
                except BaseException as exc:
                    interrupted = interrupted or exc
        sent = [r for r in results if isinstance(r, _Transmitted)]
        if sent:
            marked = self._mark_sent(sent)
            done = set(marked)
            for r in sent:  # a row whose lease was taken over meanwhile is its new holder's
                outcomes[r.held.id] = r.outcome if r.held.id in done else Outcome.SKIPPED
            if marked:
                step("marked_sent", ",".join(marked))
        refused = [r for r in results if isinstance(r, _Refused)]
        for email in batch:
            check = accounts[email.id]
            if isinstance(check, _Permanent):
                refused.append(_Refused(email, check))
        for failure in refused:
            outcomes[failure.held.id] = self._refused(failure)
        if interrupted is not None:
            raise interrupted
        now = self.clock.now()
        for r in sent:
            if outcomes[r.held.id] in (Outcome.SENT, Outcome.RECONCILED):
                self.metrics.increment(SCHEDULED_SENDS, outcome="sent")
                self.metrics.observe(SCHEDULED_SEND_LATENESS, max(0.0, (now - r.held.send_at).total_seconds()))
        for outcome in outcomes.values():
            if outcome is Outcome.FAILED:
                self.metrics.increment(SCHEDULED_SENDS, outcome="failed")
        return outcomes

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

    def _accounts(self, batch: Sequence[ScheduledEmail]) -> dict[str, MailAccount | _Permanent]:
        """The checks a send now would make, for the whole batch in one read: the user may still send, and still
        has this mailbox."""
        with self.uow as uow:
            users = {user_id: uow.users.get(user_id) for user_id in {e.user_id for e in batch}}
            accounts = {account_id: uow.mail_accounts.get(account_id) for account_id in {e.account_id for e in batch}}
        found: dict[str, MailAccount | _Permanent] = {}
        for email in batch:
            user, account = users[email.user_id], accounts[email.account_id]
            if user is None or not user.is_active:
                found[email.id] = _Permanent("The account that scheduled this email is disabled.")
            elif account is None or account.user_id != email.user_id:
                found[email.id] = _Permanent("The mailbox this email was to be sent from is no longer connected.")
            elif account.status is AccountStatus.REAUTH_REQUIRED:
                found[email.id] = _Permanent(
                    f"The mailbox {account.address} must be connected again: the provider refused access.",
                    reauth=True,
                )
            else:
                found[email.id] = account
        return found

    def _transmit(self, held: ScheduledEmail, account: MailAccount, step: Checkpoint) -> _Transmitted | _Refused:
        """Steps 2 and 3 for one row, without the database: look in Sent, send if it is not there."""
        try:
            mailbox = self.mailboxes.open(account)
            already = mailbox.find_by_message_id(held.message_id)
            if already is not None and SENT in already.label_ids:
                return _Transmitted(held, already, Outcome.RECONCILED)
            sent = mailbox.send(held.message)
            step("provider_sent", held.id)
            return _Transmitted(held, sent, Outcome.SENT)
        except _Permanent as exc:
            return _Refused(held, exc)
        except (RateLimited, QuotaExceeded) as exc:
            return _Refused(held, failure_text(exc))
        except ReauthRequired as exc:
            return _Refused(held, _Permanent(exc.message, reauth=True))
        except DomainError as exc:  # the provider refused this message (bad address, too large...)
            return _Refused(held, _Permanent(exc.message))
        except Exception as exc:  # a passing failure (network, provider 5xx) or a bug: try again later
            return _Refused(held, failure_text(exc))

    def _refused(self, refused: _Refused) -> Outcome:
        if isinstance(refused.why, _Permanent):
            self._fail(refused.held, refused.why.message, reauth=refused.why.reauth)
            return Outcome.FAILED
        return self._retry_or_fail(refused.held, refused.why)

    def _mark_sent(self, sent: Sequence[_Transmitted]) -> list[str]:
        """One transaction for the batch: each row marked sent by compare-and-set (a row whose lease was taken
        over is left to its new holder, which finds the message in Sent), with its event and audit entry; one
        follow-up sync per account. Returns the ids marked. Every row is written with one statement when all of
        them are still ours (the usual case); if any is not, that transaction is rolled back and the batch goes
        row by row."""
        with self.uow as uow:
            now = self.clock.now()
            done = [(r, r.held.mark_sent(r.message.id, now)) for r in sent]
            try:
                uow.scheduled_emails.update_all([(new, r.held.version) for r, new in done])
            except Conflict:
                pass  # leaving the block without commit rolls it back
            else:
                self._record_sent(uow, done, now)
                uow.commit()
                return [r.held.id for r, _ in done]
        with self.uow as uow:
            now = self.clock.now()
            marked: list[tuple[_Transmitted, ScheduledEmail]] = []
            for r in sent:
                new = r.held.mark_sent(r.message.id, now)
                try:
                    uow.scheduled_emails.update(new, expected_version=r.held.version)
                except Conflict:
                    continue
                marked.append((r, new))
            if not marked:
                return []
            self._record_sent(uow, marked, now)
            uow.commit()
        return [r.held.id for r, _ in marked]

    def _record_sent(
        self, uow: UnitOfWork, marked: Sequence[tuple[_Transmitted, ScheduledEmail]], now: datetime
    ) -> None:
        """What goes with rows just marked sent, in their transaction: an event and an audit entry each, their
        attachment holds released, one follow-up sync per account."""
        events = [
            DomainEvent(
                id=event_id(EventType.SCHEDULED_EMAIL_SENT.value, r.held.id),
                user_id=r.held.user_id,
                account_id=r.held.account_id,
                type=EventType.SCHEDULED_EMAIL_SENT,
                occurred_at=now,
                data={**_display(done), "email_id": r.message.id, "thread_id": r.message.thread_id},
            )
            for r, done in marked
        ]
        for r, _ in marked:  # the unit of work writes a transaction's audit entries with one INSERT at commit
            uow.audit.append(
                AuditDraft(
                    ScheduledAuditAction.SENT,
                    actor_id=r.held.user_id,
                    target=f"message:{r.held.account_id}/{r.message.id}",
                    context=AuditContext(),
                    details={
                        "recipients": len(r.held.message.recipients),
                        "message_id": r.held.message_id,
                        "scheduled_id": r.held.id,
                    },
                ),
                at=now,
            )
        release_holds_many(uow, [scheduled_holder(r.held.id) for r, _ in marked], now)
        uow.events.append_many(events)
        # Like any send through the API: a sync picks the message up from Sent and announces email.sent.
        for account_id in dict.fromkeys(r.held.account_id for r, _ in marked):
            enqueue_after_commit(
                uow,
                self.clock,
                SYNC_JOB,
                {"account_id": account_id},
                job_id=sync_job_id(account_id),
                retry=SYNC_RETRY,
            )

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
