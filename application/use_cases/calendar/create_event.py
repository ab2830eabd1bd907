"""Create an event; with guests, they are invited (by the provider, or by iMIP mail from the user's mailbox)."""

from __future__ import annotations

from dataclasses import dataclass

from application.authorization import require_scope
from application.use_cases.calendar.common import CalendarAccess, EventInput
from domain.audit import AuditContext
from domain.calendar import CalendarEvent
from domain.events import EventType
from domain.identity import Principal, Scope
from domain.imip import Method


@dataclass(frozen=True)
class CreateEventInput:
    principal: Principal
    event: EventInput
    account_id: str | None = None
    idempotency_key: str | None = None
    context: AuditContext = AuditContext()


class CreateEvent:
    def __init__(self, access: CalendarAccess) -> None:
        self.access = access

    def execute(self, inp: CreateEventInput) -> CalendarEvent:
        if inp.event.attendees:  # inviting people sends them mail
            require_scope(inp.principal, Scope.MAIL_SEND)
        account, (calendar, created) = self.access.run(
            inp.principal,
            inp.account_id,
            Scope.MAIL_MODIFY,
            lambda cal, _: (cal, cal.create_event(inp.event.draft(cal.timezone()))),
        )
        self.access.changed(inp.principal, account, EventType.CALENDAR_EVENT_CREATED, created, context=inp.context)
        self.access.notify(
            inp.principal,
            account,
            calendar,
            created,
            Method.REQUEST,
            created.guests(),
            key=f"create:{inp.idempotency_key or created.id}",
        )
        return created
