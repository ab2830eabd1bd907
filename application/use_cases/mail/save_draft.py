"""Create a draft, or replace the content of an existing one."""

from __future__ import annotations

from dataclasses import dataclass

from application.authorization import require_scope
from application.mail_access import MailAccess
from application.mail_compose import Compose, to_outgoing
from application.ports.html_sanitizer import HtmlSanitizer
from application.ports.mailbox import Mailbox
from application.use_cases.attachments.outgoing import OutgoingAttachments
from domain.attachments import Upload, draft_holder
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
    def __init__(
        self, access: MailAccess, sanitizer: HtmlSanitizer, attachments: OutgoingAttachments | None = None
    ) -> None:
        self.access, self.sanitizer, self.attachments = access, sanitizer, attachments

    def execute(self, inp: SaveDraftInput) -> Draft:
        require_scope(inp.principal, Scope.MAIL_MODIFY)
        compose, uploads = inp.compose, tuple[Upload, ...]()
        if self.attachments is not None:
            collected = self.attachments.collect(inp.principal, compose, inp.context, when="in a draft")
            compose, uploads = collected.compose, collected.uploads

        def save(mailbox: Mailbox, account: MailAccount) -> Draft:
            in_reply_to: str | None = None
            references: tuple[str, ...] = ()
            thread_id: str | None = None
            if inp.reply_to_message_id:
                original = mailbox.get_message(inp.reply_to_message_id)
                in_reply_to, references = reply_threading(original)
                thread_id = original.thread_id
            outgoing = to_outgoing(
                compose,
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
        if self.attachments is not None:  # the draft keeps its uploads until it is sent or deleted
            self.attachments.hold(uploads, draft_holder(account.id, draft.id))
        self.access.audit(
            inp.principal,
            MailAuditAction.DRAFT_SAVED,
            target=f"draft:{account.id}/{draft.id}",
            context=inp.context,
            details={"created": inp.draft_id is None},
        )
        return draft
