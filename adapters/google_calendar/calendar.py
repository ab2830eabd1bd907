"""GoogleCalendar: the Calendar port over Google Calendar v3 (google-api-python-client built offline from the wheel's
discovery document; backoff, token refresh and quota counting as for Gmail, in adapters.google_api).

Google keeps what the port promises: expanded instances with `<series>_<UTC start>` ids (singleEvents=true), an
instance cancelled by deleting its id, answers as the attendee's responseStatus, imports matched by iCalUID, and
free/busy for other people where their calendars are visible. Google mails the attendees itself
(`sendUpdates=all`), so `sends_invitations()` is true and the application sends no iMIP mail for these accounts."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from adapters.google_api.caller import GoogleCaller, Op, offline_service
from adapters.google_api.transport import CallFailure, TokenSource
from application.ports.calendar import Calendar, CalendarInfo
from application.ports.calendar_feed import CalendarFeed
from domain.calendar import (
    Attendee,
    CalendarEvent,
    EventDraft,
    EventStatus,
    Interval,
    Reminder,
    ResponseStatus,
    check_window,
    local_midnight,
    matches,
    merge_busy,
    organised,
    updated,
    zone,
)
from domain.calendar_sync import CalendarChange, CalendarChangePage, ChangeKind, SyncTokenExpired, WatchChannel
from domain.errors import NotFound, ValidationFailed

CALENDAR_ROOT_URL = "https://www.googleapis.com/"
DOCUMENT = "calendar.v3"
PRIMARY = "primary"
PAGE_SIZE = 2500  # events.list's maximum
CONFERENCE_PROPERTY = "mailagent_conference_url"
REAUTH = (
    "This Google account was connected without calendar access. Reconnect to allow calendar access: connect it "
    "again with Reconnect on the Calendar page, or Connect Gmail in Settings → Mail accounts."
)
_NOT_FOUND = "No event with that id (it may have been deleted)."


def _rfc3339(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_time(raw: Mapping[str, Any], fallback_zone: str) -> tuple[datetime, str, bool]:
    """(instant, zone name, all-day) of an EventDateTime."""
    name = str(raw.get("timeZone") or fallback_zone)
    tz = zone(name)
    if raw.get("date"):
        return local_midnight(date.fromisoformat(str(raw["date"])), tz), name, True
    return datetime.fromisoformat(str(raw["dateTime"])).astimezone(tz), name, False


def _time_body(at: datetime, timezone: str, all_day: bool) -> dict[str, str]:
    tz = zone(timezone)
    if all_day:
        return {"date": at.astimezone(tz).date().isoformat(), "timeZone": timezone}
    return {"dateTime": at.astimezone(tz).isoformat(), "timeZone": timezone}


def event_body(event: CalendarEvent | EventDraft, *, organizer: str) -> dict[str, Any]:
    """The Calendar v3 Event resource of an event as written (every field the port keeps)."""
    attendees = event.attendees
    if isinstance(event, EventDraft):
        probe = CalendarEvent("x", PRIMARY, event.title, event.start, event.end, event.timezone, attendees=attendees)
        attendees = organised(replace(probe, organizer=organizer)).attendees
    body: dict[str, Any] = {
        "summary": event.title,
        "description": event.description,
        "location": event.location,
        "start": _time_body(event.start, event.timezone, event.all_day),
        "end": _time_body(event.end, event.timezone, event.all_day),
        "attendees": [
            {
                "email": a.email,
                **({"displayName": a.name} if a.name else {}),
                "responseStatus": a.response.value,
                "optional": a.optional,
            }
            for a in attendees
        ],
        "recurrence": list(event.recurrence),
        "transparency": "opaque" if event.busy else "transparent",
        "reminders": {
            "useDefault": False,
            "overrides": [{"method": r.method, "minutes": r.minutes} for r in event.reminders],
        },
        # a link of our own (not a Meet room Google made) travels as a shared extended property
        "extendedProperties": {"shared": {CONFERENCE_PROPERTY: event.conference_url or ""}},
    }
    return body


def event_from_google(raw: Mapping[str, Any], *, fallback_zone: str) -> CalendarEvent:
    """A Calendar v3 Event resource as the port's CalendarEvent."""
    start, timezone, all_day = _parse_time(raw.get("start") or {}, fallback_zone)
    end, _, _ = _parse_time(raw.get("end") or {}, timezone)
    reminders = raw.get("reminders") or {}
    conference = str(raw.get("hangoutLink") or "")
    if not conference:
        entry_points = (raw.get("conferenceData") or {}).get("entryPoints") or []
        conference = next((str(p["uri"]) for p in entry_points if p.get("entryPointType") == "video"), "")
    if not conference:
        conference = str(((raw.get("extendedProperties") or {}).get("shared") or {}).get(CONFERENCE_PROPERTY) or "")
    original = raw.get("originalStartTime")
    updated_at = datetime.fromisoformat(str(raw["updated"])) if raw.get("updated") else None
    event = CalendarEvent(
        id=str(raw["id"]),
        calendar_id=PRIMARY,
        title=str(raw.get("summary") or "(no title)"),
        start=start,
        end=end,
        timezone=timezone,
        all_day=all_day,
        description=str(raw.get("description") or ""),
        location=str(raw.get("location") or ""),
        organizer=str((raw.get("organizer") or {}).get("email") or "").lower(),
        attendees=tuple(
            Attendee(
                str(a["email"]),
                str(a.get("displayName") or ""),
                ResponseStatus(a.get("responseStatus") or ResponseStatus.NEEDS_ACTION),
                optional=bool(a.get("optional", False)),
                organizer=bool(a.get("organizer", False)),
            )
            for a in raw.get("attendees") or ()
            if a.get("email")
        ),
        recurrence=tuple(str(r) for r in raw.get("recurrence") or ()),
        conference_url=conference or None,
        reminders=()
        if reminders.get("useDefault", True)
        else tuple(
            Reminder(int(r["minutes"]), str(r.get("method") or "popup")) for r in reminders.get("overrides") or ()
        ),
        status=EventStatus(raw.get("status") or EventStatus.CONFIRMED),
        busy=raw.get("transparency", "opaque") != "transparent",
        ical_uid=str(raw.get("iCalUID") or ""),
        updated_at=updated_at,
        recurring_event_id=str(raw["recurringEventId"]) if raw.get("recurringEventId") else None,
        original_start=_parse_time(original, timezone)[0] if original else None,
    )
    return organised(event)


class GoogleCalendar(Calendar, CalendarFeed):
    """The primary Google calendar of one account (`owner`), through `tokens`. `root_url` points every request
    elsewhere (a local fake in tests). Retry and quota options are GoogleCaller's."""

    def __init__(
        self,
        tokens: TokenSource,
        *,
        owner: str,
        root_url: str = CALENDAR_ROOT_URL,
        clock: Callable[[], datetime] | None = None,
        **caller_options: Any,
    ) -> None:
        self._owner = owner.strip().lower()
        self._clock = clock or (lambda: datetime.now(UTC))
        self._service = offline_service(DOCUMENT, root_url)
        self._events = self._service.events()
        self.caller = GoogleCaller(
            tokens, service="calendar", label="Google Calendar", reauth_message=REAUTH, **caller_options
        )
        self._timezone: str | None = None
        self._lock = threading.Lock()

    def close(self) -> None:
        self.caller.close()

    @property
    def quota_units_used(self) -> int:
        return self.caller.quota_units_used

    # ------------------------------------------------------------ reading

    def owner(self) -> str:
        return self._owner

    def timezone(self) -> str:
        with self._lock:
            if self._timezone is None:
                found = self.caller.execute(self._service.calendars().get(calendarId=PRIMARY), Op("read your calendar"))
                self._timezone = str(found.get("timeZone") or "UTC")
            return self._timezone

    def list_calendars(self) -> list[CalendarInfo]:
        infos: list[CalendarInfo] = []
        token: str | None = None
        while True:
            page = self.caller.execute(
                self._service.calendarList().list(**({"pageToken": token} if token else {})), Op("read your calendars")
            )
            for item in page.get("items") or ():
                infos.append(
                    CalendarInfo(
                        id=str(item["id"]),
                        name=str(item.get("summaryOverride") or item.get("summary") or item["id"]),
                        timezone=str(item.get("timeZone") or self.timezone()),
                        primary=bool(item.get("primary", False)),
                    )
                )
            token = page.get("nextPageToken")
            if not token:
                return sorted(infos, key=lambda c: (not c.primary, c.name.casefold(), c.id))

    def _pages(self, op: Op, **params: Any) -> Iterator[dict[str, Any]]:
        token: str | None = None
        while True:
            page = self.caller.execute(self._events.list(**params, **({"pageToken": token} if token else {})), op)
            yield from page.get("items") or ()
            token = page.get("nextPageToken")
            if not token:
                return

    def list_events(self, window: Interval, *, query: str = "", calendar_id: str | None = None) -> list[CalendarEvent]:
        check_window(window)
        params: dict[str, Any] = {
            "calendarId": calendar_id or PRIMARY,
            "timeMin": _rfc3339(window.start),
            "timeMax": _rfc3339(window.end),
            "singleEvents": True,
            "orderBy": "startTime",
            "maxResults": PAGE_SIZE,
        }
        if query.strip():
            params["q"] = " ".join(query.split())
        op = Op("read your calendar", "No calendar with that id.")
        fallback = self.timezone()
        events = [
            event_from_google(raw, fallback_zone=fallback)
            for raw in self._pages(op, **params)
            if raw.get("status") != EventStatus.CANCELLED.value
        ]
        # Google's q also searches fields the port does not (e.g. the organizer's name): keep the port's rule
        return sorted((e for e in events if matches(e, query)), key=lambda e: (e.start, e.end, e.id))

    def _raw(self, event_id: str) -> dict[str, Any]:
        if not event_id or len(event_id) > 1100 or "/" in event_id:
            raise NotFound(_NOT_FOUND)
        raw: dict[str, Any] = self.caller.execute(
            self._events.get(calendarId=PRIMARY, eventId=event_id), Op("read your calendar", _NOT_FOUND)
        )
        if raw.get("status") == EventStatus.CANCELLED.value:
            raise NotFound(_NOT_FOUND)
        return raw

    def get_event(self, event_id: str) -> CalendarEvent:
        return event_from_google(self._raw(event_id), fallback_zone=self.timezone())

    # ------------------------------------------------------------ changing

    @staticmethod
    def _updates(event: CalendarEvent | EventDraft) -> str:
        return "all" if any(not a.organizer for a in event.attendees) else "none"

    def create_event(self, draft: EventDraft, *, calendar_id: str | None = None) -> CalendarEvent:
        body = event_body(draft, organizer=self._owner)
        created = self.caller.execute(
            self._events.insert(
                calendarId=calendar_id or PRIMARY, body=body, sendUpdates=self._updates(draft), conferenceDataVersion=0
            ),
            Op("add events to your calendar", "No calendar with that id."),
            once=True,  # an unknown outcome is not re-sent: the guests would get two invitations
        )
        return event_from_google(created, fallback_zone=draft.timezone)

    def update_event(self, event_id: str, draft: EventDraft) -> CalendarEvent:
        raw = self._raw(event_id)
        if raw.get("recurringEventId"):
            raise ValidationFailed("That is one instance of a recurring event: change the series, or cancel it.")
        existing = event_from_google(raw, fallback_zone=self.timezone())
        if existing.organizer and existing.organizer != self._owner:
            raise ValidationFailed(
                f"Only the organizer ({existing.organizer}) can change this event; you can answer the invitation."
            )
        revised = updated(existing, draft, self._clock())
        written = self.caller.execute(
            self._events.update(
                calendarId=PRIMARY,
                eventId=existing.id,
                body=event_body(revised, organizer=self._owner),
                sendUpdates="all" if existing.guests() or revised.guests() else "none",
            ),
            Op("change events", _NOT_FOUND),
        )
        return event_from_google(written, fallback_zone=revised.timezone)

    def delete_event(self, event_id: str) -> CalendarEvent:
        existing = self.get_event(event_id)
        self.caller.execute(
            self._events.delete(
                calendarId=PRIMARY, eventId=event_id, sendUpdates="all" if existing.guests() else "none"
            ),
            Op("cancel events", _NOT_FOUND),
        )
        return existing

    def respond(self, event_id: str, response: ResponseStatus) -> CalendarEvent:
        raw = self._raw(event_id)
        if raw.get("recurringEventId"):  # an answer to one instance answers the series, as the port says
            raw = self._raw(str(raw["recurringEventId"]))
        existing = event_from_google(raw, fallback_zone=self.timezone())
        if existing.organizer == self._owner:
            raise ValidationFailed("You organise this event: there is no invitation to answer.")
        if existing.attendee(self._owner) is None:
            raise ValidationFailed("You are not among this event's attendees.")
        answered = existing.with_response(self._owner, ResponseStatus(response), self._clock())
        attendees = [
            {
                "email": a.email,
                **({"displayName": a.name} if a.name else {}),
                "responseStatus": a.response.value,
                "optional": a.optional,
            }
            for a in answered.attendees
        ]
        written = self.caller.execute(
            self._events.patch(
                calendarId=PRIMARY, eventId=existing.id, body={"attendees": attendees}, sendUpdates="all"
            ),
            Op("answer invitations", _NOT_FOUND),
        )
        return event_from_google(written, fallback_zone=existing.timezone)

    def import_event(self, event: CalendarEvent) -> CalendarEvent:
        uid = event.ical_uid
        if not uid:
            raise ValidationFailed("An invitation without a UID cannot be put on the calendar.")
        same = next(
            iter(self._pages(Op("read your calendar"), calendarId=PRIMARY, iCalUID=uid, showDeleted=False)), None
        )
        if same is not None:
            mine = event_from_google(same, fallback_zone=event.timezone).attendee(self._owner)
            if mine is not None and event.attendee(self._owner) is not None:
                event = event.with_response(self._owner, mine.response, self._clock())
        body = event_body(event, organizer=event.organizer)
        body["iCalUID"] = uid
        body["status"] = event.status.value
        if event.organizer:
            body["organizer"] = {"email": event.organizer}
        imported = self.caller.execute(
            self._events.import_(calendarId=PRIMARY, body=body), Op("add events to your calendar")
        )
        return event_from_google(imported, fallback_zone=event.timezone)

    # ------------------------------------------------------------ free/busy

    def free_busy(self, window: Interval, addresses: Sequence[str]) -> dict[str, list[Interval] | None]:
        check_window(window)
        wanted = list(dict.fromkeys(a.strip().lower() for a in addresses if a.strip()))
        result: dict[str, list[Interval] | None] = {}
        for start in range(0, len(wanted), 50):  # freebusy.query takes at most 50 calendars
            chunk = wanted[start : start + 50]
            answer = self.caller.execute(
                self._service.freebusy().query(
                    body={
                        "timeMin": _rfc3339(window.start),
                        "timeMax": _rfc3339(window.end),
                        "timeZone": "UTC",
                        "items": [{"id": a} for a in chunk],
                    }
                ),
                Op("read free/busy time"),
            )
            calendars = answer.get("calendars") or {}
            for address in chunk:
                entry = calendars.get(address) or {}
                if entry.get("errors") or address not in calendars:
                    result[address] = None  # not visible to this account
                    continue
                spans: list[Interval] = []
                for busy in entry.get("busy") or ():
                    begin = max(datetime.fromisoformat(str(busy["start"])), window.start)
                    end = min(datetime.fromisoformat(str(busy["end"])), window.end)
                    if end > begin:
                        spans.append(Interval(begin, end))
                result[address] = merge_busy(spans)
        return result

    def sends_invitations(self) -> bool:
        return True

    # ------------------------------------------------------------ change feed and push (CalendarFeed)

    def changes(self, sync_token: str | None) -> CalendarChangePage:
        """Google's incremental sync: events.list with the sync token (deleted events included) until the page that
        carries nextSyncToken. Without a token, the calendar is listed in full only to get one."""
        params: dict[str, Any] = {"calendarId": PRIMARY, "maxResults": PAGE_SIZE}
        if sync_token:
            params.update(syncToken=sync_token, showDeleted=True)
        op = Op("read your calendar's changes")
        fallback = self.timezone()
        changes: list[CalendarChange] = []
        token: str | None = None
        while True:
            outcome = self.caller.call(self._events.list(**params, **({"pageToken": token} if token else {})))
            if isinstance(outcome, CallFailure):
                if outcome.status == 410:  # fullSyncRequired: the token is too old
                    raise SyncTokenExpired("Google no longer knows this sync token.")
                raise self.caller.error(outcome, op)
            if sync_token:
                changes.extend(_change(raw, fallback) for raw in outcome.get("items") or ())
            token = outcome.get("nextPageToken")
            if not token:
                next_token = outcome.get("nextSyncToken")
                if not next_token:
                    raise ValidationFailed("Google Calendar answered a listing without a sync token.")
                return CalendarChangePage(tuple(changes), str(next_token))

    def watch(self, address: str, channel_id: str, token: str) -> WatchChannel:
        answer = self.caller.execute(
            self._events.watch(
                calendarId=PRIMARY, body={"id": channel_id, "type": "web_hook", "address": address, "token": token}
            ),
            Op("watch your calendar for changes"),
        )
        expires = answer.get("expiration")
        expires_at = datetime.fromtimestamp(int(expires) / 1000, UTC) if expires else self._clock() + timedelta(days=7)
        return WatchChannel(str(answer.get("id") or channel_id), str(answer.get("resourceId") or ""), expires_at)

    def stop(self, channel_id: str, resource_id: str) -> None:
        outcome = self.caller.call(self._service.channels().stop(body={"id": channel_id, "resourceId": resource_id}))
        if isinstance(outcome, CallFailure) and outcome.status != 404:
            raise self.caller.error(outcome, Op("stop watching your calendar"))


def _change(raw: Mapping[str, Any], fallback_zone: str) -> CalendarChange:
    event_id = str(raw["id"])
    changed = datetime.fromisoformat(str(raw["updated"])) if raw.get("updated") else None
    if raw.get("status") == EventStatus.CANCELLED.value or not raw.get("start"):
        # a deleted event (or one cancelled instance) may come with its id and status only
        return CalendarChange(event_id, ChangeKind.DELETED, changed_at=changed)
    event = event_from_google(raw, fallback_zone=fallback_zone)
    created = raw.get("created") and raw.get("created") == raw.get("updated")
    return CalendarChange(event_id, ChangeKind.CREATED if created else ChangeKind.UPDATED, event, changed)
