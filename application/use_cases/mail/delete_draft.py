"""Delete a draft."""

from __future__ import annotations

from dataclasses import dataclass

from application.mail_access import MailAccess
from domain.audit import AuditContext, MailAuditAction
from domain.identity import Principal, Scope


@dataclass(frozen=True)
class DeleteDraftInput:
    principal: Principal
    draft_id: str
    account_id: str | None = None
    context: AuditContext = AuditContext()


class DeleteDraft:
    def __init__(self, access: MailAccess) -> None:
        self.access = access

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
