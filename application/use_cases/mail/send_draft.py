"""Send a draft exactly as saved (a retried request finds the first send by its Message-ID)."""

from __future__ import annotations

from dataclasses import dataclass

from application.mail_access import MailAccess
from application.ports.mailbox import Mailbox
from application.use_cases.attachments.outgoing import OutgoingAttachments
from application.use_cases.mail.send_email import record_send
from domain.attachments import draft_holder
from domain.audit import AuditContext
from domain.errors import ValidationFailed
from domain.identity import Principal, Scope
from domain.mail import Message
from domain.mail_account import MailAccount


@dataclass(frozen=True)
class SendDraftInput:
    principal: Principal
    draft_id: str
    account_id: str | None = None
    context: AuditContext = AuditContext()


class SendDraft:
    def __init__(self, access: MailAccess, attachments: OutgoingAttachments | None = None) -> None:
        self.access, self.attachments = access, attachments

    def execute(self, inp: SendDraftInput) -> Message:
        def send(mailbox: Mailbox, _: MailAccount) -> Message:
            draft = mailbox.get_draft(inp.draft_id)
            if not (draft.message.to or draft.message.cc or draft.message.bcc):
                raise ValidationFailed("The draft has no recipient yet; add one before sending.")
            return mailbox.send_draft(inp.draft_id)

        account, sent = self.access.run(inp.principal, inp.account_id, Scope.MAIL_SEND, send)
        record_send(self.access, inp.principal, account, sent, inp.context)
        if self.attachments is not None:
            self.attachments.release(draft_holder(account.id, inp.draft_id))
        return sent
