"""Calendar changes the agent holds for approval, frozen (ADR 0011): the event exactly as it will be written (times,
zone, attendees), what it was before, and every person the change notifies with their flags. The card shows the times
in the user's zone (and UTC), every attendee, and who will get mail."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC
from typing import Any, ClassVar

from domain.approval import Card, CardItem, Effect, Recipient, register_effect
from domain.calendar import CalendarEvent, ResponseStatus, event_from_dict, event_to_dict, zone
from domain.errors import ValidationFailed

ACTIONS = ("create", "update", "cancel", "respond")
_EXPLAINED = ("updated_at", "recurring_event_id", "original_start")  # not what happens: left out of the hash


def _event_content(event: CalendarEvent | None) -> dict[str, Any] | None:
    if event is None:
        return None
    data = event_to_dict(event)
    for key in _EXPLAINED:
        data.pop(key, None)
    data["start"] = event.start.astimezone(UTC).isoformat()
    data["end"] = event.end.astimezone(UTC).isoformat()
    return data


def _when(event: CalendarEvent, timezone: str) -> str:
    tz = zone(timezone)
    start, end = event.start.astimezone(tz), event.end.astimezone(tz)
    if event.all_day:
        return f"{start:%a %d %b %Y} (all day)"
    end_text = f"{end:%H:%M}" if start.date() == end.date() else f"{end:%a %d %b %H:%M}"
    return f"{start:%a %d %b %Y, %H:%M}–{end_text} {timezone}"


@register_effect
@dataclass(frozen=True)
class CalendarEffect(Effect):
    """One calendar change. `event` is the event as it will be (create, update), as it is (cancel), or with the
    user's answer (respond); `before` what an update replaces; `notified` who gets mail about it (guests; for an
    answer, the organizer); `timezone` the user's zone, in which the card shows times."""

    kind: ClassVar[str] = "calendar.change"
    action: str
    account_id: str
    event: CalendarEvent
    timezone: str
    notified: tuple[Recipient, ...] = ()
    before: CalendarEvent | None = None
    response: ResponseStatus | None = None
    message_id: str | None = None  # an invitation answered from this mail

    def __post_init__(self) -> None:
        if self.action not in ACTIONS:
            raise ValidationFailed(f"A calendar change is one of {', '.join(ACTIONS)}.")
        zone(self.timezone)

    def content(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "account_id": self.account_id,
            "event": _event_content(self.event),
            "before": _event_content(self.before),
            "notified": [r.content() for r in self.notified],
            "response": self.response.value if self.response else None,
            "message_id": self.message_id,
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "account_id": self.account_id,
            "event": event_to_dict(self.event),
            "before": event_to_dict(self.before) if self.before else None,
            "timezone": self.timezone,
            "notified": [r.to_dict() for r in self.notified],
            "response": self.response.value if self.response else None,
            "message_id": self.message_id,
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> CalendarEffect:
        return cls(
            action=str(raw["action"]),
            account_id=str(raw["account_id"]),
            event=event_from_dict(dict(raw["event"])),
            timezone=str(raw.get("timezone") or "UTC"),
            notified=tuple(Recipient.from_dict(r) for r in raw.get("notified") or ()),
            before=event_from_dict(dict(raw["before"])) if raw.get("before") else None,
            response=ResponseStatus(raw["response"]) if raw.get("response") else None,
            message_id=raw.get("message_id") or None,
        )

    def recipients(self) -> tuple[Recipient, ...]:
        return self.notified

    def card(self) -> Card:
        e = self.event
        when = _when(e, self.timezone)
        people = len(self.notified)
        quoted = f"'{e.title}'"
        title = {
            "create": f"Create {quoted} on {when}" + (f" and invite {people} people" if people else ""),
            "update": f"Change {quoted} to {when}" + (f" and tell {people} people" if people else ""),
            "cancel": f"Cancel {quoted} on {when}" + (f" and tell {people} people" if people else ""),
            "respond": f"Answer '{self.response.value if self.response else ''}' to {quoted} on {when}",
        }[self.action]
        fields: list[tuple[str, str]] = [("When", when)]
        if not e.all_day:
            fields.append(("In UTC", f"{e.start.astimezone(UTC):%a %d %b %H:%M}–{e.end.astimezone(UTC):%H:%M} UTC"))
        if e.timezone != self.timezone:
            fields.append(("Event's own zone", _when(e, e.timezone)))
        if self.before is not None and (self.before.start, self.before.end) != (e.start, e.end):
            fields.append(("Was", _when(self.before, self.timezone)))
        if self.before is not None and self.before.title != e.title:
            fields.append(("Was called", self.before.title))
        if e.location:
            fields.append(("Where", e.location))
        if e.conference_url:
            fields.append(("Join", e.conference_url))
        if e.recurrence:
            fields.append(("Repeats", "; ".join(e.recurrence)))
        fields.append(("Organizer", e.organizer or "you"))
        items = tuple(
            CardItem(
                f"{a.name} <{a.email}>" if a.name else a.email, a.response.value + (", optional" if a.optional else "")
            )
            for a in e.attendees
        )
        notes: list[str] = []
        if self.notified:
            notes.append(
                "Each person listed above gets an e-mail"
                + (" with the invitation (text/calendar)." if self.action != "respond" else " with your answer.")
            )
        else:
            notes.append("Nobody else is told: it stays on your calendar.")
        if self.before is not None:
            removed = [a.email for a in self.before.guests() if e.attendee(a.email) is None]
            if removed:
                notes.append(f"Taken off the invitation (told it is cancelled for them): {', '.join(removed)}.")
        return Card(
            title=title,
            recipients=self.notified,
            fields=tuple(fields),
            body=e.description or None,
            items=items,
            notes=tuple(notes),
        )
