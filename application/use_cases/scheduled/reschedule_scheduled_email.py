"""Move a scheduled email to another time (only while it is still waiting)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from application.authorization import require_scope
from application.outbox import OutboxRelay
from application.ports.clock import Clock
from application.ports.unit_of_work import UnitOfWork
from application.use_cases.scheduled.common import DeliveryPolicy, enqueue_wake_up, owned
from application.use_cases.scheduled.schedule_email import Scheduled
from domain.audit import AuditContext, AuditDraft
from domain.errors import Conflict, ValidationFailed
from domain.identity import Principal, Scope
from domain.scheduled_email import ResolvedSendTime, ScheduledAuditAction, resolve_send_at


@dataclass(frozen=True)
class RescheduleScheduledEmailInput:
    principal: Principal
    email_id: str
    send_at: str
    timezone: str | None = None
    context: AuditContext = AuditContext()


class RescheduleScheduledEmail:
    def __init__(self, uow: UnitOfWork, clock: Clock, relay: OutboxRelay, policy: DeliveryPolicy) -> None:
        self.uow, self.clock, self.relay, self.policy = uow, clock, relay, policy

    @staticmethod
    def _resolve(inp: RescheduleScheduledEmailInput, old_zone: str, now: datetime) -> ResolvedSendTime:
        """Without a new timezone, a wall time is read in the zone it was scheduled in, and an exact time (with an
        offset) keeps being shown in that zone."""
        if inp.timezone:
            return resolve_send_at(inp.send_at, inp.timezone, now=now)
        try:
            exact = resolve_send_at(inp.send_at, None, now=now)
        except ValidationFailed as exc:
            if not any(d.get("issue") == "missing_timezone" for d in exc.details):
                raise
            return resolve_send_at(inp.send_at, old_zone, now=now)
        return replace(exact, timezone=old_zone)

    def execute(self, inp: RescheduleScheduledEmailInput) -> Scheduled:
        require_scope(inp.principal, Scope.MAIL_SEND)
        now = self.clock.now()
        with self.uow as uow:
            email = owned(uow, inp.principal.user_id, inp.email_id)
            when = self._resolve(inp, email.timezone, now)
            moved = email.reschedule(when, now)
            try:
                uow.scheduled_emails.update(moved, expected_version=email.version)
            except Conflict:
                raise Conflict("This scheduled email changed meanwhile (it may be being sent); look again.") from None
            uow.audit.append(
                AuditDraft(
                    ScheduledAuditAction.RESCHEDULED,
                    actor_id=inp.principal.user_id,
                    target=f"scheduled:{email.id}",
                    context=inp.context,
                    details={"send_at": moved.send_at.isoformat(), "timezone": moved.timezone},
                ),
                at=now,
            )
            enqueue_wake_up(uow, self.clock, self.policy, moved.due_at)
            uow.commit()
        self.relay.flush()
        return Scheduled(moved, when.adjustment)
