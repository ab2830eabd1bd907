"""Read one draft."""

from __future__ import annotations

from dataclasses import dataclass

from application.mail_access import MailAccess
from domain.identity import Principal, Scope
from domain.mail import Draft


@dataclass(frozen=True)
class GetDraftInput:
    principal: Principal
    draft_id: str
    account_id: str | None = None


class GetDraft:
    def __init__(self, access: MailAccess) -> None:
        self.access = access

    def execute(self, inp: GetDraftInput) -> Draft:
        return self.access.run(
            inp.principal, inp.account_id, Scope.MAIL_READ, lambda mb, _: mb.get_draft(inp.draft_id)
        )[1]
