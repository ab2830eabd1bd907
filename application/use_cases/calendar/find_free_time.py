"""Free/busy: the user's busy time (and attendees' where the provider shows it) in a window, and the free slots
they share inside the user's working hours, in the user's zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from application.ports.calendar import Calendar
from application.use_cases.calendar.common import CalendarAccess, check_address
from domain.calendar import Interval, aware, check_window, first_slots, free_slots
from domain.errors import ValidationFailed
from domain.identity import Principal, Scope
from domain.mail_account import MailAccount

MAX_ADDRESSES = 20


@dataclass(frozen=True)
class FreeBusyInput:
    principal: Principal
    start: datetime
    end: datetime
    attendees: tuple[str, ...] = ()
    duration_minutes: int = 30
    account_id: str | None = None


@dataclass(frozen=True)
class FreeBusy:
    timezone: str
    busy: dict[str, list[Interval] | None]  # per address; None = that calendar is not visible
    free: list[Interval]  # shared free time inside working hours, at least `duration` long
    suggestions: list[Interval]  # the first few meeting times of exactly `duration`
    unknown: list[str]  # addresses whose busy time could not be seen (their slots are the user's alone)


class FindFreeTime:
    def __init__(self, access: CalendarAccess) -> None:
        self.access = access

    def execute(self, inp: FreeBusyInput) -> FreeBusy:
        window = check_window(Interval(aware(inp.start, "start"), aware(inp.end, "end")))
        if not 5 <= inp.duration_minutes <= 24 * 60:
            raise ValidationFailed("A meeting lasts 5 minutes to 24 hours.")
        if len(inp.attendees) > MAX_ADDRESSES:
            raise ValidationFailed(f"Ask about at most {MAX_ADDRESSES} people at a time.")
        others = [check_address(a) for a in inp.attendees]

        def look(cal: Calendar, account: MailAccount) -> tuple[str, dict[str, list[Interval] | None]]:
            me = account.address.lower()
            addresses = list(dict.fromkeys([me, *others]))
            return cal.timezone(), cal.free_busy(window, addresses)

        _, (timezone, busy) = self.access.run(inp.principal, inp.account_id, Scope.MAIL_READ, look)
        blocked = [i for spans in busy.values() if spans for i in spans]
        length = timedelta(minutes=inp.duration_minutes)
        free = free_slots(blocked, window, self.access.working_hours(timezone), minimum=length)
        return FreeBusy(
            timezone=timezone,
            busy=busy,
            free=free,
            suggestions=first_slots(free, length, count=5),
            unknown=[a for a, spans in busy.items() if spans is None],
        )
