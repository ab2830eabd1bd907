"""List the caller's connected mailboxes (status shows when one must be connected again)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from application.ports.unit_of_work import UnitOfWork
from domain.identity import Principal
from domain.mail_account import MailAccount


@dataclass(frozen=True)
class ListMailAccountsInput:
    principal: Principal


class ListMailAccounts:
    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    def execute(self, inp: ListMailAccountsInput) -> Sequence[MailAccount]:
        with self.uow as uow:
            return uow.mail_accounts.list_for_user(inp.principal.user_id)
