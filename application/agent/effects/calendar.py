"""CalendarEffects: the agent's calendar changes, resolved into frozen CalendarEffects (the event exactly as it will be
written, the people it notifies with their flags) and run exactly. An event with guests, any change to one, and an
answer to an invitation reach other people: they are held for approval. An event without guests on the user's own
calendar is reversible: it runs on its own (when the user's policy allows) and its Undo deletes it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from application.agent.effects.handlers import EffectHandler
from application.agent.effects.recipients import Addressing, flagged
from application.mail_access import MailAccess
from application.ports.calendar import Calendar
from application.use_cases.calendar.common import CalendarAccess, EventInput
from application.use_cases.calendar.create_event import CreateEvent, CreateEventInput
from application.use_cases.calendar.delete_event import DeleteEvent, DeleteEventInput
from application.use_cases.calendar.invitations import (
    AnswerMailInvitation,
    AnswerMailInvitationInput,
    GetMailInvitation,
)
from application.use_cases.calendar.respond_to_event import RespondToEvent, RespondToEventInput
from application.use_cases.calendar.update_event import UpdateEvent, UpdateEventInput
from application.use_cases.contacts.search_contacts import ContactBook
from domain.approval import Effect, Recipient
from domain.calendar import Attendee, CalendarEvent, EventStatus, ResponseStatus, organised, updated, zone
from domain.calendar_effects import CalendarEffect
from domain.errors import ValidationFailed
from domain.identity import Principal, Scope
from domain.mail import EmailAddress
from domain.mail_account import MailAccount
from domain.recipient_checks import organisation_domains

CALENDAR_TOOLS = frozenset({"create_event", "update_event", "cancel_event", "respond_to_invitation"})


def parse_time(text: str, timezone: str, field: str) -> datetime:
    """ISO 8601; a wall time without an offset is read in `timezone` (the user's)."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValidationFailed(
            f"{field} '{text[:40]}' is not a time: use ISO 8601 such as 2026-12-10T15:00 (your zone) or with an offset."
        ) from None
    if value.tzinfo is None:
        tz = zone(timezone)
        value = value.replace(tzinfo=tz).astimezone(tz)
    return value


class CalendarEffects(EffectHandler):
    tools = CALENDAR_TOOLS
    kinds = frozenset({CalendarEffect.kind})

    def __init__(
        self,
        access: Callable[[], CalendarAccess],
        mail: Callable[[], MailAccess],
        *,
        create_event: Callable[[], CreateEvent],
        update_event: Callable[[], UpdateEvent],
        delete_event: Callable[[], DeleteEvent],
        respond_to_event: Callable[[], RespondToEvent],
        answer_mail_invitation: Callable[[], AnswerMailInvitation],
        get_mail_invitation: Callable[[], GetMailInvitation],
        contacts: Callable[[], ContactBook] | None = None,
        organisation: tuple[str, ...] = (),
    ) -> None:
        self.access, self.mail = access, mail
        self.create_event, self.update_event, self.delete_event = create_event, update_event, delete_event
        self.respond_to_event, self.answer_mail_invitation = respond_to_event, answer_mail_invitation
        self.get_mail_invitation, self.contacts, self.organisation = get_mail_invitation, contacts, organisation

    # -- resolving ---------------------------------------------------------------------------------------------

    def _names(self, principal: Principal, account_id: str | None, emails: list[str]) -> dict[str, str]:
        if self.contacts is None or not emails:
            return {}
        try:
            _, book = self.contacts().all(principal, account_id)
        except Exception:
            return {}
        return {e: c.name for c in book for e in c.emails}

    def _flag(self, principal: Principal, account: MailAccount, people: list[Attendee]) -> tuple[Recipient, ...]:
        if not people:
            return ()
        groups = [("to", [EmailAddress(address=a.email, name=a.name) for a in people])]
        addressing = Addressing(account.address, organisation_domains(account.address, self.organisation))
        _, found = self.mail().run(
            principal, account.id, Scope.MAIL_READ, lambda mb, _: flagged(mb, groups, addressing)
        )
        return found

    def _attendees(
        self, principal: Principal, account_id: str | None, emails: list[str], keep: tuple[Attendee, ...] = ()
    ) -> tuple[tuple[str, str], ...]:
        names = self._names(principal, account_id, [e.lower() for e in emails])
        known = {a.email: a.name for a in keep}
        out: list[tuple[str, str]] = []
        for email in emails:
            address = email.strip().lower()
            out.append((address, known.get(address) or names.get(address, "")))
        return tuple(out)

    def resolve(self, principal: Principal, tool: str, args: Mapping[str, Any], *, key: str) -> Effect:
        account_id = args.get("account_id")
        account, (calendar, tz) = self.access().run(
            principal, account_id, Scope.MAIL_READ, lambda cal, _: (cal, cal.timezone())
        )
        match tool:
            case "create_event":
                return self._create(principal, account, calendar, tz, args)
            case "update_event":
                return self._update(principal, account, calendar, tz, args)
            case "cancel_event":
                event = calendar.get_event(str(args["event_id"]))
                self._must_organise(account, event)
                notified = self._flag(principal, account, list(event.guests()))
                return CalendarEffect("cancel", account.id, event, tz, notified)
            case "respond_to_invitation":
                return self._respond(principal, account, calendar, tz, args)
        raise ValidationFailed(f"The tool {tool!r} is not a calendar change.")

    @staticmethod
    def _must_organise(account: MailAccount, event: CalendarEvent) -> None:
        if event.organizer and event.organizer != account.address.lower():
            raise ValidationFailed(
                f"{event.organizer} organises '{event.title}': only they can change or cancel it; answer it instead."
            )

    def _create(
        self, principal: Principal, account: MailAccount, calendar: Calendar, tz: str, args: Mapping[str, Any]
    ) -> CalendarEffect:
        start = parse_time(str(args["start"]), tz, "start")
        end = (
            parse_time(str(args["end"]), tz, "end")
            if args.get("end")
            else start + timedelta(minutes=int(args.get("duration_minutes") or 30))
        )
        people = self._attendees(principal, account.id, list(args.get("attendees") or []))
        draft = EventInput(
            title=str(args["title"]),
            start=start,
            end=end,
            timezone=args.get("timezone") or None,
            description=str(args.get("description") or ""),
            location=str(args.get("location") or ""),
            attendees=people,
            conference_url=args.get("conference_url") or None,
        ).draft(tz)
        event = organised(CalendarEvent.new("", "primary", draft, organizer=account.address, now=start))
        event = replace(event, updated_at=None, ical_uid="")
        notified = self._flag(principal, account, list(event.guests()))
        return CalendarEffect("create", account.id, event, tz, notified)

    def _update(
        self, principal: Principal, account: MailAccount, calendar: Calendar, tz: str, args: Mapping[str, Any]
    ) -> CalendarEffect:
        before = calendar.get_event(str(args["event_id"]))
        if before.recurring_event_id:
            raise ValidationFailed("That is one instance of a recurring event: change the series, or cancel it.")
        self._must_organise(account, before)
        start = parse_time(str(args["start"]), tz, "start") if args.get("start") else before.start
        if args.get("end"):
            end = parse_time(str(args["end"]), tz, "end")
        elif args.get("duration_minutes"):
            end = start + timedelta(minutes=int(args["duration_minutes"]))
        else:
            end = start + (before.end - before.start)
        emails = [a.email for a in before.attendees if a.email != account.address.lower()]
        emails += [e for e in args.get("add_attendees") or [] if e.strip().lower() not in emails]
        removed = {e.strip().lower() for e in args.get("remove_attendees") or []}
        emails = [e for e in emails if e.strip().lower() not in removed]
        people = self._attendees(principal, account.id, emails, keep=before.attendees)
        draft = EventInput(
            title=str(args.get("title") or before.title),
            start=start,
            end=end,
            timezone=before.timezone,
            all_day=before.all_day,
            description=str(args["description"]) if "description" in args else before.description,
            location=str(args["location"]) if "location" in args else before.location,
            attendees=people,
            recurrence=before.recurrence,
            conference_url=before.conference_url,
            reminders=tuple(r.minutes for r in before.reminders),
            busy=before.busy,
        ).draft(tz, keep=before.attendees)

        after = updated(before, draft, before.updated_at or start)
        gone = [a for a in before.guests() if after.attendee(a.email) is None]
        notified = self._flag(principal, account, [*after.guests(), *gone])
        return CalendarEffect("update", account.id, after, tz, notified, before=before)

    def _respond(
        self, principal: Principal, account: MailAccount, calendar: Calendar, tz: str, args: Mapping[str, Any]
    ) -> CalendarEffect:
        response = ResponseStatus(str(args["response"]))
        me = account.address.lower()
        message_id = args.get("message_id")
        if message_id:
            event = self.get_mail_invitation().execute(principal, str(message_id), account.id).event
        elif args.get("event_id"):
            event = calendar.get_event(str(args["event_id"]))
        else:
            raise ValidationFailed("Say which invitation: event_id (from list_events) or message_id (a mail).")
        if event.organizer == me:
            raise ValidationFailed("You organise this event: there is no invitation to answer.")
        if event.attendee(me) is None:
            raise ValidationFailed(f"This invitation is not addressed to {me}.")
        if event.status is EventStatus.CANCELLED:
            raise ValidationFailed("This event is cancelled: there is nothing to answer.")
        answered = event.with_response(me, response, event.updated_at or event.start)
        organizer = event.attendee(event.organizer) or Attendee(event.organizer)
        notified = self._flag(principal, account, [organizer]) if "@" in event.organizer else ()
        return CalendarEffect(
            "respond", account.id, answered, tz, notified, response=response, message_id=str(message_id or "") or None
        )

    # -- running -------------------------------------------------------------------------------------------------

    def execute(self, principal: Principal, effect: Effect, *, key: str) -> dict[str, Any]:
        return self.execute_with_undo(principal, effect, key=key)[0]

    def execute_with_undo(
        self, principal: Principal, effect: Effect, *, key: str
    ) -> tuple[dict[str, Any], Mapping[str, Any] | None]:
        assert isinstance(effect, CalendarEffect)
        e = effect.event
        as_input = EventInput(
            title=e.title,
            start=e.start,
            end=e.end,
            timezone=e.timezone,
            all_day=e.all_day,
            description=e.description,
            location=e.location,
            attendees=tuple((a.email, a.name) for a in e.attendees if a.email != e.organizer),
            optional=tuple(a.email for a in e.attendees if a.optional),
            recurrence=e.recurrence,
            conference_url=e.conference_url,
            reminders=tuple(r.minutes for r in e.reminders),
            busy=e.busy,
        )
        match effect.action:
            case "create":
                created = self.create_event().execute(CreateEventInput(principal, as_input, effect.account_id, key))
                undo = (
                    None
                    if effect.notified
                    else {"kind": CalendarEffect.kind, "delete": created.id, "account_id": effect.account_id}
                )
                return self._result("created", created, effect), undo
            case "update":
                changed = self.update_event().execute(UpdateEventInput(principal, e.id, as_input, effect.account_id))
                return self._result("updated", changed, effect), None
            case "cancel":
                removed = self.delete_event().execute(DeleteEventInput(principal, e.id, effect.account_id))
                return self._result("cancelled", removed, effect), None
            case "respond":
                assert effect.response is not None
                if effect.message_id:
                    answered = self.answer_mail_invitation().execute(
                        AnswerMailInvitationInput(principal, effect.message_id, effect.response, effect.account_id)
                    )
                else:
                    answered = self.respond_to_event().execute(
                        RespondToEventInput(principal, e.id, effect.response, effect.account_id)
                    )
                return self._result(f"answered {effect.response.value}", answered, effect), None
        raise ValidationFailed(f"Unknown calendar change {effect.action!r}.")

    @staticmethod
    def _result(status: str, event: CalendarEvent, effect: CalendarEffect) -> dict[str, Any]:
        tz = zone(effect.timezone)
        return {
            "status": status,
            "event_id": event.id,
            "title": event.title,
            "start": event.start.astimezone(tz).isoformat(),
            "end": event.end.astimezone(tz).isoformat(),
            "timezone": effect.timezone,
            "notified": [r.address for r in effect.notified],
        }

    def undo(self, principal: Principal, plan: Mapping[str, Any]) -> None:
        event_id = plan.get("delete")
        if not event_id:
            raise ValidationFailed("This change cannot be undone.")
        self.delete_event().execute(DeleteEventInput(principal, str(event_id), plan.get("account_id")))
