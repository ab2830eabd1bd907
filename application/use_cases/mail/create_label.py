"""Create a user label."""

from __future__ import annotations

from dataclasses import dataclass

from application.mail_access import MailAccess
from domain.audit import AuditContext, MailAuditAction
from domain.identity import Principal, Scope
from domain.mail import Label, validate_label_name


@dataclass(frozen=True)
class CreateLabelInput:
    principal: Principal
    name: str
    account_id: str | None = None
    context: AuditContext = AuditContext()


class CreateLabel:
    def __init__(self, access: MailAccess) -> None:
        self.access = access

    def execute(self, inp: CreateLabelInput) -> Label:
        name = validate_label_name(inp.name)
        account, label = self.access.run(
            inp.principal, inp.account_id, Scope.MAIL_MODIFY, lambda mb, _: mb.create_label(name)
        )
        self.access.audit(
            inp.principal,
            MailAuditAction.LABEL_CREATED,
            target=f"label:{account.id}/{label.id}",
            context=inp.context,
            details={"name": name},
        )
        return label
