"""Delete a draft."""

from __future__ import annotations

from dataclasses import dataclass

from application.mail_access import MailAccess
from application.use_cases.attachments.outgoing import OutgoingAttachments
from domain.attachments import draft_holder
from domain.audit import AuditContext, MailAuditAction
from domain.identity import Principal, Scope


@dataclass(frozen=True)
class DeleteDraftInput:
    principal: Principal
    draft_id: str
    account_id: str | None = None
    context: AuditContext = AuditContext()


class DeleteDraft:
    def __init__(self, access: MailAccess, attachments: OutgoingAttachments | None = None) -> None:
        self.access, self.attachments = access, attachments

    def execute(self, inp: DeleteDraftInput) -> None:
        account, _ = self.access.run(
            inp.principal, inp.account_id, Scope.MAIL_MODIFY, lambda mb, _: mb.delete_draft(inp.draft_id)
        )
        self.access.audit(
            inp.principal,
            MailAuditAction.DRAFT_DELETED,
            target=f"draft:{account.id}/{inp.draft_id}",
            context=inp.context,
        )
        if self.attachments is not None:
            self.attachments.release(draft_holder(account.id, inp.draft_id))
