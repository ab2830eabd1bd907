"""List the caller's drafts, newest first."""

from __future__ import annotations

from dataclasses import dataclass

from application.mail_access import MailAccess
from domain.identity import Principal, Scope
from domain.mail import DraftPage


@dataclass(frozen=True)
class ListDraftsInput:
    principal: Principal
    account_id: str | None = None
    page_token: str | None = None
    limit: int = 50


class ListDrafts:
    def __init__(self, access: MailAccess) -> None:
        self.access = access

    def execute(self, inp: ListDraftsInput) -> DraftPage:
        return self.access.run(
            inp.principal,
            inp.account_id,
            Scope.MAIL_READ,
            lambda mb, _: mb.list_drafts(page_token=inp.page_token, limit=inp.limit),
        )[1]
