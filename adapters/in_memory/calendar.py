"""InMemoryCalendar and InMemoryContacts: complete fakes of the Calendar and Contacts ports (tests; inspection via
`.events` and `.contacts`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime

from application.calendar_book import BookCalendar, BookContacts
from domain.calendar import CalendarEvent
from domain.contacts import Contact


class InMemoryCalendar(BookCalendar):
    def __init__(
        self,
        owner: str,
        timezone: str = "UTC",
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        events: Iterable[CalendarEvent] = (),
        *,
        sends_invitations: bool = False,
    ) -> None:
        super().__init__(owner, timezone, clock)
        self.events: dict[str, CalendarEvent] = {e.id: e for e in events}
        self._sends = sends_invitations

    def _all(self) -> list[CalendarEvent]:
        return list(self.events.values())

    def _get(self, event_id: str) -> CalendarEvent | None:
        return self.events.get(event_id)

    def _put(self, event: CalendarEvent) -> None:
        self.events[event.id] = event

    def sends_invitations(self) -> bool:
        return self._sends


class InMemoryContacts(BookContacts):
    def __init__(self, contacts: Iterable[Contact] = ()) -> None:
        self.contacts: dict[str, Contact] = {c.id: c for c in contacts}

    def _all(self) -> list[Contact]:
        return list(self.contacts.values())
