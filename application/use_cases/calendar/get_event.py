"""Read one event (a series, a one-off, or one instance of a series)."""

from __future__ import annotations

from application.use_cases.calendar.common import CalendarAccess
from domain.calendar import CalendarEvent
from domain.identity import Principal, Scope


class GetEvent:
    def __init__(self, access: CalendarAccess) -> None:
        self.access = access

    def execute(self, principal: Principal, event_id: str, account_id: str | None = None) -> CalendarEvent:
        _, event = self.access.run(principal, account_id, Scope.MAIL_READ, lambda cal, _: cal.get_event(event_id))
        return event
