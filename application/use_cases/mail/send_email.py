"""Send a new message now. An idempotency key makes a retried request find the first send instead of resending."""

from __future__ import annotations

from dataclasses import dataclass

from application.authorization import require_scope
from application.mail_access import MailAccess
from application.mail_compose import Compose, to_outgoing
from application.ports.html_sanitizer import HtmlSanitizer
from application.ports.mailbox import Mailbox
from application.use_cases.attachments.outgoing import OutgoingAttachments
from domain.audit import AuditContext, MailAuditAction
from domain.identity import Principal, Scope, new_id
from domain.mail import EmailAddress, Message, OutgoingMessage
from domain.mail_account import MailAccount
from domain.mime import deterministic_message_id


def message_id_for(account: MailAccount, idempotency_key: str | None) -> str:
    domain = account.address.rpartition("@")[2] or "mailagent.local"
    return deterministic_message_id(f"{account.id}:{idempotency_key or new_id()}", domain)


def send_once(mailbox: Mailbox, message: OutgoingMessage) -> Message:
    """Send unless a message with this Message-ID was already sent (a retried request)."""
    assert message.message_id is not None
    already = mailbox.find_by_message_id(message.message_id)
    if already is not None:
        return already
    return mailbox.send(message)


def record_send(
    access: MailAccess, principal: Principal, account: MailAccount, sent: Message, ctx: AuditContext
) -> None:
    access.audit(
        principal,
        MailAuditAction.SEND,
        target=f"message:{account.id}/{sent.id}",
        context=ctx,
        details={"recipients": len(sent.to) + len(sent.cc) + len(sent.bcc), "message_id": sent.message_id_header},
        changed=account,
    )


@dataclass(frozen=True)
class SendEmailInput:
    principal: Principal
    compose: Compose
    account_id: str | None = None
    idempotency_key: str | None = None
    context: AuditContext = AuditContext()


class SendEmail:
    def __init__(
        self, access: MailAccess, sanitizer: HtmlSanitizer, attachments: OutgoingAttachments | None = None
    ) -> None:
        self.access, self.sanitizer, self.attachments = access, sanitizer, attachments

    def execute(self, inp: SendEmailInput) -> Message:
        compose = inp.compose
        require_scope(inp.principal, Scope.MAIL_SEND)
        if self.attachments is not None:
            compose = self.attachments.collect(inp.principal, compose, inp.context, when="on send").compose

        def send(mailbox: Mailbox, account: MailAccount) -> Message:
            outgoing = to_outgoing(
                compose,
                sender=EmailAddress(address=account.address),
                sanitizer=self.sanitizer,
                message_id=message_id_for(account, inp.idempotency_key),
            )
            outgoing.require_recipients()
            return send_once(mailbox, outgoing)

        account, sent = self.access.run(inp.principal, inp.account_id, Scope.MAIL_SEND, send)
        record_send(self.access, inp.principal, account, sent, inp.context)
        return sent
