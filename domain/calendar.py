"""Calendar events and time: timed and all-day events in IANA zones, RRULE recurrence expanded in a window,
attendees and their answers, and free/busy arithmetic (merging busy time, free slots in working hours).

Every instant is an aware datetime. An event keeps the IANA zone it was written in: a weekly 09:00 meeting in
Europe/Lisbon stays at 09:00 Lisbon time across daylight-saving changes (expansion works on wall time in that
zone, as RFC 5545 and Google Calendar do). An all-day event covers whole local days, `end` exclusive."""

from __future__ import annotations

import enum
import math
import re
import zoneinfo
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

from dateutil.rrule import rrulestr

from domain.errors import ValidationFailed

MAX_TITLE = 1000
MAX_DESCRIPTION = 8000
MAX_ATTENDEES = 100
MAX_INSTANCES = 2000  # one expansion never produces more (a daily rule over years is cut, not looped over)
MAX_WINDOW = timedelta(days=400)
MAX_EVENT_LENGTH = timedelta(days=366)


class ResponseStatus(enum.StrEnum):
    NEEDS_ACTION = "needsAction"
    ACCEPTED = "accepted"
    TENTATIVE = "tentative"
    DECLINED = "declined"


class EventStatus(enum.StrEnum):
    CONFIRMED = "confirmed"
    TENTATIVE = "tentative"
    CANCELLED = "cancelled"


def zone(name: str) -> tzinfo:
    """The IANA zone called `name`; ValidationFailed (saying what to use) for anything else."""
    text = (name or "").strip()
    try:
        if (text and "/" in text) or text == "UTC":
            return zoneinfo.ZoneInfo(text)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        pass
    raise ValidationFailed(
        f"Unknown time zone '{text[:64]}': use an IANA name such as 'Europe/Lisbon' or 'America/New_York'.",
        details=[{"field": "timezone", "issue": "unknown_timezone"}],
    )


def aware(value: datetime, field_name: str = "time") -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValidationFailed(
            f"The {field_name} must carry a time zone or offset (e.g. 2026-12-10T15:00:00+00:00).",
            details=[{"field": field_name, "issue": "naive_datetime"}],
        )
    return value


def local_midnight(day: date, tz: tzinfo) -> datetime:
    """The first instant of `day` in `tz` (00:00, or the first existing time when a DST gap swallows midnight)."""
    at = datetime.combine(day, time(0), tzinfo=tz)
    return at.astimezone(UTC).astimezone(tz)


@dataclass(frozen=True, order=True)
class Interval:
    """[start, end) between two aware instants."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        aware(self.start, "start")
        aware(self.end, "end")
        if self.end < self.start:
            raise ValidationFailed("An interval ends before it starts.")

    @property
    def duration(self) -> timedelta:
        return self.end - self.start

    def overlaps(self, other: Interval) -> bool:
        return self.start < other.end and other.start < self.end

    def to_utc(self) -> Interval:
        return Interval(self.start.astimezone(UTC), self.end.astimezone(UTC))


@dataclass(frozen=True)
class Attendee:
    email: str
    name: str = ""
    response: ResponseStatus = ResponseStatus.NEEDS_ACTION
    optional: bool = False
    organizer: bool = False

    def __post_init__(self) -> None:
        address = self.email.strip().lower()
        if "@" not in address or len(address) > 320 or any(c.isspace() for c in address):
            raise ValidationFailed(
                f"'{self.email[:80]}' is not an e-mail address.", details=[{"field": "attendees", "issue": "email"}]
            )
        object.__setattr__(self, "email", address)
        object.__setattr__(self, "response", ResponseStatus(self.response))

    def to_dict(self) -> dict[str, Any]:
        return {
            "email": self.email,
            "name": self.name,
            "response": self.response.value,
            "optional": self.optional,
            "organizer": self.organizer,
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Attendee:
        return cls(
            email=str(raw["email"]),
            name=str(raw.get("name") or ""),
            response=ResponseStatus(raw.get("response") or ResponseStatus.NEEDS_ACTION),
            optional=bool(raw.get("optional", False)),
            organizer=bool(raw.get("organizer", False)),
        )


@dataclass(frozen=True)
class Reminder:
    minutes: int
    method: str = "popup"  # popup | email

    def __post_init__(self) -> None:
        if not 0 <= self.minutes <= 40320 or self.method not in ("popup", "email"):
            raise ValidationFailed("A reminder is 'popup' or 'email', 0 to 40320 minutes (4 weeks) before.")


@dataclass(frozen=True)
class EventDraft:
    """What a person asks for: the fields of a new event, or every field of an updated one."""

    title: str
    start: datetime
    end: datetime
    timezone: str
    all_day: bool = False
    description: str = ""
    location: str = ""
    attendees: tuple[Attendee, ...] = ()
    recurrence: tuple[str, ...] = ()
    conference_url: str | None = None
    reminders: tuple[Reminder, ...] = ()
    busy: bool = True

    def __post_init__(self) -> None:
        tz = zone(self.timezone)
        aware(self.start, "start")
        aware(self.end, "end")
        title = " ".join(self.title.split())
        if not title:
            raise ValidationFailed("An event needs a title.", details=[{"field": "title", "issue": "empty"}])
        if len(title) > MAX_TITLE or len(self.description) > MAX_DESCRIPTION or len(self.location) > MAX_TITLE:
            raise ValidationFailed("The title, location or description is too long.")
        object.__setattr__(self, "title", title)
        if self.all_day:  # whole local days in the event's zone
            first = self.start.astimezone(tz).date()
            local_end = self.end.astimezone(tz)
            last = local_end.date() + (timedelta(days=1) if local_end.time() != time(0) else timedelta(0))
            if last <= first:
                last = first + timedelta(days=1)
            object.__setattr__(self, "start", local_midnight(first, tz))
            object.__setattr__(self, "end", local_midnight(last, tz))
        if self.end <= self.start:
            raise ValidationFailed("An event must end after it starts.", details=[{"field": "end", "issue": "order"}])
        if self.end - self.start > MAX_EVENT_LENGTH:
            raise ValidationFailed("An event may last at most a year.")
        if len(self.attendees) > MAX_ATTENDEES:
            raise ValidationFailed(f"An event may have at most {MAX_ATTENDEES} attendees.")
        seen: set[str] = set()
        for a in self.attendees:
            if a.email in seen:
                raise ValidationFailed(f"{a.email} is listed twice among the attendees.")
            seen.add(a.email)
        if self.conference_url is not None and not self.conference_url.startswith(("https://", "http://")):
            raise ValidationFailed("A conference link must be an http(s) URL.")
        validate_recurrence(self.recurrence, self.start.astimezone(tz))


def validate_recurrence(lines: Sequence[str], start: datetime) -> None:
    if not lines:
        return
    if len(lines) > 20 or any(len(line) > 500 for line in lines):
        raise ValidationFailed("Too many or too long recurrence lines.")
    for line in lines:
        if not line.upper().startswith(("RRULE:", "EXDATE", "RDATE", "EXRULE:")):
            raise ValidationFailed(
                f"'{line[:60]}' is not a recurrence line: use RFC 5545 lines such as 'RRULE:FREQ=WEEKLY;BYDAY=MO'.",
                details=[{"field": "recurrence", "issue": "syntax"}],
            )
    try:
        rrulestr("\n".join(lines), dtstart=start, forceset=True)
    except (ValueError, TypeError) as exc:
        raise ValidationFailed(
            f"The recurrence rule is not valid RFC 5545: {exc}", details=[{"field": "recurrence", "issue": "syntax"}]
        ) from None


@dataclass(frozen=True)
class CalendarEvent:
    """An event on a calendar. For a recurring event this is the series; `expand` gives its instances."""

    id: str
    calendar_id: str
    title: str
    start: datetime
    end: datetime
    timezone: str
    all_day: bool = False
    description: str = ""
    location: str = ""
    organizer: str = ""
    attendees: tuple[Attendee, ...] = ()
    recurrence: tuple[str, ...] = ()
    conference_url: str | None = None
    reminders: tuple[Reminder, ...] = ()
    status: EventStatus = EventStatus.CONFIRMED
    busy: bool = True
    ical_uid: str = ""
    updated_at: datetime | None = None
    # set on an expanded instance of a recurring series
    recurring_event_id: str | None = None
    original_start: datetime | None = None

    @classmethod
    def new(
        cls, event_id: str, calendar_id: str, draft: EventDraft, *, organizer: str, now: datetime, ical_uid: str = ""
    ) -> CalendarEvent:
        return cls(
            id=event_id,
            calendar_id=calendar_id,
            title=draft.title,
            start=draft.start,
            end=draft.end,
            timezone=draft.timezone,
            all_day=draft.all_day,
            description=draft.description,
            location=draft.location,
            organizer=organizer.lower(),
            attendees=draft.attendees,
            recurrence=draft.recurrence,
            conference_url=draft.conference_url,
            reminders=draft.reminders,
            busy=draft.busy,
            ical_uid=ical_uid or f"{event_id}@mailagent",
            updated_at=now,
        )

    def revised(self, draft: EventDraft, now: datetime) -> CalendarEvent:
        return replace(
            self,
            title=draft.title,
            start=draft.start,
            end=draft.end,
            timezone=draft.timezone,
            all_day=draft.all_day,
            description=draft.description,
            location=draft.location,
            attendees=draft.attendees,
            recurrence=draft.recurrence,
            conference_url=draft.conference_url,
            reminders=draft.reminders,
            busy=draft.busy,
            updated_at=now,
        )

    def draft(self) -> EventDraft:
        return EventDraft(
            title=self.title,
            start=self.start,
            end=self.end,
            timezone=self.timezone,
            all_day=self.all_day,
            description=self.description,
            location=self.location,
            attendees=self.attendees,
            recurrence=self.recurrence,
            conference_url=self.conference_url,
            reminders=self.reminders,
            busy=self.busy,
        )

    @property
    def interval(self) -> Interval:
        return Interval(self.start, self.end)

    @property
    def recurring(self) -> bool:
        return bool(self.recurrence)

    @property
    def series_id(self) -> str:
        return self.recurring_event_id or self.id

    def attendee(self, email: str) -> Attendee | None:
        address = email.strip().lower()
        return next((a for a in self.attendees if a.email == address), None)

    def guests(self) -> tuple[Attendee, ...]:
        """The attendees other than the organizer: the people an invitation or update reaches."""
        return tuple(a for a in self.attendees if a.email != self.organizer and not a.organizer)

    def with_response(self, email: str, response: ResponseStatus, now: datetime) -> CalendarEvent:
        address = email.strip().lower()
        if self.attendee(address) is None:
            raise ValidationFailed(f"{address} is not invited to '{self.title}'.")
        attendees = tuple(replace(a, response=response) if a.email == address else a for a in self.attendees)
        return replace(self, attendees=attendees, updated_at=now)


def instance_id(series_id: str, original_start: datetime) -> str:
    """Google Calendar's instance id form: `<series>_<UTC start as YYYYMMDDTHHMMSSZ>` (all-day: `_<YYYYMMDD>`)."""
    return f"{series_id}_{original_start.astimezone(UTC):%Y%m%dT%H%M%SZ}"


def split_instance_id(value: str) -> tuple[str, datetime | None]:
    series, sep, stamp = value.rpartition("_")
    if not sep or len(stamp) != 16 or not stamp.endswith("Z"):
        return value, None
    try:
        return series, datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        return value, None


# The Gregorian calendar repeats itself exactly every 400 years (146,097 days, 20,871 weeks): dates, weekdays, leap
# days and ISO weeks fall the same way, so a rule's occurrences do too, shifted by whole cycles of its own period.
_CYCLE_YEARS = 400
_INTERVAL = re.compile(r"INTERVAL=(\d+)")


def _skipped_ahead(recurrence: Sequence[str], local_start: datetime, since: datetime | None) -> datetime:
    """A start moved forward by whole calendar cycles (times the rules' intervals) to before `since`, from which the
    rules give the same occurrences from `since` on; so a window centuries after a series began does not walk every
    occurrence in between (a daily series read in the year 4608 took 6.6 s). Not for a COUNT (which counts from the
    first occurrence) or BYEASTER (Easter does not repeat every 400 years): those keep their start."""
    text = "\n".join(recurrence).upper()
    if since is None or "COUNT=" in text or "BYEASTER" in text:
        return local_start
    step = _CYCLE_YEARS * math.lcm(1, *(int(n) for n in _INTERVAL.findall(text) if 0 < int(n) < 10_000))
    cycles = (since.year - local_start.year - 1) // step
    if cycles <= 0:
        return local_start
    return local_start.replace(year=local_start.year + cycles * step)


def _occurrences(event: CalendarEvent, until: datetime, since: datetime | None = None) -> Iterable[datetime]:
    """The series' starts before `until`, oldest first; with `since`, possibly only those from a cycle before it on
    (every start at or after `since` is still there)."""
    tz = zone(event.timezone)
    local_start = _skipped_ahead(event.recurrence, event.start.astimezone(tz), since)
    rules = rrulestr("\n".join(event.recurrence), dtstart=local_start, forceset=True)
    for occurrence in rules if since is None else rules.xafter(since.astimezone(tz), inc=True):
        # dateutil keeps the wall time and the tzinfo: re-read it in the zone so the UTC offset of that very day
        # (summer or winter) applies, and a wall time inside a DST gap lands on the real instant after it.
        at = occurrence.replace(tzinfo=tz).astimezone(UTC).astimezone(tz)
        if at >= until:
            return
        yield at


def expand(event: CalendarEvent, window: Interval) -> list[CalendarEvent]:
    """The event's instances overlapping `window`, oldest first. A one-off event is its own only instance. Each
    instance of a series keeps the series' wall-clock length in its zone and gets an id `instance_id(...)`."""
    if event.status is EventStatus.CANCELLED:
        return []
    if not event.recurring:
        return [event] if event.interval.overlaps(window) or _point_inside(event.interval, window) else []
    tz = zone(event.timezone)
    local_start, local_end = event.start.astimezone(tz), event.end.astimezone(tz)
    wall_length = local_end.replace(tzinfo=None) - local_start.replace(tzinfo=None)
    found: list[CalendarEvent] = []
    # An instance that starts a while before the window can still reach into it.
    since = window.start - (local_end - local_start) - timedelta(days=2)
    for at in _occurrences(event, window.end, since):
        end = (at.replace(tzinfo=None) + wall_length).replace(tzinfo=tz).astimezone(UTC).astimezone(tz)
        if end <= window.start and not (end == at == window.start):
            continue
        found.append(
            replace(
                event,
                id=instance_id(event.id, at),
                start=at,
                end=end,
                recurring_event_id=event.id,
                original_start=at,
            )
        )
        if len(found) >= MAX_INSTANCES:
            break
    return found


def _point_inside(interval: Interval, window: Interval) -> bool:
    """A zero-length event (a deadline) at an instant inside the window still shows."""
    return interval.start == interval.end and window.start <= interval.start < window.end


def expand_all(events: Iterable[CalendarEvent], window: Interval) -> list[CalendarEvent]:
    instances = [i for e in events for i in expand(e, window)]
    return sorted(instances, key=lambda e: (e.start, e.end, e.id))


def check_window(window: Interval) -> Interval:
    if window.end <= window.start:
        raise ValidationFailed("The time window must end after it starts.")
    if window.duration > MAX_WINDOW:
        raise ValidationFailed(f"Ask for at most {MAX_WINDOW.days} days at a time.")
    return window


# ---- free/busy ---------------------------------------------------------------------------------------------------


def merge_busy(intervals: Iterable[Interval]) -> list[Interval]:
    """Busy time as the fewest disjoint intervals, in UTC, oldest first: overlapping or touching intervals join;
    empty ones vanish."""
    ordered = sorted((i.to_utc() for i in intervals if i.end > i.start), key=lambda i: (i.start, i.end))
    merged: list[Interval] = []
    for current in ordered:
        if merged and current.start <= merged[-1].end:
            last = merged[-1]
            merged[-1] = Interval(last.start, max(last.end, current.end))
        else:
            merged.append(current)
    return merged


def busy_of(events: Iterable[CalendarEvent], window: Interval, *, attendee: str | None = None) -> list[Interval]:
    """The busy time the events' instances make inside `window` (free/transparent events, cancelled ones and,
    when `attendee` is given, the ones that attendee declined, make none)."""
    spans: list[Interval] = []
    for instance in expand_all(events, window):
        if not instance.busy:
            continue
        if attendee is not None:
            who = instance.attendee(attendee)
            if who is not None and who.response is ResponseStatus.DECLINED:
                continue
        start, end = max(instance.start, window.start), min(instance.end, window.end)
        if end > start:
            spans.append(Interval(start, end))
    return merge_busy(spans)


@dataclass(frozen=True)
class WorkingHours:
    """When the user works, in their zone: from `start` to `end` on `days` (Monday = 0)."""

    timezone: str
    start: time = time(9)
    end: time = time(17, 30)
    days: frozenset[int] = field(default_factory=lambda: frozenset({0, 1, 2, 3, 4}))

    def __post_init__(self) -> None:
        zone(self.timezone)
        if self.end <= self.start:
            raise ValidationFailed("Working hours must end after they start.")
        if not self.days or not self.days <= set(range(7)):
            raise ValidationFailed("Working days are 0 (Monday) to 6 (Sunday).")

    def periods(self, window: Interval) -> list[Interval]:
        """The working periods overlapping `window`, clipped to it: built day by day in the zone, so a working day
        is 09:00–17:30 local time on both sides of a DST change."""
        tz = zone(self.timezone)
        day = window.start.astimezone(tz).date() - timedelta(days=1)
        last = window.end.astimezone(tz).date()
        periods: list[Interval] = []
        while day <= last:
            if day.weekday() in self.days:
                start = datetime.combine(day, self.start, tzinfo=tz).astimezone(UTC)
                end = datetime.combine(day, self.end, tzinfo=tz).astimezone(UTC)
                clipped_start, clipped_end = max(start, window.start), min(end, window.end)
                if clipped_end > clipped_start:
                    periods.append(Interval(clipped_start.astimezone(UTC), clipped_end.astimezone(UTC)))
            day += timedelta(days=1)
        return periods


def free_slots(
    busy: Iterable[Interval],
    window: Interval,
    hours: WorkingHours,
    *,
    minimum: timedelta = timedelta(minutes=30),
) -> list[Interval]:
    """The free time inside `window` and the working hours, not overlapping any busy interval, each at least
    `minimum` long, oldest first, in the working hours' zone."""
    if minimum <= timedelta(0):
        raise ValidationFailed("A slot must last at least a minute.")
    tz = zone(hours.timezone)
    blocked = merge_busy(busy)
    free: list[Interval] = []
    for period in hours.periods(window):
        cursor = period.start
        for b in blocked:
            if b.end <= cursor or b.start >= period.end:
                continue
            if b.start > cursor:
                free.append(Interval(cursor, b.start))
            cursor = max(cursor, b.end)
            if cursor >= period.end:
                break
        if cursor < period.end:
            free.append(Interval(cursor, period.end))
    return [Interval(f.start.astimezone(tz), f.end.astimezone(tz)) for f in free if f.duration >= minimum]


def first_slots(free: Sequence[Interval], length: timedelta, count: int = 3) -> list[Interval]:
    """Up to `count` meeting proposals of exactly `length` from free time: the start of each free stretch long
    enough, on the quarter hour."""
    proposals: list[Interval] = []
    for stretch in free:
        start = _round_up_quarter(stretch.start)
        if start + length <= stretch.end:
            proposals.append(Interval(start, start + length))
        if len(proposals) >= count:
            break
    return proposals


def _round_up_quarter(at: datetime) -> datetime:
    utc = at.astimezone(UTC)
    extra = (-(utc.minute % 15)) % 15
    rounded = utc.replace(second=0, microsecond=0) + timedelta(minutes=extra)
    if rounded < utc:
        rounded += timedelta(minutes=15)
    return rounded.astimezone(at.tzinfo)


# ---- what every calendar adapter does the same way ---------------------------------------------------------------


def matches(event: CalendarEvent, query: str) -> bool:
    """Every word of `query` appears (case-insensitively) in the title, description, location or an attendee."""
    words = query.casefold().split()
    if not words:
        return True
    haystack = " ".join(
        [event.title, event.description, event.location, *(f"{a.name} {a.email}" for a in event.attendees)]
    ).casefold()
    return all(w in haystack for w in words)


def organised(event: CalendarEvent) -> CalendarEvent:
    """With guests, the organizer is an attendee too (accepted), as Google stores it."""
    if not event.guests() or not event.organizer:
        return event
    if event.attendee(event.organizer) is not None:
        attendees = tuple(replace(a, organizer=True) if a.email == event.organizer else a for a in event.attendees)
    else:
        attendees = (Attendee(event.organizer, response=ResponseStatus.ACCEPTED, organizer=True), *event.attendees)
    return replace(event, attendees=attendees)


def updated(existing: CalendarEvent, draft: EventDraft, now: datetime) -> CalendarEvent:
    """`existing` with every field of `draft`: attendees who stay keep their answer unless the time moved (then
    they are asked again, as Google does); the organizer keeps theirs."""
    moved = (draft.start, draft.end) != (existing.start, existing.end)
    previous = {a.email: a for a in existing.attendees}
    attendees: list[Attendee] = []
    for a in draft.attendees:
        before = previous.get(a.email)
        if before is None:
            attendees.append(a)
        elif before.organizer or before.email == existing.organizer:
            attendees.append(replace(a, response=before.response, organizer=True))
        else:
            attendees.append(replace(a, response=ResponseStatus.NEEDS_ACTION if moved else before.response))
    return organised(replace(existing.revised(draft, now), attendees=tuple(attendees)))


def without_instance(series: CalendarEvent, original_start: datetime, now: datetime) -> CalendarEvent:
    """The series with one instance cancelled (an EXDATE line)."""
    stamp = f"EXDATE:{original_start.astimezone(UTC):%Y%m%dT%H%M%SZ}"
    return replace(series, recurrence=(*series.recurrence, stamp), updated_at=now)


def instance_of(series: CalendarEvent, original_start: datetime) -> CalendarEvent | None:
    """The instance of `series` that starts at `original_start`, if the series has one."""
    probe = Interval(original_start, original_start + timedelta(seconds=1))
    return next((i for i in expand(series, probe) if i.original_start == original_start), None)


# ---- records ----------------------------------------------------------------------------------------------------


def _iso(at: datetime | None) -> str | None:
    return None if at is None else at.isoformat()


def _at(raw: Any) -> datetime | None:
    return None if raw in (None, "") else datetime.fromisoformat(str(raw))


def event_to_dict(event: CalendarEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "calendar_id": event.calendar_id,
        "title": event.title,
        "start": event.start.isoformat(),
        "end": event.end.isoformat(),
        "timezone": event.timezone,
        "all_day": event.all_day,
        "description": event.description,
        "location": event.location,
        "organizer": event.organizer,
        "attendees": [a.to_dict() for a in event.attendees],
        "recurrence": list(event.recurrence),
        "conference_url": event.conference_url,
        "reminders": [{"minutes": r.minutes, "method": r.method} for r in event.reminders],
        "status": event.status.value,
        "busy": event.busy,
        "ical_uid": event.ical_uid,
        "updated_at": _iso(event.updated_at),
        "recurring_event_id": event.recurring_event_id,
        "original_start": _iso(event.original_start),
    }


def event_from_dict(raw: dict[str, Any]) -> CalendarEvent:
    start, end = _at(raw["start"]), _at(raw["end"])
    assert start is not None and end is not None
    return CalendarEvent(
        id=str(raw["id"]),
        calendar_id=str(raw.get("calendar_id") or "primary"),
        title=str(raw["title"]),
        start=start,
        end=end,
        timezone=str(raw.get("timezone") or "UTC"),
        all_day=bool(raw.get("all_day", False)),
        description=str(raw.get("description") or ""),
        location=str(raw.get("location") or ""),
        organizer=str(raw.get("organizer") or ""),
        attendees=tuple(Attendee.from_dict(a) for a in raw.get("attendees") or ()),
        recurrence=tuple(str(r) for r in raw.get("recurrence") or ()),
        conference_url=raw.get("conference_url") or None,
        reminders=tuple(
            Reminder(int(r["minutes"]), str(r.get("method") or "popup")) for r in raw.get("reminders") or ()
        ),
        status=EventStatus(raw.get("status") or EventStatus.CONFIRMED),
        busy=bool(raw.get("busy", True)),
        ical_uid=str(raw.get("ical_uid") or ""),
        updated_at=_at(raw.get("updated_at")),
        recurring_event_id=raw.get("recurring_event_id") or None,
        original_start=_at(raw.get("original_start")),
    )


DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def working_hours_from(spec: str, days: str, timezone: str) -> WorkingHours:
    """WorkingHours from settings text: '09:00-17:30' and 'mon,tue,wed,thu,fri'."""
    try:
        first, _, last = spec.strip().partition("-")
        start, end = time.fromisoformat(first.strip()), time.fromisoformat(last.strip())
    except ValueError:
        raise ValidationFailed(f"Working hours '{spec}' must look like 09:00-17:30.") from None
    picked = [d.strip().lower()[:3] for d in days.split(",") if d.strip()]
    unknown = [d for d in picked if d not in DAY_NAMES]
    if unknown:
        raise ValidationFailed(f"Unknown working day(s): {', '.join(unknown)} (use mon..sun).")
    return WorkingHours(timezone, start, end, frozenset(DAY_NAMES.index(d) for d in picked))
