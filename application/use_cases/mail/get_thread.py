"""Read a whole conversation, oldest message first, each with sanitized HTML."""

from __future__ import annotations

from dataclasses import dataclass

from application.mail_access import MailAccess
from application.mail_compose import ReadableMessage, readable
from application.ports.html_sanitizer import HtmlSanitizer
from domain.audit import AuditContext, MailAuditAction
from domain.identity import Principal, Scope


@dataclass(frozen=True)
class GetThreadInput:
    principal: Principal
    message_id: str  # any message of the thread
    account_id: str | None = None
    context: AuditContext = AuditContext()


class GetThread:
    def __init__(self, access: MailAccess, sanitizer: HtmlSanitizer) -> None:
        self.access, self.sanitizer = access, sanitizer

    def execute(self, inp: GetThreadInput) -> tuple[str, list[ReadableMessage]]:
        account, thread = self.access.run(
            inp.principal,
            inp.account_id,
            Scope.MAIL_READ,
            lambda mb, _: mb.get_thread(mb.get_message(inp.message_id).thread_id),
        )
        self.access.audit(
            inp.principal,
            MailAuditAction.READ,
            target=f"thread:{account.id}/{thread.id}",
            context=inp.context,
            details={"messages": len(thread.messages)},
        )
        return thread.id, [readable(m, self.sanitizer) for m in thread.messages]
