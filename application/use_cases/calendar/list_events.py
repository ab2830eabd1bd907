"""List the event instances in a time window (recurring series expanded), in the calendar's zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from application.use_cases.calendar.common import CalendarAccess
from domain.calendar import CalendarEvent, Interval, aware, check_window
from domain.identity import Principal, Scope


@dataclass(frozen=True)
class ListEventsInput:
    principal: Principal
    start: datetime
    end: datetime
    query: str = ""
    account_id: str | None = None


@dataclass(frozen=True)
class EventList:
    timezone: str
    events: list[CalendarEvent]


class ListEvents:
    def __init__(self, access: CalendarAccess) -> None:
        self.access = access

    def execute(self, inp: ListEventsInput) -> EventList:
        window = check_window(Interval(aware(inp.start, "start"), aware(inp.end, "end")))
        _, found = self.access.run(
            inp.principal,
            inp.account_id,
            Scope.MAIL_READ,
            lambda cal, _: EventList(cal.timezone(), cal.list_events(window, query=inp.query[:200])),
        )
        return found
