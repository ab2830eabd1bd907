"""Read one message: headers, text body, sanitized HTML, attachment list, labels, thread."""

from __future__ import annotations

from dataclasses import dataclass

from application.mail_access import MailAccess
from application.mail_compose import ReadableMessage, readable
from application.ports.html_sanitizer import HtmlSanitizer
from domain.audit import AuditContext, MailAuditAction
from domain.identity import Principal, Scope


@dataclass(frozen=True)
class GetEmailInput:
    principal: Principal
    message_id: str
    account_id: str | None = None
    context: AuditContext = AuditContext()


class GetEmail:
    def __init__(self, access: MailAccess, sanitizer: HtmlSanitizer) -> None:
        self.access, self.sanitizer = access, sanitizer

    def execute(self, inp: GetEmailInput) -> ReadableMessage:
        account, message = self.access.run(
            inp.principal, inp.account_id, Scope.MAIL_READ, lambda mb, _: mb.get_message(inp.message_id)
        )
        self.access.audit(
            inp.principal, MailAuditAction.READ, target=f"message:{account.id}/{message.id}", context=inp.context
        )
        return readable(message, self.sanitizer)
