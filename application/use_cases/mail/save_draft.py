"""Create a draft, or replace the content of an existing one."""

from __future__ import annotations

from dataclasses import dataclass

from application.mail_access import MailAccess
from application.mail_compose import Compose, to_outgoing
from application.ports.html_sanitizer import HtmlSanitizer
from application.ports.mailbox import Mailbox
from domain.audit import AuditContext, MailAuditAction
from domain.identity import Principal, Scope
from domain.mail import Draft, EmailAddress
from domain.mail_account import MailAccount
from domain.mime import reply_threading


@dataclass(frozen=True)
class SaveDraftInput:
    principal: Principal
    compose: Compose
    draft_id: str | None = None  # None creates a new draft
    reply_to_message_id: str | None = None  # keep the draft in that message's thread
    account_id: str | None = None
    context: AuditContext = AuditContext()


class SaveDraft:
    def __init__(self, access: MailAccess, sanitizer: HtmlSanitizer) -> None:
        self.access, self.sanitizer = access, sanitizer

    def execute(self, inp: SaveDraftInput) -> Draft:
        def save(mailbox: Mailbox, account: MailAccount) -> Draft:
            in_reply_to: str | None = None
            references: tuple[str, ...] = ()
            thread_id: str | None = None
            if inp.reply_to_message_id:
                original = mailbox.get_message(inp.reply_to_message_id)
                in_reply_to, references = reply_threading(original)
                thread_id = original.thread_id
            outgoing = to_outgoing(
                inp.compose,
                sender=EmailAddress(address=account.address),
                sanitizer=self.sanitizer,
                in_reply_to=in_reply_to,
                references=references,
                thread_id=thread_id,
            )
            if inp.draft_id is None:
                return mailbox.create_draft(outgoing)
            return mailbox.update_draft(inp.draft_id, outgoing)

        account, draft = self.access.run(inp.principal, inp.account_id, Scope.MAIL_MODIFY, save)
        self.access.audit(
            inp.principal,
            MailAuditAction.DRAFT_SAVED,
            target=f"draft:{account.id}/{draft.id}",
            context=inp.context,
            details={"created": inp.draft_id is None},
        )
        return draft
