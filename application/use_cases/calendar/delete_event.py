"""Cancel an event (a series, or one instance of it); the organizer's guests are told it is off."""

from __future__ import annotations

from dataclasses import dataclass

from application.use_cases.calendar.common import CalendarAccess
from domain.audit import AuditContext
from domain.calendar import CalendarEvent
from domain.events import EventType
from domain.identity import Principal, Scope
from domain.imip import Method


@dataclass(frozen=True)
class DeleteEventInput:
    principal: Principal
    event_id: str
    account_id: str | None = None
    context: AuditContext = AuditContext()


class DeleteEvent:
    def __init__(self, access: CalendarAccess) -> None:
        self.access = access

    def execute(self, inp: DeleteEventInput) -> CalendarEvent:
        account, (calendar, removed) = self.access.run(
            inp.principal, inp.account_id, Scope.MAIL_MODIFY, lambda cal, _: (cal, cal.delete_event(inp.event_id))
        )
        self.access.changed(inp.principal, account, EventType.CALENDAR_EVENT_DELETED, removed, context=inp.context)
        if removed.organizer == account.address.lower():
            self.access.notify(
                inp.principal, account, calendar, removed, Method.CANCEL, removed.guests(), key=f"cancel:{removed.id}"
            )
        return removed
