"""Download one attachment of a message."""

from __future__ import annotations

from dataclasses import dataclass

from application.mail_access import MailAccess
from application.ports.mailbox import Mailbox
from domain.audit import AuditContext, MailAuditAction
from domain.errors import NotFound
from domain.identity import Principal, Scope
from domain.mail import Attachment
from domain.mail_account import MailAccount


@dataclass(frozen=True)
class GetAttachmentInput:
    principal: Principal
    message_id: str
    attachment_id: str
    account_id: str | None = None
    context: AuditContext = AuditContext()


class GetAttachment:
    def __init__(self, access: MailAccess) -> None:
        self.access = access

    def execute(self, inp: GetAttachmentInput) -> tuple[Attachment, bytes]:
        def fetch(mb: Mailbox, _: MailAccount) -> tuple[Attachment, bytes]:
            meta = mb.get_message(inp.message_id).attachment(inp.attachment_id)
            if meta is None:
                raise NotFound("No attachment with that id on this message.")
            return meta, mb.get_attachment(inp.message_id, inp.attachment_id)

        account, (meta, content) = self.access.run(inp.principal, inp.account_id, Scope.MAIL_READ, fetch)
        self.access.audit(
            inp.principal,
            MailAuditAction.READ,
            target=f"attachment:{account.id}/{inp.message_id}/{inp.attachment_id}",
            context=inp.context,
        )
        return meta, content
