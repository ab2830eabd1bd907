"""Calendar and Contacts over a plain record store: the behaviour the in-memory fakes and the demo's SQLite
calendar share (expansion, instance ids, answers, imports, free/busy), so only storage differs between them."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime

from application.ports.calendar import Calendar, CalendarInfo
from application.ports.contacts import Contacts
from domain.calendar import (
    CalendarEvent,
    EventDraft,
    EventStatus,
    Interval,
    ResponseStatus,
    busy_of,
    check_window,
    expand_all,
    instance_of,
    matches,
    organised,
    split_instance_id,
    updated,
    without_instance,
)
from domain.contacts import Contact, fold, search_contacts
from domain.errors import NotFound, ValidationFailed
from domain.identity import new_id

PRIMARY = "primary"


class BookCalendar(Calendar):
    """A calendar whose events are records kept by a subclass (`_all`, `_get`, `_put`)."""

    def __init__(self, owner: str, timezone: str, clock: Callable[[], datetime], *, name: str = "") -> None:
        self._owner, self._timezone, self._clock = owner.lower(), timezone, clock
        self._name = name or owner

    @abstractmethod
    def _all(self) -> list[CalendarEvent]: ...

    @abstractmethod
    def _get(self, event_id: str) -> CalendarEvent | None: ...

    @abstractmethod
    def _put(self, event: CalendarEvent) -> None: ...

    def owner(self) -> str:
        return self._owner

    def timezone(self) -> str:
        return self._timezone

    def list_calendars(self) -> list[CalendarInfo]:
        return [CalendarInfo(PRIMARY, self._name, self._timezone, primary=True)]

    def _check_calendar(self, calendar_id: str | None) -> None:
        if calendar_id not in (None, PRIMARY, self._owner):
            raise NotFound("No calendar with that id.")

    def list_events(self, window: Interval, *, query: str = "", calendar_id: str | None = None) -> list[CalendarEvent]:
        self._check_calendar(calendar_id)
        check_window(window)
        live = [e for e in self._all() if e.status is not EventStatus.CANCELLED]
        return [e for e in expand_all(live, window) if matches(e, query)]

    def _series(self, event_id: str) -> CalendarEvent:
        found = self._get(event_id)
        if found is None or found.status is EventStatus.CANCELLED:
            raise NotFound("No event with that id (it may have been deleted).")
        return found

    def get_event(self, event_id: str) -> CalendarEvent:
        found = self._get(event_id)
        if found is not None and found.status is not EventStatus.CANCELLED:
            return found
        series_id, original = split_instance_id(event_id)
        if original is not None:
            instance = instance_of(self._series(series_id), original)
            if instance is not None:
                return instance
        raise NotFound("No event with that id (it may have been deleted).")

    def create_event(self, draft: EventDraft, *, calendar_id: str | None = None) -> CalendarEvent:
        self._check_calendar(calendar_id)
        event_id = new_id().replace("-", "")[:26].lower()
        event = organised(CalendarEvent.new(event_id, PRIMARY, draft, organizer=self._owner, now=self._clock()))
        self._put(event)
        return event

    def update_event(self, event_id: str, draft: EventDraft) -> CalendarEvent:
        existing = self._get(event_id)
        if existing is None and split_instance_id(event_id)[1] is not None:
            raise ValidationFailed("That is one instance of a recurring event: change the series, or cancel it.")
        existing = self._series(event_id)
        if existing.organizer and existing.organizer != self._owner:
            raise ValidationFailed(
                f"Only the organizer ({existing.organizer}) can change this event; you can answer the invitation."
            )
        event = updated(existing, draft, self._clock())
        self._put(event)
        return event

    def delete_event(self, event_id: str) -> CalendarEvent:
        now = self._clock()
        existing = self._get(event_id)
        if existing is not None and existing.status is not EventStatus.CANCELLED:
            self._put(replace(existing, status=EventStatus.CANCELLED, updated_at=now))
            return existing
        series_id, original = split_instance_id(event_id)
        if original is not None:
            series = self._series(series_id)
            instance = instance_of(series, original)
            if instance is not None:
                self._put(without_instance(series, original, now))
                return instance
        raise NotFound("No event with that id (it may have been deleted).")

    def respond(self, event_id: str, response: ResponseStatus) -> CalendarEvent:
        series_id, original = split_instance_id(event_id)
        existing = self._get(event_id)
        if existing is None and original is not None:
            existing = self._get(series_id)
        if existing is None or existing.status is EventStatus.CANCELLED:
            raise NotFound("No event with that id (it may have been deleted).")
        if existing.organizer == self._owner:
            raise ValidationFailed("You organise this event: there is no invitation to answer.")
        if existing.attendee(self._owner) is None:
            raise ValidationFailed("You are not among this event's attendees.")
        answered = existing.with_response(self._owner, ResponseStatus(response), self._clock())
        self._put(answered)
        return answered

    def import_event(self, event: CalendarEvent) -> CalendarEvent:
        uid = event.ical_uid
        if not uid:
            raise ValidationFailed("An invitation without a UID cannot be put on the calendar.")
        same = next((e for e in self._all() if e.ical_uid == uid), None)
        now = self._clock()
        if same is not None:
            mine = same.attendee(self._owner)
            merged = replace(event, id=same.id, calendar_id=PRIMARY, updated_at=now)
            if mine is not None and merged.attendee(self._owner) is not None:
                merged = merged.with_response(self._owner, mine.response, now)
            self._put(merged)
            return merged
        stored = replace(event, id=new_id().replace("-", "")[:26].lower(), calendar_id=PRIMARY, updated_at=now)
        self._put(stored)
        return stored

    def free_busy(self, window: Interval, addresses: Sequence[str]) -> dict[str, list[Interval] | None]:
        check_window(window)
        live = [e for e in self._all() if e.status is not EventStatus.CANCELLED]
        result: dict[str, list[Interval] | None] = {}
        for address in addresses:
            who = address.strip().lower()
            if who == self._owner:
                result[who] = busy_of(live, window, attendee=who)
            else:
                result[who] = None  # nobody else's calendar is visible from here
        return result


class BookContacts(Contacts):
    """An address book whose contacts are records kept by a subclass (`_all`)."""

    @abstractmethod
    def _all(self) -> list[Contact]: ...

    def search(self, query: str, limit: int = 10) -> list[Contact]:
        return search_contacts(self._all(), query, limit)

    def get(self, contact_id: str) -> Contact:
        found = next((c for c in self._all() if c.id == contact_id), None)
        if found is None:
            raise NotFound("No contact with that id.")
        return found

    def list_all(self, limit: int = 100) -> list[Contact]:
        return sorted(self._all(), key=lambda c: (c.other, fold(c.name or c.email), c.id))[:limit]
