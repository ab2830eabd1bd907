"""List system and user labels with message and unread counts."""

from __future__ import annotations

from dataclasses import dataclass

from application.mail_access import MailAccess
from domain.identity import Principal, Scope
from domain.mail import Label


@dataclass(frozen=True)
class ListLabelsInput:
    principal: Principal
    account_id: str | None = None


class ListLabels:
    def __init__(self, access: MailAccess) -> None:
        self.access = access

    def execute(self, inp: ListLabelsInput) -> list[Label]:
        return self.access.run(inp.principal, inp.account_id, Scope.MAIL_READ, lambda mb, _: mb.list_labels())[1]
