"""Forward a message with its attachments to new recipients."""

from __future__ import annotations

from dataclasses import dataclass

from application.authorization import require_scope
from application.mail_access import MailAccess
from application.mail_compose import Compose, to_outgoing
from application.ports.html_sanitizer import HtmlSanitizer
from application.ports.mailbox import Mailbox
from application.use_cases.attachments.outgoing import OutgoingAttachments
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
    attachment_ids: tuple[str, ...] = ()


class ForwardEmail:
    def __init__(
        self, access: MailAccess, sanitizer: HtmlSanitizer, attachments: OutgoingAttachments | None = None
    ) -> None:
        self.access, self.sanitizer, self.attachments = access, sanitizer, attachments

    def execute(self, inp: ForwardEmailInput) -> Message:
        require_scope(inp.principal, Scope.MAIL_SEND)
        added = Compose(attachment_ids=inp.attachment_ids)
        if self.attachments is not None:
            added = self.attachments.collect(inp.principal, added, inp.context, when="on send").compose

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
            if self.attachments is not None:  # what someone sent us leaves only if the scanner lets it
                self.attachments.scan(inp.principal, files, inp.context, when="on forward")
            compose = Compose(
                to=inp.to,
                cc=inp.cc,
                subject=prefixed(original.subject, "Fwd:"),
                text_body=inp.text_body + forwarded_block(original),
                attachments=files + added.attachments,
                attachment_ids=added.attachment_ids,
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
