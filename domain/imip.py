"""iMIP (RFC 6047): calendar invitations, updates, cancellations and answers as text/calendar mail, written and read
with the icalendar library. What the demo sends for an approved invitation, and what lets the agent read an
invitation that arrived in mail ("accept the invite from Alice")."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import icalendar

from domain.calendar import Attendee, CalendarEvent, EventStatus, ResponseStatus, zone
from domain.errors import ValidationFailed

PRODID = "-//mailagent//calendar//EN"
MAX_ICS_BYTES = 1_000_000


class Method(enum.StrEnum):
    REQUEST = "REQUEST"  # an invitation or an update
    CANCEL = "CANCEL"
    REPLY = "REPLY"  # an attendee's answer
    PUBLISH = "PUBLISH"  # no answer expected


_PARTSTAT = {
    ResponseStatus.NEEDS_ACTION: "NEEDS-ACTION",
    ResponseStatus.ACCEPTED: "ACCEPTED",
    ResponseStatus.TENTATIVE: "TENTATIVE",
    ResponseStatus.DECLINED: "DECLINED",
}
_RESPONSE = {v: k for k, v in _PARTSTAT.items()}


def _address(attendee: Attendee, *, rsvp: bool) -> icalendar.vCalAddress:
    value = icalendar.vCalAddress(f"mailto:{attendee.email}")
    if attendee.name:
        value.params["CN"] = attendee.name
    value.params["PARTSTAT"] = _PARTSTAT[attendee.response]
    value.params["ROLE"] = "OPT-PARTICIPANT" if attendee.optional else "REQ-PARTICIPANT"
    if rsvp:
        value.params["RSVP"] = "TRUE"
    return value


def to_ics(event: CalendarEvent, method: Method, *, sequence: int = 0, only: str | None = None) -> bytes:
    """The event as an iCalendar object for `method`. A REPLY carries only the answering attendee (`only`)."""
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("method", method.value)
    vevent = icalendar.Event()
    vevent.add("uid", event.ical_uid or f"{event.id}@mailagent")
    vevent.add("dtstamp", (event.updated_at or datetime.now(UTC)).astimezone(UTC))
    vevent.add("sequence", sequence)
    vevent.add("summary", event.title)
    if event.all_day:
        tz = zone(event.timezone)
        vevent.add("dtstart", event.start.astimezone(tz).date())
        vevent.add("dtend", event.end.astimezone(tz).date())
    else:
        tz = zone(event.timezone)
        vevent.add("dtstart", event.start.astimezone(tz))
        vevent.add("dtend", event.end.astimezone(tz))
    if event.description:
        vevent.add("description", event.description)
    if event.location:
        vevent.add("location", event.location)
    if event.conference_url:
        vevent.add("url", event.conference_url)
    for line in event.recurrence:
        name, _, value = line.partition(":")
        if name.upper() == "RRULE":
            vevent.add("rrule", icalendar.vRecur.from_ical(value))
    status = "CANCELLED" if method is Method.CANCEL or event.status is EventStatus.CANCELLED else "CONFIRMED"
    vevent.add("status", status)
    vevent.add("transp", "OPAQUE" if event.busy else "TRANSPARENT")
    if event.organizer:
        organizer = icalendar.vCalAddress(f"mailto:{event.organizer}")
        vevent.add("organizer", organizer, encode=False)
    for attendee in event.attendees:
        if only is not None and attendee.email != only:
            continue
        rsvp = method is Method.REQUEST and attendee.email != event.organizer
        vevent.add("attendee", _address(attendee, rsvp=rsvp), encode=False)
    cal.add_component(vevent)
    return bytes(cal.to_ical())


@dataclass(frozen=True)
class Invitation:
    """What a text/calendar part says: its method and the event(s) in it."""

    method: Method
    events: tuple[CalendarEvent, ...]


def _mailto(value: Any) -> str:
    text = str(value or "").strip()
    return text[7:].lower() if text.lower().startswith("mailto:") else text.lower()


def _as_aware(value: Any, tzname: str) -> tuple[datetime, bool]:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return value.replace(tzinfo=zone(tzname)), False
        return value, False
    if isinstance(value, date):
        return datetime.combine(value, time(0), tzinfo=zone(tzname)), True
    raise ValidationFailed("The invitation's start or end is not a date or time.")


def _zone_name(value: Any, default: str) -> str:
    tz = getattr(value, "tzinfo", None)
    key = getattr(tz, "key", None) or getattr(tz, "zone", None)
    if isinstance(key, str) and ("/" in key or key == "UTC"):
        return key
    return default


def parse_ics(data: bytes, *, default_timezone: str = "UTC") -> Invitation:
    """Read an iCalendar object (from a text/calendar part); ValidationFailed when it is not one."""
    if len(data) > MAX_ICS_BYTES:
        raise ValidationFailed("The calendar data is too large.")
    try:
        cal = icalendar.Calendar.from_ical(data)
    except (ValueError, KeyError, IndexError) as exc:
        raise ValidationFailed(f"This is not readable calendar data: {exc}") from None
    method_text = str(cal.get("method") or "PUBLISH").upper()
    method = Method(method_text) if method_text in Method.__members__ else Method.PUBLISH
    events: list[CalendarEvent] = []
    for vevent in cal.walk("VEVENT"):
        try:
            raw_start = vevent.decoded("dtstart")
        except KeyError:
            continue
        tzname = _zone_name(raw_start, default_timezone)
        start, all_day = _as_aware(raw_start, tzname)
        if "dtend" in vevent:
            end, _ = _as_aware(vevent.decoded("dtend"), tzname)
        elif "duration" in vevent:
            end = start + vevent.decoded("duration")
        else:
            end = start + (timedelta(days=1) if all_day else timedelta(0))
        attendees_raw = vevent.get("attendee") or []
        if not isinstance(attendees_raw, list):
            attendees_raw = [attendees_raw]
        organizer = _mailto(vevent.get("organizer"))
        attendees: list[Attendee] = []
        seen: set[str] = set()
        for raw in attendees_raw:
            email = _mailto(raw)
            if "@" not in email or email in seen:
                continue
            seen.add(email)
            params = getattr(raw, "params", {})
            attendees.append(
                Attendee(
                    email,
                    str(params.get("CN", "")),
                    _RESPONSE.get(str(params.get("PARTSTAT", "NEEDS-ACTION")).upper(), ResponseStatus.NEEDS_ACTION),
                    optional=str(params.get("ROLE", "")).upper() == "OPT-PARTICIPANT",
                    organizer=email == organizer,
                )
            )
        recurrence = tuple(f"RRULE:{r.to_ical().decode()}" for r in _as_list(vevent.get("rrule")))
        uid = str(vevent.get("uid") or "")
        cancelled = method is Method.CANCEL or str(vevent.get("status") or "").upper() == "CANCELLED"
        stamp = vevent.get("dtstamp")
        events.append(
            CalendarEvent(
                id=uid or "imported",
                calendar_id="primary",
                title=" ".join(str(vevent.get("summary") or "(no title)").split()) or "(no title)",
                start=start,
                end=max(end, start),
                timezone=tzname,
                all_day=all_day,
                description=str(vevent.get("description") or ""),
                location=str(vevent.get("location") or ""),
                organizer=organizer,
                attendees=tuple(attendees),
                recurrence=recurrence,
                conference_url=str(vevent.get("url")) if vevent.get("url") else None,
                status=EventStatus.CANCELLED if cancelled else EventStatus.CONFIRMED,
                busy=str(vevent.get("transp") or "OPAQUE").upper() != "TRANSPARENT",
                ical_uid=uid,
                updated_at=stamp.dt if stamp is not None and isinstance(stamp.dt, datetime) else None,
            )
        )
    return Invitation(method, tuple(events))


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]
