"""Invitations that arrived by mail: read the text/calendar part of a message (the event, who organises it, who is
invited and how they answered), and answer it — the event goes on the calendar (matched by its UID, so the demo's
offsite invitation answers the offsite already there) with the user's answer, and the organizer is told."""

from __future__ import annotations

from dataclasses import dataclass, replace

from application.mail_access import MailAccess
from application.ports.calendar import Calendar
from application.ports.mailbox import Mailbox
from application.use_cases.calendar.common import CalendarAccess
from domain.calendar import Attendee, CalendarEvent, ResponseStatus
from domain.errors import NotFound, ValidationFailed
from domain.events import EventType
from domain.identity import Principal, Scope
from domain.imip import Invitation, Method, parse_ics
from domain.mail_account import MailAccount

MAX_PARTS = 5


@dataclass(frozen=True)
class MailInvitation:
    message_id: str
    method: Method
    event: CalendarEvent


def read_invitation(mailbox: Mailbox, message_id: str, default_timezone: str) -> MailInvitation:
    message = mailbox.get_message(message_id)
    parts = [a for a in message.attachments if a.mime_type.lower().startswith(("text/calendar", "application/ics"))]
    if not parts:
        raise NotFound("This message carries no calendar invitation.")
    for part in parts[:MAX_PARTS]:
        invitation: Invitation = parse_ics(
            mailbox.get_attachment(message_id, part.id), default_timezone=default_timezone
        )
        if invitation.events:
            return MailInvitation(message_id, invitation.method, invitation.events[0])
    raise ValidationFailed("The calendar part of this message holds no event.")


class GetMailInvitation:
    def __init__(self, access: CalendarAccess, mail: MailAccess) -> None:
        self.access, self.mail = access, mail

    def execute(self, principal: Principal, message_id: str, account_id: str | None = None) -> MailInvitation:
        _, timezone = self.access.run(principal, account_id, Scope.MAIL_READ, lambda cal, _: cal.timezone())
        _, found = self.mail.run(
            principal, account_id, Scope.MAIL_READ, lambda mb, _: read_invitation(mb, message_id, timezone)
        )
        return found


@dataclass(frozen=True)
class AnswerMailInvitationInput:
    principal: Principal
    message_id: str
    response: ResponseStatus
    account_id: str | None = None


class AnswerMailInvitation:
    def __init__(self, access: CalendarAccess, mail: MailAccess) -> None:
        self.access, self.mail = access, mail

    def execute(self, inp: AnswerMailInvitationInput) -> CalendarEvent:
        if inp.response is ResponseStatus.NEEDS_ACTION:
            raise ValidationFailed("Answer accepted, tentative or declined.")
        invitation = GetMailInvitation(self.access, self.mail).execute(inp.principal, inp.message_id, inp.account_id)
        if invitation.method is Method.CANCEL:
            raise ValidationFailed("This message cancels the event: there is nothing to answer.")

        def answer(cal: Calendar, account: MailAccount) -> tuple[Calendar, CalendarEvent]:
            me = account.address.lower()
            event = invitation.event
            if event.organizer == me:
                raise ValidationFailed("You organise this event: there is no invitation to answer.")
            if event.attendee(me) is None:
                raise ValidationFailed(f"This invitation is not addressed to {me}.")
            stored = cal.import_event(replace(event, calendar_id="primary"))
            return cal, stored

        account, (calendar, stored) = self.access.run(inp.principal, inp.account_id, Scope.MAIL_SEND, answer)
        answered = calendar.respond(stored.id, inp.response)
        self.access.changed(
            inp.principal,
            account,
            EventType.CALENDAR_EVENT_UPDATED,
            answered,
            details={"response": inp.response.value, "from_message": inp.message_id},
        )
        organizer = answered.attendee(answered.organizer) or (
            Attendee(answered.organizer) if "@" in answered.organizer else None
        )
        self.access.notify(
            inp.principal,
            account,
            calendar,
            answered,
            Method.REPLY,
            [organizer] if organizer is not None else [],
            key=f"reply:{answered.id}:{inp.response.value}:{answered.updated_at}",
        )
        return answered
