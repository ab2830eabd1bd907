"""The unified inbox: search every mailbox of the caller at once, merged newest first, each message with its account."""

from __future__ import annotations

from dataclasses import dataclass

from application.authorization import require_scope
from application.mail_access import NO_ACCOUNT, MailAccess
from application.use_cases.mail.merged_pages import merge_pages, search_fingerprint
from application.use_cases.mail.search_emails import MAX_QUERY
from domain.audit import AuditContext, MailAuditAction
from domain.errors import NotFound, ValidationFailed
from domain.identity import Principal, Scope
from domain.mail import Message, SearchPage
from domain.mail_account import MailAccount


@dataclass(frozen=True)
class SearchAllMailboxesInput:
    principal: Principal
    query: str = ""
    label_ids: tuple[str, ...] = ()
    page_token: str | None = None
    limit: int = 50
    context: AuditContext = AuditContext()


@dataclass(frozen=True)
class AccountMessage:
    account: MailAccount
    message: Message


@dataclass(frozen=True)
class SkippedAccount:
    """A mailbox left out of this page (it needs reconnecting, or its provider did not answer); the page token keeps
    its place, so the next page tries it again."""

    account: MailAccount
    reason: str


@dataclass(frozen=True)
class UnifiedPage:
    items: tuple[AccountMessage, ...]  # newest first across accounts
    next_page_token: str | None
    result_size_estimate: int
    skipped: tuple[SkippedAccount, ...] = ()

    @property
    def notice(self) -> str | None:
        if not self.skipped:
            return None
        parts = "; ".join(f"{s.account.address}: {s.reason}" for s in self.skipped)
        return f"Some mailboxes are not shown on this page ({parts})."


class SearchAllMailboxes:
    def __init__(self, access: MailAccess) -> None:
        self.access = access

    def execute(self, inp: SearchAllMailboxesInput) -> UnifiedPage:
        require_scope(inp.principal, Scope.MAIL_READ)
        if len(inp.query) > MAX_QUERY:
            raise ValidationFailed(f"The search is longer than {MAX_QUERY} characters.", details=[{"field": "q"}])
        accounts = self.access.accounts(inp.principal)
        if not accounts:
            raise NotFound(NO_ACCOUNT)
        by_id = {a.id: a for a in accounts}

        def fetch(account_id: str, token: str | None, size: int) -> SearchPage:
            return self.access.run_on(
                by_id[account_id],
                lambda mailbox, _: mailbox.search(inp.query, label_ids=inp.label_ids, page_token=token, limit=size),
            )[1]

        merged = merge_pages(
            [a.id for a in accounts],
            fetch,
            page_token=inp.page_token,
            limit=inp.limit,
            fingerprint=search_fingerprint(inp.query, inp.label_ids),
        )
        if merged.failures and len(merged.failures) == merged.sources_read:
            raise merged.failures[0].error  # nothing could be read at all: say why, as a one-account search would
        page = UnifiedPage(
            items=tuple(AccountMessage(by_id[k], m) for k, m in merged.items),
            next_page_token=merged.next_page_token,
            result_size_estimate=merged.result_size_estimate,
            skipped=tuple(SkippedAccount(by_id[f.key], f.error.message) for f in merged.failures),
        )
        self.access.audit(
            inp.principal,
            MailAuditAction.SEARCH,
            target="mail_account:all",
            context=inp.context,
            details={
                "query": inp.query[:200],
                "labels": list(inp.label_ids),
                "results": len(page.items),
                "accounts": len(accounts),
                "skipped": len(page.skipped),
            },
        )
        return page
