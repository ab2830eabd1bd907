"""CalendarAccess: find the caller's account, open its calendar or address book, and do what every calendar change
does afterwards — audit, a `calendar.event_*` event for live clients, and (when the provider does not do it
itself) the iMIP mail that tells the other people: invitation, update, cancellation or answer."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from application.authorization import require_scope
from application.mail_access import MailAccess
from application.outbox import OutboxRelay, enqueue_after_commit
from application.ports.calendar import Calendar
from application.ports.calendar_provider import CalendarProvider
from application.ports.clock import Clock
from application.ports.contacts import Contacts
from application.ports.mailbox import Mailbox
from application.ports.unit_of_work import UnitOfWork
from domain.audit import AuditContext, AuditDraft
from domain.calendar import (
    Attendee,
    CalendarEvent,
    EventDraft,
    Reminder,
    WorkingHours,
    working_hours_from,
    zone,
)
from domain.calendar_sync import CalendarSyncState
from domain.errors import ReauthRequired, ValidationFailed
from domain.events import DomainEvent, EventType, event_id
from domain.identity import Principal, Scope, new_id
from domain.imip import Method, to_ics
from domain.mail import EmailAddress, Message, OutgoingAttachment, OutgoingMessage
from domain.mail_account import AccountStatus, MailAccount, MailProvider
from domain.mime import deterministic_message_id

T = TypeVar("T")


@dataclass(frozen=True)
class WorkingHoursPolicy:
    """The installation's working hours ('09:00-17:30', 'mon,...,fri'), applied in each calendar's own zone."""

    hours: str = "09:00-17:30"
    days: str = "mon,tue,wed,thu,fri"

    def in_zone(self, timezone: str) -> WorkingHours:
        return working_hours_from(self.hours, self.days, timezone)


@dataclass(frozen=True)
class EventInput:
    """An event as a person or the agent describes it; `timezone` defaults to the calendar's."""

    title: str
    start: datetime
    end: datetime
    timezone: str | None = None
    all_day: bool = False
    description: str = ""
    location: str = ""
    attendees: tuple[tuple[str, str], ...] = ()  # (email, name)
    optional: tuple[str, ...] = ()
    recurrence: tuple[str, ...] = ()
    conference_url: str | None = None
    reminders: tuple[int, ...] = ()  # minutes before, as popups
    busy: bool = True

    def draft(self, calendar_zone: str, *, keep: Sequence[Attendee] = ()) -> EventDraft:
        timezone = self.timezone or calendar_zone
        zone(timezone)
        previous = {a.email: a for a in keep}
        attendees = tuple(
            previous.get(email.strip().lower())
            or Attendee(email, name, optional=email.strip().lower() in {o.lower() for o in self.optional})
            for email, name in self.attendees
        )
        return EventDraft(
            title=self.title,
            start=self.start,
            end=self.end,
            timezone=timezone,
            all_day=self.all_day,
            description=self.description,
            location=self.location,
            attendees=attendees,
            recurrence=self.recurrence,
            conference_url=self.conference_url or None,
            reminders=tuple(Reminder(m) for m in self.reminders),
            busy=self.busy,
        )


def event_summary(event: CalendarEvent) -> dict[str, Any]:
    """What a live client hears of an event: ids and display fields, no description."""
    return {
        "event_id": event.id,
        "title": event.title[:200],
        "start": event.start.astimezone(UTC).isoformat(),
        "end": event.end.astimezone(UTC).isoformat(),
        "timezone": event.timezone,
        "attendees": len(event.attendees),
    }


def _when(event: CalendarEvent) -> str:
    tz = zone(event.timezone)
    start, end = event.start.astimezone(tz), event.end.astimezone(tz)
    if event.all_day:
        return f"{start:%a %d %b %Y} (all day)"
    return f"{start:%a %d %b %Y %H:%M}–{end:%H:%M} ({event.timezone})"


class CalendarAccess:
    def __init__(
        self,
        mail_access: MailAccess,
        calendars: CalendarProvider,
        uow: UnitOfWork,
        clock: Clock,
        relay: OutboxRelay | None = None,
        hours: WorkingHoursPolicy | None = None,
    ) -> None:
        self.mail, self.calendars, self.uow, self.clock, self.relay = mail_access, calendars, uow, clock, relay
        self.hours = hours or WorkingHoursPolicy()

    def _account(self, principal: Principal, account_id: str | None) -> MailAccount:
        account = self.mail.account(principal, account_id)
        if account.status is AccountStatus.REAUTH_REQUIRED:
            raise ReauthRequired(
                f"The account {account.address} must be connected again to allow calendar and contacts access."
            )
        return account

    def run(
        self, principal: Principal, account_id: str | None, scope: Scope, action: Callable[[Calendar, MailAccount], T]
    ) -> tuple[MailAccount, T]:
        require_scope(principal, scope)
        account = self._account(principal, account_id)
        result = action(self.calendars.calendar(account), account)
        self._follow(account)
        return account, result

    def _follow(self, account: MailAccount) -> None:
        """A Google calendar's changes are followed (polled, pushed) from its first use on: its sync state is
        created here and a first sync queued, which records where the change feed starts."""
        if account.provider is not MailProvider.GOOGLE:
            return
        from application.use_cases.calendar.sync_calendar import CALENDAR_SYNC_JOB, CALENDAR_SYNC_RETRY  # cycle

        with self.uow as uow:
            if uow.calendar_sync.get(account.id) is not None:
                return
            uow.calendar_sync.put(CalendarSyncState(account.id))
            enqueue_after_commit(
                uow,
                self.clock,
                CALENDAR_SYNC_JOB,
                {"account_id": account.id},
                job_id=f"calendar-sync-{account.id}-start",
                retry=CALENDAR_SYNC_RETRY,
            )
            uow.commit()
        if self.relay is not None:
            self.relay.flush()

    def contacts(self, principal: Principal, account_id: str | None) -> tuple[MailAccount, Contacts]:
        require_scope(principal, Scope.MAIL_READ)
        account = self._account(principal, account_id)
        return account, self.calendars.contacts(account)

    def working_hours(self, timezone: str) -> WorkingHours:
        return self.hours.in_zone(timezone)

    # -- after a change ---------------------------------------------------------------------------------------

    def changed(
        self,
        principal: Principal,
        account: MailAccount,
        kind: EventType,
        event: CalendarEvent,
        *,
        context: AuditContext | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        """Audit the change and store its `calendar.event_*` event (delivered to the user's live clients)."""
        now = self.clock.now()
        data = event_summary(event)
        with self.uow as uow:
            uow.audit.append(
                AuditDraft(
                    kind.value,
                    principal.user_id,
                    target=f"calendar_event:{account.id}/{event.id}",
                    context=context or AuditContext(),
                    details={**data, **(details or {})},
                ),
                at=now,
            )
            uow.events.append(
                DomainEvent(
                    event_id(kind.value, account.id, event.id, now.isoformat(), new_id()),
                    principal.user_id,
                    kind,
                    now,
                    data,
                    account_id=account.id,
                )
            )
            uow.commit()
        if self.relay is not None:
            self.relay.flush()

    def notify(
        self,
        principal: Principal,
        account: MailAccount,
        calendar: Calendar,
        event: CalendarEvent,
        method: Method,
        recipients: Sequence[Attendee],
        *,
        key: str,
    ) -> list[Message]:
        """Mail the iMIP message for `method` to `recipients` from the account's mailbox, unless the provider sends
        invitations itself (then it was told to, and nothing is sent here). One message for all of them; its
        Message-ID is made from `key`, so a retried call finds the first send instead of mailing twice."""
        if not recipients or calendar.sends_invitations():
            return []
        sequence = int((event.updated_at or self.clock.now()).timestamp())
        only = account.address.lower() if method is Method.REPLY else None
        ics = to_ics(event, method, sequence=sequence, only=only)
        mine = event.attendee(account.address)
        verb = {
            Method.REQUEST: "Invitation",
            Method.CANCEL: "Cancelled",
            Method.REPLY: (mine.response.value.capitalize() if mine else "Reply"),
            Method.PUBLISH: "Event",
        }[method]
        subject = f"{verb}: {event.title} @ {_when(event)}"
        lines = [
            f"{event.title}",
            f"When: {_when(event)}",
            *([f"Where: {event.location}"] if event.location else []),
            *([f"Join: {event.conference_url}"] if event.conference_url else []),
            f"Organizer: {event.organizer}",
            "Attendees: " + ", ".join(a.email for a in event.attendees),
            "",
            event.description,
        ]
        if method is Method.REPLY and mine is not None:
            lines = [f"{account.address} has answered '{mine.response.value}' to {event.title} ({_when(event)})."]
        domain = account.address.rpartition("@")[2] or "mailagent.local"
        message = OutgoingMessage(
            to=tuple(EmailAddress(address=a.email, name=a.name) for a in recipients),
            subject=subject[:900],
            text_body="\n".join(lines).strip() + "\n",
            attachments=(
                OutgoingAttachment(
                    filename="invite.ics", mime_type=f"text/calendar; method={method.value}", content=ics, inline=True
                ),
            ),
            from_=EmailAddress(address=account.address),
            message_id=deterministic_message_id(f"calendar:{account.id}:{key}", domain),
        )

        def send(mailbox: Mailbox, _: MailAccount) -> Message:
            already = mailbox.find_by_message_id(message.message_id or "")
            return already if already is not None else mailbox.send(message)

        _, sent = self.mail.run(principal, account.id, Scope.MAIL_SEND, send)
        self.mail.audit(
            principal,
            "calendar.invitation_sent",
            target=f"message:{account.id}/{sent.id}",
            context=AuditContext(),
            details={"method": method.value, "recipients": [a.email for a in recipients], "event_id": event.id},
            changed=account,
        )
        return [sent]


def check_address(value: str) -> str:
    address = value.strip().lower()
    if "@" not in address or len(address) > 320:
        raise ValidationFailed(f"'{value[:80]}' is not an e-mail address.")
    return address
