"""Answer an invitation (accepted, tentative, declined); the organizer hears the answer."""

from __future__ import annotations

from dataclasses import dataclass

from application.use_cases.calendar.common import CalendarAccess
from domain.audit import AuditContext
from domain.calendar import Attendee, CalendarEvent, ResponseStatus
from domain.errors import ValidationFailed
from domain.events import EventType
from domain.identity import Principal, Scope
from domain.imip import Method


@dataclass(frozen=True)
class RespondToEventInput:
    principal: Principal
    event_id: str
    response: ResponseStatus
    account_id: str | None = None
    context: AuditContext = AuditContext()


class RespondToEvent:
    def __init__(self, access: CalendarAccess) -> None:
        self.access = access

    def execute(self, inp: RespondToEventInput) -> CalendarEvent:
        if inp.response is ResponseStatus.NEEDS_ACTION:
            raise ValidationFailed("Answer accepted, tentative or declined.")
        account, (calendar, answered) = self.access.run(
            inp.principal,
            inp.account_id,
            Scope.MAIL_SEND,
            lambda cal, _: (cal, cal.respond(inp.event_id, inp.response)),
        )
        self.access.changed(
            inp.principal,
            account,
            EventType.CALENDAR_EVENT_UPDATED,
            answered,
            context=inp.context,
            details={"response": inp.response.value},
        )
        organizer = answered.attendee(answered.organizer) or Attendee(answered.organizer)
        self.access.notify(
            inp.principal,
            account,
            calendar,
            answered,
            Method.REPLY,
            [organizer],
            key=f"reply:{answered.id}:{inp.response.value}:{answered.updated_at}",
        )
        return answered
