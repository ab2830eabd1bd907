"""Search the caller's mail with Gmail query syntax, newest first, paged."""

from __future__ import annotations

from dataclasses import dataclass

from application.mail_access import MailAccess
from domain.audit import AuditContext, MailAuditAction
from domain.errors import ValidationFailed
from domain.identity import Principal, Scope
from domain.mail import SearchPage
from domain.mail_account import MailAccount

MAX_QUERY = 1000


@dataclass(frozen=True)
class SearchEmailsInput:
    principal: Principal
    query: str = ""
    account_id: str | None = None
    label_ids: tuple[str, ...] = ()
    page_token: str | None = None
    limit: int = 50
    context: AuditContext = AuditContext()


class SearchEmails:
    def __init__(self, access: MailAccess) -> None:
        self.access = access

    def execute(self, inp: SearchEmailsInput) -> tuple[MailAccount, SearchPage]:
        if len(inp.query) > MAX_QUERY:
            raise ValidationFailed(f"The search is longer than {MAX_QUERY} characters.", details=[{"field": "q"}])
        account, page = self.access.run(
            inp.principal,
            inp.account_id,
            Scope.MAIL_READ,
            lambda mailbox, _: mailbox.search(
                inp.query, label_ids=inp.label_ids, page_token=inp.page_token, limit=inp.limit
            ),
        )
        self.access.audit(
            inp.principal,
            MailAuditAction.SEARCH,
            target=f"mail_account:{account.id}",
            context=inp.context,
            details={"query": inp.query[:200], "labels": list(inp.label_ids), "results": len(page.messages)},
        )
        return account, page
