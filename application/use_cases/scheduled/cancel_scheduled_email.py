"""Cancel a scheduled email before it is sent. Once it is being sent, sent, failed or cancelled: Conflict, saying
which (nothing changes)."""

from __future__ import annotations

from dataclasses import dataclass

from application.authorization import require_scope
from application.ports.clock import Clock
from application.ports.unit_of_work import UnitOfWork
from application.use_cases.attachments.common import release_holds
from application.use_cases.scheduled.common import owned
from domain.attachments import scheduled_holder
from domain.audit import AuditContext, AuditDraft
from domain.errors import Conflict
from domain.identity import Principal, Scope
from domain.scheduled_email import ScheduledAuditAction, ScheduledEmail


@dataclass(frozen=True)
class CancelScheduledEmailInput:
    principal: Principal
    email_id: str
    context: AuditContext = AuditContext()


class CancelScheduledEmail:
    def __init__(self, uow: UnitOfWork, clock: Clock) -> None:
        self.uow, self.clock = uow, clock

    def execute(self, inp: CancelScheduledEmailInput) -> ScheduledEmail:
        require_scope(inp.principal, Scope.MAIL_SEND)
        with self.uow as uow:
            email = owned(uow, inp.principal.user_id, inp.email_id)
            now = self.clock.now()
            cancelled = email.cancel(now)  # Conflict with the reason when it is too late
            try:
                uow.scheduled_emails.update(cancelled, expected_version=email.version)
            except Conflict:
                raise Conflict("This scheduled email changed meanwhile (it may be being sent); look again.") from None
            uow.audit.append(
                AuditDraft(
                    ScheduledAuditAction.CANCELLED,
                    actor_id=inp.principal.user_id,
                    target=f"scheduled:{email.id}",
                    context=inp.context,
                ),
                at=now,
            )
            release_holds(uow, scheduled_holder(email.id), now)
            uow.commit()
        # The delayed send job still fires at the old time; it finds the row cancelled and does nothing.
        return cancelled
