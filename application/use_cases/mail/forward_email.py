"""Forward a message with its attachments to new recipients."""

from __future__ import annotations

from dataclasses import dataclass

from application.mail_access import MailAccess
from application.mail_compose import Compose, to_outgoing
from application.ports.html_sanitizer import HtmlSanitizer
from application.ports.mailbox import Mailbox
from application.use_cases.mail.reply_to_email import prefixed
from application.use_cases.mail.send_email import message_id_for, record_send, send_once
from domain.audit import AuditContext
from domain.identity import Principal, Scope
from domain.mail import EmailAddress, Message, OutgoingAttachment
from domain.mail_account import MailAccount


def forwarded_block(original: Message) -> str:
    header = [
        "---------- Forwarded message ---------",
        f"From: {original.from_ or ''}",
        f"Date: {original.date:%a, %d %b %Y %H:%M}",
        f"Subject: {original.subject}",
        f"To: {', '.join(str(a) for a in original.to)}",
    ]
    return "\n\n" + "\n".join(header) + "\n\n" + original.text_body


@dataclass(frozen=True)
class ForwardEmailInput:
    principal: Principal
    message_id: str
    to: tuple[str, ...]
    text_body: str = ""
    cc: tuple[str, ...] = ()
    include_attachments: bool = True
    account_id: str | None = None
    idempotency_key: str | None = None
    context: AuditContext = AuditContext()


class ForwardEmail:
    def __init__(self, access: MailAccess, sanitizer: HtmlSanitizer) -> None:
        self.access, self.sanitizer = access, sanitizer

    def execute(self, inp: ForwardEmailInput) -> Message:
        def forward(mailbox: Mailbox, account: MailAccount) -> Message:
            original = mailbox.get_message(inp.message_id)
            files = tuple(
                OutgoingAttachment(
                    filename=a.filename,
                    mime_type=a.mime_type,
                    content=mailbox.get_attachment(original.id, a.id),
                    content_id=a.content_id,
                    inline=a.inline,
                )
                for a in original.attachments
                if inp.include_attachments
            )
            compose = Compose(
                to=inp.to,
                cc=inp.cc,
                subject=prefixed(original.subject, "Fwd:"),
                text_body=inp.text_body + forwarded_block(original),
                attachments=files,
            )
            outgoing = to_outgoing(
                compose,
                sender=EmailAddress(address=account.address),
                sanitizer=self.sanitizer,
                message_id=message_id_for(account, inp.idempotency_key),
            )
            outgoing.require_recipients()
            return send_once(mailbox, outgoing)

        account, sent = self.access.run(inp.principal, inp.account_id, Scope.MAIL_SEND, forward)
        record_send(self.access, inp.principal, account, sent, inp.context)
        return sent
