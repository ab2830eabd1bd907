"""Calendar API: events in a window, one event, create/update/cancel, answer an invitation (also one that arrived
by mail), and free/busy with free slots inside working hours. Times go in with an offset and come back in UTC and in
the event's own zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query, status
from pydantic import BaseModel, ConfigDict, Field

from application.use_cases.calendar.common import EventInput
from application.use_cases.calendar.create_event import CreateEventInput
from application.use_cases.calendar.delete_event import DeleteEventInput
from application.use_cases.calendar.find_free_time import FreeBusy, FreeBusyInput
from application.use_cases.calendar.invitations import AnswerMailInvitationInput, MailInvitation
from application.use_cases.calendar.list_events import ListEventsInput
from application.use_cases.calendar.respond_to_event import RespondToEventInput
from application.use_cases.calendar.update_event import UpdateEventInput
from domain.calendar import CalendarEvent, Interval, ResponseStatus, zone
from entrypoints.http.constraints import IsoDateTime
from entrypoints.http.deps import AuditContextDep, ContainerDep, OneAccountQ, PrincipalDep
from entrypoints.http.envelope import Envelope, ok
from entrypoints.http.openapi_contract import errors

router = APIRouter(
    prefix="/calendar",
    tags=["calendar"],
    responses=errors(404, s404="No such mail account, event or invitation (or not yours)"),
)

AccountQuery = OneAccountQ
DEFAULT_DAYS = 7


class AttendeeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: str = Field(min_length=3, max_length=320, json_schema_extra={"format": "email"})
    name: str = Field("", max_length=200)
    optional: bool = False


class AttendeeOut(BaseModel):
    email: str
    name: str
    response: ResponseStatus
    optional: bool
    organizer: bool


class EventIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1, max_length=1000)
    start: datetime = Field(description="ISO 8601 with an offset, e.g. 2026-12-10T15:00:00+00:00")
    end: datetime = Field(
        description="ISO 8601 with an offset, after `start` and at most 366 days later; for an all-day event the day "
        "after the last day"
    )
    timezone: str | None = Field(None, max_length=64, description="IANA zone; default: the calendar's")
    all_day: bool = False
    description: str = Field("", max_length=8000)
    location: str = Field("", max_length=1000)
    attendees: list[AttendeeIn] = Field(default_factory=list, max_length=100, description="They get invitations")
    recurrence: list[str] = Field(
        default_factory=list, max_length=20, description="RFC 5545 lines, e.g. RRULE:FREQ=WEEKLY;BYDAY=MO"
    )
    conference_url: str | None = Field(None, max_length=2000)
    reminders: list[int] = Field(default_factory=list, max_length=5, description="Minutes before, as popups")
    busy: bool = Field(True, description="false: shows as free (transparent)")

    def to_input(self) -> EventInput:
        return EventInput(
            title=self.title,
            start=self.start,
            end=self.end,
            timezone=self.timezone,
            all_day=self.all_day,
            description=self.description,
            location=self.location,
            attendees=tuple((a.email, a.name) for a in self.attendees),
            optional=tuple(a.email for a in self.attendees if a.optional),
            recurrence=tuple(self.recurrence),
            conference_url=self.conference_url,
            reminders=tuple(self.reminders),
            busy=self.busy,
        )


class EventOut(BaseModel):
    id: str
    series_id: str = Field(description="The recurring series' id (the event's own id for a one-off)")
    title: str
    start: datetime = Field(description="UTC")
    end: datetime = Field(description="UTC")
    local_start: str = Field(description="The start in `timezone`, ISO 8601 with its offset")
    local_end: str
    timezone: str
    all_day: bool
    description: str
    location: str
    organizer: str
    attendees: list[AttendeeOut]
    recurrence: list[str]
    recurring_event_id: str | None
    conference_url: str | None
    reminders: list[int]
    status: str
    busy: bool
    my_response: ResponseStatus | None = Field(description="Your answer when you are invited (not organizing)")
    can_edit: bool = Field(description="You organise it (guests can only answer)")

    @classmethod
    def of(cls, e: CalendarEvent, me: str = "") -> EventOut:
        tz = zone(e.timezone)
        mine = e.attendee(me) if me else None
        organising = not e.organizer or e.organizer == me.lower()
        return cls(
            id=e.id,
            series_id=e.series_id,
            title=e.title,
            start=e.start.astimezone(UTC),
            end=e.end.astimezone(UTC),
            local_start=e.start.astimezone(tz).isoformat(),
            local_end=e.end.astimezone(tz).isoformat(),
            timezone=e.timezone,
            all_day=e.all_day,
            description=e.description,
            location=e.location,
            organizer=e.organizer,
            attendees=[AttendeeOut(**a.to_dict()) for a in e.attendees],
            recurrence=list(e.recurrence),
            recurring_event_id=e.recurring_event_id,
            conference_url=e.conference_url,
            reminders=[r.minutes for r in e.reminders],
            status=e.status.value,
            busy=e.busy,
            my_response=None if organising or mine is None else mine.response,
            can_edit=organising,
        )


class EventListOut(BaseModel):
    timezone: str = Field(description="The calendar's zone: the user's zone for showing times")
    start: datetime
    end: datetime
    events: list[EventOut]


class IntervalOut(BaseModel):
    start: datetime = Field(description="UTC")
    end: datetime = Field(description="UTC")
    local_start: str
    local_end: str

    @classmethod
    def of(cls, i: Interval, timezone: str) -> IntervalOut:
        tz = zone(timezone)
        return cls(
            start=i.start.astimezone(UTC),
            end=i.end.astimezone(UTC),
            local_start=i.start.astimezone(tz).isoformat(),
            local_end=i.end.astimezone(tz).isoformat(),
        )


class FreeBusyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    start: datetime = Field(description="Window start, ISO 8601 with an offset")
    end: datetime = Field(description="Window end: after `start` and at most 400 days later (else a 422)")
    attendees: list[str] = Field(default_factory=list, max_length=20, description="Other people to fit in")
    duration_minutes: int = Field(30, ge=5, le=1440)


class FreeBusyOut(BaseModel):
    timezone: str
    busy: dict[str, list[IntervalOut] | None] = Field(description="Per address; null: that calendar is not visible")
    free: list[IntervalOut] = Field(description="Free time inside working hours, at least duration_minutes long")
    suggestions: list[IntervalOut] = Field(description="The first meeting times of exactly duration_minutes")
    unknown: list[str] = Field(description="People whose busy time is not visible: slots only reflect yours")

    @classmethod
    def of(cls, f: FreeBusy) -> FreeBusyOut:
        tz = f.timezone
        return cls(
            timezone=tz,
            busy={a: None if s is None else [IntervalOut.of(i, tz) for i in s] for a, s in f.busy.items()},
            free=[IntervalOut.of(i, tz) for i in f.free],
            suggestions=[IntervalOut.of(i, tz) for i in f.suggestions],
            unknown=f.unknown,
        )


class RespondIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    response: Literal["accepted", "tentative", "declined"]


class MailInvitationOut(BaseModel):
    message_id: str
    method: str = Field(description="REQUEST (an invitation or update), CANCEL, REPLY or PUBLISH")
    event: EventOut
    on_calendar: EventOut | None = Field(description="The same event (by UID) on your calendar, if it is there")


def _me(container: ContainerDep, principal: PrincipalDep, account: str | None) -> str:
    return str(container.mail_access().account(principal, account).address).lower()


@router.get("/events", response_model=Envelope[EventListOut])
def list_events(
    principal: PrincipalDep,
    container: ContainerDep,
    start: Annotated[
        IsoDateTime | None, Query(description="Window start, ISO 8601 with offset (default: today 00:00 UTC)")
    ] = None,
    end: Annotated[
        IsoDateTime | None,
        Query(
            description=f"Window end, after `start` and at most 400 days later (default: start + {DEFAULT_DAYS} days)"
        ),
    ] = None,
    q: Annotated[str, Query(max_length=200, description="Words the title, place, notes or attendees contain")] = "",
    account: AccountQuery = None,
) -> Envelope[EventListOut]:
    """Event instances overlapping the window (recurring events expanded, at most 400 days), oldest first."""
    if start is None:
        start = container.clock().now().astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    if end is None:
        end = start + timedelta(days=DEFAULT_DAYS)
    found = container.list_events().execute(ListEventsInput(principal, start, end, q, account))
    me = _me(container, principal, account)
    return ok(
        EventListOut(timezone=found.timezone, start=start, end=end, events=[EventOut.of(e, me) for e in found.events])
    )


@router.post("/events", status_code=status.HTTP_201_CREATED, response_model=Envelope[EventOut])
def create_event(
    body: EventIn,
    principal: PrincipalDep,
    container: ContainerDep,
    ctx: AuditContextDep,
    account: AccountQuery = None,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)] = None,
) -> Envelope[EventOut]:
    """Create an event; attendees get an invitation (iMIP mail from your mailbox in the demo). Needs `mail:modify`
    (and `mail:send` with attendees)."""
    created = container.create_event().execute(
        CreateEventInput(principal, body.to_input(), account, idempotency_key, ctx)
    )
    return ok(EventOut.of(created, _me(container, principal, account)))


@router.post("/freebusy", response_model=Envelope[FreeBusyOut])
def free_busy(
    body: FreeBusyIn, principal: PrincipalDep, container: ContainerDep, account: AccountQuery = None
) -> Envelope[FreeBusyOut]:
    """Your busy time (and the attendees' where visible) and the free slots you share inside working hours, in
    your calendar's zone."""
    found = container.find_free_time().execute(
        FreeBusyInput(principal, body.start, body.end, tuple(body.attendees), body.duration_minutes, account)
    )
    return ok(FreeBusyOut.of(found))


@router.get("/events/{event_id}", response_model=Envelope[EventOut])
def get_event(
    event_id: str, principal: PrincipalDep, container: ContainerDep, account: AccountQuery = None
) -> Envelope[EventOut]:
    event = container.get_event().execute(principal, event_id, account)
    return ok(EventOut.of(event, _me(container, principal, account)))


@router.put("/events/{event_id}", response_model=Envelope[EventOut])
def update_event(
    event_id: str,
    body: EventIn,
    principal: PrincipalDep,
    container: ContainerDep,
    ctx: AuditContextDep,
    account: AccountQuery = None,
) -> Envelope[EventOut]:
    """Replace every field of an event you organise; guests get the update (moved time: asked again)."""
    updated = container.update_event().execute(UpdateEventInput(principal, event_id, body.to_input(), account, ctx))
    return ok(EventOut.of(updated, _me(container, principal, account)))


@router.delete("/events/{event_id}", response_model=Envelope[EventOut])
def delete_event(
    event_id: str, principal: PrincipalDep, container: ContainerDep, ctx: AuditContextDep, account: AccountQuery = None
) -> Envelope[EventOut]:
    """Cancel an event (or one instance of a recurring one); guests of yours are told."""
    removed = container.delete_event().execute(DeleteEventInput(principal, event_id, account, ctx))
    return ok(EventOut.of(removed, _me(container, principal, account)))


@router.post("/events/{event_id}/respond", response_model=Envelope[EventOut])
def respond(
    event_id: str,
    body: RespondIn,
    principal: PrincipalDep,
    container: ContainerDep,
    ctx: AuditContextDep,
    account: AccountQuery = None,
) -> Envelope[EventOut]:
    """Answer an invitation on your calendar; the organizer is told."""
    answered = container.respond_to_event().execute(
        RespondToEventInput(principal, event_id, ResponseStatus(body.response), account, ctx)
    )
    return ok(EventOut.of(answered, _me(container, principal, account)))


def _invitation_out(
    container: ContainerDep, principal: PrincipalDep, found: MailInvitation, me: str, account: str | None
) -> MailInvitationOut:
    on_calendar = None
    if found.event.ical_uid:
        window = Interval(found.event.start - timedelta(days=1), found.event.end + timedelta(days=1))
        listed = container.list_events().execute(ListEventsInput(principal, window.start, window.end, "", account))
        same = next((e for e in listed.events if e.ical_uid == found.event.ical_uid), None)
        on_calendar = EventOut.of(same, me) if same is not None else None
    return MailInvitationOut(
        message_id=found.message_id,
        method=found.method.value,
        event=EventOut.of(found.event, me),
        on_calendar=on_calendar,
    )


@router.get("/invitations/{message_id}", response_model=Envelope[MailInvitationOut])
def mail_invitation(
    message_id: str, principal: PrincipalDep, container: ContainerDep, account: AccountQuery = None
) -> Envelope[MailInvitationOut]:
    """The invitation in a message's text/calendar part (404 when it has none), and the same event on your calendar."""
    found = container.get_mail_invitation().execute(principal, message_id, account)
    return ok(_invitation_out(container, principal, found, _me(container, principal, account), account))


@router.post("/invitations/{message_id}/respond", response_model=Envelope[EventOut])
def answer_mail_invitation(
    message_id: str, body: RespondIn, principal: PrincipalDep, container: ContainerDep, account: AccountQuery = None
) -> Envelope[EventOut]:
    """Answer the invitation in a message: it goes on your calendar with your answer and the organizer is told."""
    answered = container.answer_mail_invitation().execute(
        AnswerMailInvitationInput(principal, message_id, ResponseStatus(body.response), account)
    )
    return ok(EventOut.of(answered, _me(container, principal, account)))
