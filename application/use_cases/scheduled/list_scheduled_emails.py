"""List the caller's scheduled emails, optionally by status, a page at a time (by send time)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from application.authorization import require_scope
from application.ports.unit_of_work import UnitOfWork
from domain.errors import ValidationFailed
from domain.identity import Principal, Scope
from domain.scheduled_email import ScheduledEmail, ScheduledStatus

MAX_LIMIT = 100


@dataclass(frozen=True)
class ListScheduledEmailsInput:
    principal: Principal
    statuses: tuple[ScheduledStatus, ...] = ()
    offset: int = 0
    limit: int = 50


class ListScheduledEmails:
    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    def execute(self, inp: ListScheduledEmailsInput) -> tuple[Sequence[ScheduledEmail], int]:
        require_scope(inp.principal, Scope.MAIL_READ)
        if inp.offset < 0 or not 1 <= inp.limit <= MAX_LIMIT:
            raise ValidationFailed(f"offset must be 0 or more and limit 1 to {MAX_LIMIT}.")
        with self.uow as uow:
            return uow.scheduled_emails.list_for_user(
                inp.principal.user_id, statuses=inp.statuses or None, offset=inp.offset, limit=inp.limit
            )
