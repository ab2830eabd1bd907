"""Calendar: the events of one connected account's calendars (Google Calendar, the demo calendar), Google semantics."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass

from domain.calendar import CalendarEvent, EventDraft, Interval, ResponseStatus


@dataclass(frozen=True)
class CalendarInfo:
    id: str
    name: str
    timezone: str
    primary: bool = False


class Calendar(ABC):
    """One account's calendars. Ids are the provider's; an expanded instance of a recurring event has the id
    `<series id>_<UTC start>` (domain.calendar.instance_id). A missing id raises NotFound with a readable message;
    invalid input raises ValidationFailed; a provider failure raises ServiceUnavailable."""

    @abstractmethod
    def owner(self) -> str:
        """The account's own address: the organizer of the events it creates."""

    @abstractmethod
    def timezone(self) -> str:
        """The IANA zone of the primary calendar: the user's zone for working hours and for showing times."""

    @abstractmethod
    def list_calendars(self) -> list[CalendarInfo]: ...

    @abstractmethod
    def list_events(self, window: Interval, *, query: str = "", calendar_id: str | None = None) -> list[CalendarEvent]:
        """Every event instance overlapping `window` (recurring series expanded), oldest first; `query` keeps those
        whose title, description, location or attendees contain every word. Cancelled events are left out."""

    @abstractmethod
    def get_event(self, event_id: str) -> CalendarEvent:
        """A series, a one-off event, or one instance of a series by its instance id."""

    @abstractmethod
    def create_event(self, draft: EventDraft, *, calendar_id: str | None = None) -> CalendarEvent:
        """Stored with the owner as organizer (and, when there are guests, as an accepted attendee)."""

    @abstractmethod
    def update_event(self, event_id: str, draft: EventDraft) -> CalendarEvent:
        """Every field replaced by `draft`'s; attendees keep their answers unless the time changes. An instance id
        is refused: change the series, or cancel that one instance."""

    @abstractmethod
    def delete_event(self, event_id: str) -> CalendarEvent:
        """Cancel an event (a series with every instance, or one instance of a series); returns what was removed."""

    @abstractmethod
    def respond(self, event_id: str, response: ResponseStatus) -> CalendarEvent:
        """The owner's answer to an invitation (on the series, or the whole series for an instance id)."""

    @abstractmethod
    def import_event(self, event: CalendarEvent) -> CalendarEvent:
        """Put an invitation that arrived by mail (iMIP) on the calendar, matched by its iCalendar UID: a second
        import of the same UID updates the first rather than adding a copy."""

    @abstractmethod
    def free_busy(self, window: Interval, addresses: Sequence[str]) -> dict[str, list[Interval] | None]:
        """Busy time inside `window` per address, merged. The owner's comes from their calendar; other people's
        only where the provider can see it (None: unknown)."""

    def sends_invitations(self) -> bool:
        """Whether the provider mails invitations and updates to attendees itself (Google does with
        sendUpdates=all); when not, the application sends them as iMIP mail from the account's mailbox."""
        return False
