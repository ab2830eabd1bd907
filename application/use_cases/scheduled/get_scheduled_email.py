"""One of the caller's scheduled emails (someone else's id is not found)."""

from __future__ import annotations

from dataclasses import dataclass

from application.authorization import require_scope
from application.ports.unit_of_work import UnitOfWork
from application.use_cases.scheduled.common import owned
from domain.identity import Principal, Scope
from domain.scheduled_email import ScheduledEmail


@dataclass(frozen=True)
class GetScheduledEmailInput:
    principal: Principal
    email_id: str


class GetScheduledEmail:
    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    def execute(self, inp: GetScheduledEmailInput) -> ScheduledEmail:
        require_scope(inp.principal, Scope.MAIL_READ)
        with self.uow as uow:
            return owned(uow, inp.principal.user_id, inp.email_id)
