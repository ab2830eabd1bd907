"""Schedule a message to be sent later: checked now as a send would be, kept until its time, then sent once."""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from application.authorization import require_scope
from application.mail_access import MailAccess
from application.mail_compose import Compose, to_outgoing
from application.outbox import OutboxRelay
from application.ports.clock import Clock
from application.ports.html_sanitizer import HtmlSanitizer
from application.ports.mailbox import Mailbox
from application.ports.unit_of_work import UnitOfWork
from application.use_cases.attachments.outgoing import OutgoingAttachments
from application.use_cases.scheduled.common import DeliveryPolicy, enqueue_wake_up
from domain.attachments import Upload, scheduled_holder
from domain.audit import AuditContext, AuditDraft
from domain.errors import ReauthRequired, ValidationFailed
from domain.identity import UNDO_SEND_DEFAULT, Principal, Scope, new_id
from domain.mail import EmailAddress, Message, OutgoingAttachment, OutgoingMessage
from domain.mail_account import AccountStatus, MailAccount
from domain.mime import deterministic_message_id, reply_threading
from domain.scheduled_email import ResolvedSendTime, ScheduledAuditAction, ScheduledEmail, resolve_send_at


class ThreadKind(enum.StrEnum):
    REPLY = "reply"
    FORWARD = "forward"


@dataclass(frozen=True)
class ThreadReference:
    """The message a scheduled reply or forward belongs with. The send keeps that conversation: In-Reply-To and
    References name the message (as Gmail does for forwards too) and it joins the same thread. A forward can take
    the message's own attachments along (scanned now, like any file that leaves)."""

    message_id: str  # the provider's id of the message (GET /emails/{id})
    kind: ThreadKind = ThreadKind.REPLY
    include_attachments: bool = True  # forwards only


@dataclass(frozen=True)
class ScheduleEmailInput:
    principal: Principal
    compose: Compose
    send_at: str
    timezone: str | None = None
    account_id: str | None = None
    context: AuditContext = AuditContext()
    thread: ThreadReference | None = None
    # Undo send: instead of `send_at`, hold the message for the sender's own undo window (kept with the user).
    undo_hold: bool = False


@dataclass(frozen=True)
class _Original:
    message: Message
    files: tuple[OutgoingAttachment, ...]


@dataclass(frozen=True)
class SchedulePreparedInput:
    """A message already resolved in full (an approved agent action): it is stored exactly as it is, for exactly
    this instant."""

    principal: Principal
    account_id: str
    message: OutgoingMessage  # with its Message-ID
    when: ResolvedSendTime
    context: AuditContext = AuditContext()


@dataclass(frozen=True)
class Scheduled:
    email: ScheduledEmail
    adjustment: str | None  # how a DST gap or overlap was resolved, to show the person


class ScheduleEmail:
    def __init__(
        self,
        uow: UnitOfWork,
        access: MailAccess,
        sanitizer: HtmlSanitizer,
        clock: Clock,
        relay: OutboxRelay,
        policy: DeliveryPolicy,
        attachments: OutgoingAttachments | None = None,
    ) -> None:
        self.uow, self.access, self.sanitizer, self.clock = uow, access, sanitizer, clock
        self.relay, self.policy, self.attachments = relay, policy, attachments

    def execute(self, inp: ScheduleEmailInput) -> Scheduled:
        require_scope(inp.principal, Scope.MAIL_SEND)
        now = self.clock.now()
        when = (
            self._undo_window(inp.principal, now)
            if inp.undo_hold
            else resolve_send_at(inp.send_at, inp.timezone, now=now)
        )
        account = self._account(inp.principal, inp.account_id)
        compose, uploads = inp.compose, tuple[Upload, ...]()
        if self.attachments is not None:
            collected = self.attachments.collect(inp.principal, compose, inp.context, when="when scheduled")
            compose, uploads = collected.compose, collected.uploads
        in_reply_to: str | None = None
        references: tuple[str, ...] = ()
        thread_id: str | None = None
        if inp.thread is not None:
            original = self._original(inp.principal, account, inp.thread, inp.context)
            in_reply_to, references = reply_threading(original.message)
            thread_id = original.message.thread_id
            compose = replace(compose, attachments=original.files + compose.attachments)
        email_id = new_id()
        domain = account.address.rpartition("@")[2] or "mailagent.local"
        outgoing = to_outgoing(
            compose,
            sender=EmailAddress(address=account.address),
            sanitizer=self.sanitizer,
            in_reply_to=in_reply_to,
            references=references,
            thread_id=thread_id,
            message_id=deterministic_message_id(f"scheduled:{account.id}:{email_id}", domain),
        )
        done = self._store(inp.principal, account, email_id, outgoing, when, inp.context)
        if self.attachments is not None and uploads:  # kept until it is sent, cancelled or fails
            self.attachments.hold(uploads, scheduled_holder(done.email.id))
        return done

    def execute_prepared(self, inp: SchedulePreparedInput) -> Scheduled:
        require_scope(inp.principal, Scope.MAIL_SEND)
        now = self.clock.now()
        if inp.when.send_at <= now:
            raise ValidationFailed(
                f"The time to send this ({inp.when.send_at:%Y-%m-%d %H:%M} UTC) has passed; nothing was scheduled. "
                "Change the time and approve again.",
                details=[{"field": "send_at", "issue": "in_the_past"}],
            )
        if not inp.message.message_id:
            raise ValidationFailed("A prepared message needs its Message-ID.")
        account = self._account(inp.principal, inp.account_id)
        return self._store(inp.principal, account, new_id(), inp.message, inp.when, inp.context)

    def _original(
        self, principal: Principal, account: MailAccount, thread: ThreadReference, context: AuditContext
    ) -> _Original:
        """The message replied to or forwarded, read from the mailbox now (NotFound if it is not there), with the
        files a forward takes along."""
        forwarding = thread.kind is ThreadKind.FORWARD and thread.include_attachments

        def read(mailbox: Mailbox, _: MailAccount) -> _Original:
            message = mailbox.get_message(thread.message_id)
            files = tuple(
                OutgoingAttachment(
                    filename=a.filename,
                    mime_type=a.mime_type,
                    content=mailbox.get_attachment(message.id, a.id),
                    content_id=a.content_id,
                    inline=a.inline,
                )
                for a in message.attachments
                if forwarding
            )
            return _Original(message, files)

        _, original = self.access.run(principal, account.id, Scope.MAIL_SEND, read)
        if original.files and self.attachments is not None:  # what someone sent us leaves only if the scanner agrees
            self.attachments.scan(principal, original.files, context, when="when scheduled")
        return original

    def _undo_window(self, principal: Principal, now: datetime) -> ResolvedSendTime:
        """Now plus the sender's undo window, read from the user (not the request), so every device holds alike."""
        with self.uow as uow:
            user = uow.users.get(principal.user_id)
        seconds = user.undo_send_seconds if user is not None else UNDO_SEND_DEFAULT
        return ResolvedSendTime(send_at=now + timedelta(seconds=seconds), timezone="UTC")

    def _account(self, principal: Principal, account_id: str | None) -> MailAccount:
        account = self.access.account(principal, account_id)
        if account.status is AccountStatus.REAUTH_REQUIRED:
            raise ReauthRequired(f"The mailbox {account.address} must be connected again before it can send.")
        return account

    def _store(
        self,
        principal: Principal,
        account: MailAccount,
        email_id: str,
        outgoing: OutgoingMessage,
        when: ResolvedSendTime,
        context: AuditContext,
    ) -> Scheduled:
        now = self.clock.now()
        outgoing.require_recipients()
        email = ScheduledEmail.new(
            id=email_id,
            user_id=principal.user_id,
            account_id=account.id,
            message=outgoing,
            when=when,
            now=now,
        )
        with self.uow as uow:
            uow.scheduled_emails.add(email)
            uow.audit.append(
                AuditDraft(
                    ScheduledAuditAction.SCHEDULED,
                    actor_id=principal.user_id,
                    target=f"scheduled:{email.id}",
                    context=context,
                    details={
                        "recipients": len(outgoing.recipients),
                        "send_at": email.send_at.isoformat(),
                        "timezone": email.timezone,
                    },
                ),
                at=now,
            )
            # A delayed job at the send time keeps lateness low; the periodic dispatcher is the safety net.
            enqueue_wake_up(uow, self.clock, self.policy, email.due_at)
            uow.commit()
        self.relay.flush()
        return Scheduled(email, when.adjustment)
