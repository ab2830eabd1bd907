"""GuardedCalendar and GuardedContacts: a Calendar / Contacts whose every call goes through the provider's circuit
breaker ("calendar", "people"), so while Google Calendar is down a person is told at once instead of waiting
through the adapter's retries. Errors pass through unchanged; an open circuit raises ServiceUnavailable."""

from __future__ import annotations

from collections.abc import Sequence

from application.ports.calendar import Calendar, CalendarInfo
from application.ports.circuit_breaker import CircuitBreakers
from application.ports.contacts import Contacts
from domain.calendar import CalendarEvent, EventDraft, Interval, ResponseStatus
from domain.contacts import Contact


class GuardedCalendar(Calendar):
    def __init__(self, inner: Calendar, breakers: CircuitBreakers, *, service: str = "calendar") -> None:
        self.inner, self.breakers, self.service = inner, breakers, service

    def owner(self) -> str:
        return self.inner.owner()

    def timezone(self) -> str:
        return self.breakers.call(self.service, self.inner.timezone)

    def list_calendars(self) -> list[CalendarInfo]:
        return self.breakers.call(self.service, self.inner.list_calendars)

    def list_events(self, window: Interval, *, query: str = "", calendar_id: str | None = None) -> list[CalendarEvent]:
        return self.breakers.call(
            self.service, lambda: self.inner.list_events(window, query=query, calendar_id=calendar_id)
        )

    def get_event(self, event_id: str) -> CalendarEvent:
        return self.breakers.call(self.service, lambda: self.inner.get_event(event_id))

    def create_event(self, draft: EventDraft, *, calendar_id: str | None = None) -> CalendarEvent:
        return self.breakers.call(self.service, lambda: self.inner.create_event(draft, calendar_id=calendar_id))

    def update_event(self, event_id: str, draft: EventDraft) -> CalendarEvent:
        return self.breakers.call(self.service, lambda: self.inner.update_event(event_id, draft))

    def delete_event(self, event_id: str) -> CalendarEvent:
        return self.breakers.call(self.service, lambda: self.inner.delete_event(event_id))

    def respond(self, event_id: str, response: ResponseStatus) -> CalendarEvent:
        return self.breakers.call(self.service, lambda: self.inner.respond(event_id, response))

    def import_event(self, event: CalendarEvent) -> CalendarEvent:
        return self.breakers.call(self.service, lambda: self.inner.import_event(event))

    def free_busy(self, window: Interval, addresses: Sequence[str]) -> dict[str, list[Interval] | None]:
        return self.breakers.call(self.service, lambda: self.inner.free_busy(window, addresses))

    def sends_invitations(self) -> bool:
        return self.inner.sends_invitations()


class GuardedContacts(Contacts):
    def __init__(self, inner: Contacts, breakers: CircuitBreakers, *, service: str = "people") -> None:
        self.inner, self.breakers, self.service = inner, breakers, service

    def search(self, query: str, limit: int = 10) -> list[Contact]:
        return self.breakers.call(self.service, lambda: self.inner.search(query, limit))

    def get(self, contact_id: str) -> Contact:
        return self.breakers.call(self.service, lambda: self.inner.get(contact_id))

    def list_all(self, limit: int = 100) -> list[Contact]:
        return self.breakers.call(self.service, lambda: self.inner.list_all(limit))
