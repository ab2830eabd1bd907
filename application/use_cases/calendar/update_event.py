"""Change an event (every field); guests old and new hear of it, and people taken off the list are told it is off."""

from __future__ import annotations

from dataclasses import dataclass

from application.authorization import require_scope
from application.ports.calendar import Calendar
from application.use_cases.calendar.common import CalendarAccess, EventInput
from domain.audit import AuditContext
from domain.calendar import CalendarEvent
from domain.events import EventType
from domain.identity import Principal, Scope, new_id
from domain.imip import Method
from domain.mail_account import MailAccount


@dataclass(frozen=True)
class UpdateEventInput:
    principal: Principal
    event_id: str
    event: EventInput
    account_id: str | None = None
    context: AuditContext = AuditContext()


class UpdateEvent:
    def __init__(self, access: CalendarAccess) -> None:
        self.access = access

    def execute(self, inp: UpdateEventInput) -> CalendarEvent:
        def update(cal: Calendar, _: MailAccount) -> tuple[Calendar, CalendarEvent, CalendarEvent]:
            before = cal.get_event(inp.event_id)
            after = cal.update_event(inp.event_id, inp.event.draft(cal.timezone(), keep=before.attendees))
            return cal, before, after

        account, (calendar, before, after) = self.access.run(inp.principal, inp.account_id, Scope.MAIL_MODIFY, update)
        removed = [a for a in before.guests() if after.attendee(a.email) is None]
        if after.guests() or removed:
            require_scope(inp.principal, Scope.MAIL_SEND)
        self.access.changed(inp.principal, account, EventType.CALENDAR_EVENT_UPDATED, after, context=inp.context)
        key = new_id()
        self.access.notify(
            inp.principal, account, calendar, after, Method.REQUEST, after.guests(), key=f"update:{after.id}:{key}"
        )
        self.access.notify(
            inp.principal, account, calendar, before, Method.CANCEL, removed, key=f"uninvite:{after.id}:{key}"
        )
        return after
