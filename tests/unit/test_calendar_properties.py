"""Calendar and contacts as properties (plan section 14-15): recurrence expansion against a brute-force oracle in
zones with daylight saving (property 57, calendar event query), updates (58), iCalendar round trips (60, event
information extraction), free/busy merging and free slots inside working hours across DST, contact search (61)."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.in_memory.calendar import InMemoryCalendar
from domain.calendar import (
    Attendee,
    CalendarEvent,
    EventDraft,
    Interval,
    ResponseStatus,
    WorkingHours,
    busy_of,
    expand,
    free_slots,
    merge_busy,
)
from domain.contacts import Contact, fold, match_rank, search_contacts
from domain.errors import ValidationFailed
from domain.imip import Method, parse_ics, to_ics

ZONES = ["Europe/Lisbon", "America/New_York", "Australia/Sydney", "Asia/Kolkata", "UTC", "Europe/Berlin"]
T0 = datetime(2026, 1, 1, tzinfo=UTC)

zones = st.sampled_from(ZONES)
wall_times = st.builds(time, st.integers(0, 23), st.sampled_from([0, 15, 30, 45]))
days = st.integers(0, 400)
lengths = st.integers(5, 60 * 30).map(lambda m: timedelta(minutes=m))


def local(day: int, at: time, tz: str) -> datetime:
    d = (T0 + timedelta(days=day)).date()
    return datetime.combine(d, at, tzinfo=ZoneInfo(tz)).astimezone(UTC).astimezone(ZoneInfo(tz))


@st.composite
def series(draw: st.DrawFn) -> tuple[CalendarEvent, str, int, int]:
    tz = draw(zones)
    start = local(draw(days), draw(wall_times), tz)
    length = draw(lengths)
    freq, step = draw(st.sampled_from([("DAILY", 1), ("WEEKLY", 7)]))
    count = draw(st.integers(1, 60))
    event = CalendarEvent(
        id="s1",
        calendar_id="primary",
        title="Series",
        start=start,
        end=start + length,
        timezone=tz,
        recurrence=(f"RRULE:FREQ={freq};COUNT={count}",),
    )
    return event, tz, step, count


def oracle(event: CalendarEvent, step: int, count: int, window: Interval) -> list[tuple[datetime, datetime]]:
    """Each occurrence at the same wall time `step` days apart, re-read in the zone (DST moves the UTC instant)."""
    tz = ZoneInfo(event.timezone)
    first = event.start.astimezone(tz).replace(tzinfo=None)
    wall_len = event.end.astimezone(tz).replace(tzinfo=None) - first
    found = []
    for k in range(count):
        wall = first + timedelta(days=step * k)
        start = wall.replace(tzinfo=tz).astimezone(UTC)
        end = (wall + wall_len).replace(tzinfo=tz).astimezone(UTC)
        if start < window.end and end > window.start:
            found.append((start, end))
    return found


@pytest.mark.property(57)
@given(series(), days, st.integers(1, 120))
def test_property_57_expansion_matches_the_wall_clock_oracle(
    s: tuple[CalendarEvent, str, int, int], day: int, span: int
) -> None:
    """Property 57 (calendar event query): the instances listed for a window are exactly those of the series that
    overlap it, each at the series' wall time in its zone whatever the DST offset of that day."""
    event, _tz, step, count = s
    window = Interval(T0 + timedelta(days=day), T0 + timedelta(days=day + span))
    got = [(i.start.astimezone(UTC), i.end.astimezone(UTC)) for i in expand(event, window)]
    assert got == oracle(event, step, count, window)
    for instance in expand(event, window):
        assert instance.recurring_event_id == "s1" and instance.id.startswith("s1_")
        assert instance.start.tzinfo is not None


@pytest.mark.property(57)
@given(st.lists(series(), min_size=1, max_size=4), days, st.integers(1, 60))
def test_property_57_the_in_memory_calendar_lists_every_overlapping_instance(
    many: list[tuple[CalendarEvent, str, int, int]], day: int, span: int
) -> None:
    """Property 57 through the port: list_events = the union of the oracle over every stored series, sorted."""
    events = [s[0].__class__(**{**s[0].__dict__, "id": f"e{n}"}) for n, s in enumerate(many)]
    calendar = InMemoryCalendar("me@example.com", "UTC", lambda: T0, events)
    window = Interval(T0 + timedelta(days=day), T0 + timedelta(days=day + span))
    listed = calendar.list_events(window)
    expected = sorted(
        (start, end, e.id) for e, s in zip(events, many, strict=True) for start, end in oracle(e, s[2], s[3], window)
    )
    assert [(i.start.astimezone(UTC), i.end.astimezone(UTC), i.recurring_event_id) for i in listed] == expected
    for instance in listed:  # every listed id can be read back as that instance
        again = calendar.get_event(instance.id)
        assert (again.start, again.end) == (instance.start, instance.end)


@pytest.mark.property(57)
def test_a_weekly_meeting_keeps_its_wall_time_across_the_dst_change() -> None:
    tz = ZoneInfo("Europe/Lisbon")
    start = datetime(2026, 3, 16, 9, 0, tzinfo=tz)  # Monday; clocks go forward on Sunday 29 March
    event = CalendarEvent(
        "w",
        "primary",
        "Weekly",
        start,
        start + timedelta(hours=1),
        "Europe/Lisbon",
        recurrence=("RRULE:FREQ=WEEKLY;BYDAY=MO",),
    )
    got = expand(event, Interval(start, start + timedelta(weeks=4)))
    assert [i.start.astimezone(tz).strftime("%d %H:%M %z") for i in got] == [
        "16 09:00 +0000",
        "23 09:00 +0000",
        "30 09:00 +0100",
        "06 09:00 +0100",
    ]
    assert [i.end - i.start for i in got] == [timedelta(hours=1)] * 4


intervals = st.builds(
    lambda a, n: Interval(T0 + timedelta(minutes=a), T0 + timedelta(minutes=a + n)),
    st.integers(0, 60 * 24 * 14),
    st.integers(0, 600),
)


def covered(spans: list[Interval], at: datetime) -> bool:
    return any(s.start <= at < s.end for s in spans)


@given(st.lists(intervals, max_size=30))
def test_merged_busy_time_is_disjoint_sorted_and_covers_exactly_the_same_instants(spans: list[Interval]) -> None:
    merged = merge_busy(spans)
    for a, b in itertools.pairwise(merged):
        assert a.end < b.start  # disjoint, not even touching
    assert all(m.end > m.start for m in merged)
    edges = {s.start for s in spans} | {s.end for s in spans}
    probes = edges | {e - timedelta(seconds=1) for e in edges}
    for at in probes:
        assert covered(merged, at) == covered([s for s in spans if s.end > s.start], at)


@given(st.lists(intervals, max_size=20), zones, st.integers(0, 300), st.sampled_from([15, 30, 60, 90]))
def test_free_slots_avoid_busy_time_stay_in_working_hours_and_miss_nothing(
    busy: list[Interval], tz: str, day: int, minutes: int
) -> None:
    """Working hours are 09:00-17:30 local time on both sides of a DST change; every free slot is free and long
    enough, and every free working minute inside a long enough gap is in a slot."""
    hours = WorkingHours(tz)
    shifted = [Interval(b.start + timedelta(days=day), b.end + timedelta(days=day)) for b in busy]
    window = Interval(T0 + timedelta(days=day), T0 + timedelta(days=day + 10))
    slots = free_slots(shifted, window, hours, minimum=timedelta(minutes=minutes))
    zone = ZoneInfo(tz)
    for slot in slots:
        assert slot.duration >= timedelta(minutes=minutes)
        assert not any(slot.overlaps(b) for b in shifted if b.end > b.start)
        ls, le = slot.start.astimezone(zone), slot.end.astimezone(zone)
        assert ls.date() == le.date() and ls.weekday() < 5
        assert time(9) <= ls.time() and le.time() <= time(17, 30)
        assert window.start <= slot.start and slot.end <= window.end
    # Nothing is missed: a working minute free of busy time whose free stretch is long enough lies in a slot. The
    # stretch is bounded exactly by the busy time around it (probing in 15-minute steps once stepped over a busy
    # minute and took 11:00-11:01 for part of a free afternoon).
    merged = merge_busy(shifted)
    for period in hours.periods(window):
        at = period.start
        while at < period.end:
            if not covered(merged, at):
                stretch_start = max([period.start, *(b.end for b in merged if b.end <= at)])
                stretch_end = min([period.end, *(b.start for b in merged if b.start > at)])
                if stretch_end - stretch_start >= timedelta(minutes=minutes) + timedelta(minutes=30):
                    assert covered(slots, at), (at, slots)
            at += timedelta(minutes=97)


def test_working_hours_in_local_time_on_the_day_clocks_change() -> None:
    hours = WorkingHours("America/New_York")
    window = Interval(datetime(2026, 3, 6, tzinfo=UTC), datetime(2026, 3, 11, tzinfo=UTC))
    periods = hours.periods(window)
    zone = ZoneInfo("America/New_York")
    assert {(p.start.astimezone(zone).time(), p.end.astimezone(zone).time()) for p in periods} == {
        (time(9), time(17, 30))
    }
    assert [p.start.astimezone(UTC).hour for p in periods] == [14, 13, 13]  # Fri EST, Mon and Tue EDT


@pytest.mark.property(60)
@given(
    st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=60).filter(lambda t: t.strip()),
    zones,
    days,
    wall_times,
    lengths,
    st.lists(
        st.tuples(
            st.from_regex(r"[a-z]{1,8}@[a-z]{1,8}\.example", fullmatch=True), st.sampled_from(list(ResponseStatus))
        ),
        max_size=5,
        unique_by=lambda a: a[0],
    ),
    st.booleans(),
)
def test_property_60_an_invitation_reads_back_as_the_event_it_describes(
    title: str, tz: str, day: int, at: time, length: timedelta, people: list[tuple[str, ResponseStatus]], weekly: bool
) -> None:
    """Property 60 (calendar event information extraction): what we write as iMIP, read back from the
    text/calendar bytes, gives the same title, instants, zone, organizer, attendees with their answers and rule."""
    start = local(day, at, tz)
    event = CalendarEvent(
        id="e",
        calendar_id="primary",
        title=" ".join(title.split()),
        start=start,
        end=start + length,
        timezone=tz,
        organizer="boss@corp.example",
        attendees=tuple(Attendee(e, f"P {n}", r) for n, (e, r) in enumerate(people)),
        recurrence=("RRULE:FREQ=WEEKLY;COUNT=3",) if weekly else (),
        ical_uid="uid-1@corp.example",
        location="Room 1",
    )
    invitation = parse_ics(to_ics(event, Method.REQUEST))
    assert invitation.method is Method.REQUEST
    [back] = invitation.events
    assert back.title == event.title and back.ical_uid == event.ical_uid and back.location == "Room 1"
    assert back.start == event.start and back.end == event.end and back.timezone == tz
    assert back.organizer == "boss@corp.example"
    assert [(a.email, a.name, a.response) for a in back.attendees] == [
        (a.email, a.name, a.response) for a in event.attendees
    ]
    assert back.recurrence == event.recurrence


def test_unreadable_calendar_data_is_a_clear_error() -> None:
    with pytest.raises(ValidationFailed, match="not readable calendar data"):
        parse_ics(b"this is not a calendar")


@pytest.mark.property(58)
@given(
    st.lists(st.tuples(days, wall_times, lengths), min_size=1, max_size=5),
    st.lists(st.from_regex(r"[a-z]{1,6}@x\.example", fullmatch=True), max_size=4, unique=True),
)
def test_property_58_an_update_replaces_the_fields_and_keeps_the_id(
    changes: list[tuple[int, time, timedelta]], guests: list[str]
) -> None:
    """Property 58 (calendar event update): after any sequence of updates, reading the event gives the last one;
    its id never changes; a guest's answer is kept while the time stays and asked again when it moves."""
    now = [T0]
    calendar = InMemoryCalendar("me@example.com", "Europe/Lisbon", lambda: now[0])
    first_day, first_at, first_len = changes[0]
    start = local(first_day, first_at, "Europe/Lisbon")
    created = calendar.create_event(
        EventDraft("Plan", start, start + first_len, "Europe/Lisbon", attendees=tuple(Attendee(g) for g in guests))
    )
    for g in guests:  # everyone accepts (as their reply would record)
        calendar.events[created.id] = calendar.events[created.id].with_response(g, ResponseStatus.ACCEPTED, T0)
    for n, (day, at, length) in enumerate(changes[1:]):
        before = calendar.get_event(created.id)
        start = local(day, at, "Europe/Lisbon")
        draft = EventDraft(
            f"Plan v{n}", start, start + length, "Europe/Lisbon", attendees=before.attendees, location=f"R{n}"
        )
        after = calendar.update_event(created.id, draft)
        got = calendar.get_event(created.id)
        assert got == after and got.id == created.id
        assert (got.title, got.start, got.end, got.location) == (f"Plan v{n}", start, start + length, f"R{n}")
        moved = (before.start, before.end) != (got.start, got.end)
        for g in guests:
            expected = ResponseStatus.NEEDS_ACTION if moved else before.attendee(g).response  # type: ignore[union-attr]
            assert got.attendee(g).response is expected  # type: ignore[union-attr]
        if guests:
            assert got.attendee("me@example.com").response is ResponseStatus.ACCEPTED  # type: ignore[union-attr]


names = st.text(st.sampled_from("abcdeéíoøz JS"), min_size=1, max_size=12).filter(lambda t: t.strip())
contacts_st = st.lists(
    st.builds(
        lambda n, i, org, other: Contact(
            f"c{i}", n, (f"{fold(n).replace(' ', '') or 'x'}{i}@ex.example",), org, other=other
        ),
        names,
        st.integers(0, 10_000),
        st.sampled_from(["", "Northwind", "Contoso"]),
        st.booleans(),
    ),
    max_size=25,
    unique_by=lambda c: c.id,
)


@pytest.mark.property(61)
@given(contacts_st, st.text(st.sampled_from("abeéoz nw"), max_size=4), st.integers(1, 30))
def test_property_61_contact_search_returns_exactly_the_matches_best_first(
    contacts: list[Contact], query: str, limit: int
) -> None:
    """Property 61 (contact search results): every result matches every word of the query (names and addresses
    case- and accent-insensitively, or the organisation); no match is left out under the limit; no duplicates;
    better matches first, saved contacts before other contacts."""
    found = search_contacts(contacts, query, limit)
    matching = [c for c in contacts if match_rank(c, query) is not None]
    assert len(found) == min(limit, len(matching))
    assert len({c.id for c in found}) == len(found)
    assert all(match_rank(c, query) is not None for c in found)
    keys = [(match_rank(c, query), c.other) for c in found]
    assert keys == sorted(keys)
    for word in fold(query).split():
        for c in found:
            assert word in fold(c.name) or any(word in e for e in c.emails) or word in fold(c.organisation)


def test_busy_of_skips_free_declined_and_cancelled_events() -> None:
    start = datetime(2026, 5, 4, 9, tzinfo=UTC)
    me = "me@example.com"
    events = [
        CalendarEvent("a", "primary", "Busy", start, start + timedelta(hours=1), "UTC"),
        CalendarEvent(
            "b", "primary", "Free", start + timedelta(hours=2), start + timedelta(hours=3), "UTC", busy=False
        ),
        CalendarEvent(
            "c",
            "primary",
            "Declined",
            start + timedelta(hours=4),
            start + timedelta(hours=5),
            "UTC",
            organizer="x@example.com",
            attendees=(Attendee(me, response=ResponseStatus.DECLINED),),
        ),
    ]
    window = Interval(start - timedelta(hours=1), start + timedelta(hours=8))
    assert busy_of(events, window, attendee=me) == [Interval(start, start + timedelta(hours=1))]


RULES = [
    "RRULE:FREQ=DAILY;INTERVAL={n}",
    "RRULE:FREQ=WEEKLY;INTERVAL={n};BYDAY=MO,WE,FR",
    "RRULE:FREQ=MONTHLY;INTERVAL={n};BYMONTHDAY=31",
    "RRULE:FREQ=MONTHLY;INTERVAL={n};BYDAY=-1FR",
    "RRULE:FREQ=YEARLY;INTERVAL={n};BYMONTH=2;BYMONTHDAY=29",
    "RRULE:FREQ=YEARLY;INTERVAL={n};BYWEEKNO=53;BYDAY=TH",
    "RRULE:FREQ=WEEKLY;INTERVAL={n};BYDAY=TU;UNTIL=70001231T000000Z",
]


@given(
    st.sampled_from(RULES),
    st.integers(1, 3),
    st.datetimes(datetime(2024, 1, 1), datetime(2030, 12, 31)),
    st.integers(0, 2_000),
    st.integers(0, 365),
)
@settings(max_examples=40, deadline=None)
def test_a_series_read_centuries_later_has_the_same_instances_as_walking_there(
    template: str, n: int, start: datetime, extra_years: int, day: int
) -> None:
    """Skipping whole 400-year calendar cycles (times the rule's interval) to reach a far window gives exactly the
    occurrences that walking every one from the series' start gives (the Gregorian calendar repeats every 400 years)."""
    from dateutil.rrule import rrulestr

    from domain.calendar import _skipped_ahead

    recurrence = tuple(template.format(n=n).split("\n"))
    tz = ZoneInfo("Europe/Lisbon")
    local_start = start.replace(second=0, microsecond=0, tzinfo=tz)
    years = min(400 * n + extra_years % (400 * n + 1), 9_000 - local_start.year)
    since = (local_start + timedelta(days=365 * years + day)).astimezone(UTC)
    until = since + timedelta(days=400)
    skipped = _skipped_ahead(recurrence, local_start, since)
    if years > 400 * n + 1:
        assert skipped.year > local_start.year  # it did skip
    walked = rrulestr("\n".join(recurrence), dtstart=local_start, forceset=True).between(since, until, inc=True)
    jumped = rrulestr("\n".join(recurrence), dtstart=skipped, forceset=True).between(since, until, inc=True)
    assert [o.replace(tzinfo=None) for o in jumped] == [o.replace(tzinfo=None) for o in walked]


def test_a_weekday_series_read_in_the_year_4608_has_its_weekdays() -> None:
    tz = ZoneInfo("Europe/Lisbon")
    start = datetime(2026, 1, 5, 9, 30, tzinfo=tz)
    event = CalendarEvent(
        "d",
        "primary",
        "Stand-up",
        start,
        start + timedelta(minutes=15),
        "Europe/Lisbon",
        recurrence=("RRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR",),
    )
    window = Interval(datetime(4608, 1, 1, tzinfo=UTC), datetime(4608, 1, 8, tzinfo=UTC))
    got = expand(event, window)
    # The weekdays of that week as Python's proleptic Gregorian calendar has them, at the series' wall time.
    days = [i.start.astimezone(tz).date() for i in got]
    assert days == [d for d in (date(4608, 1, 1) + timedelta(days=k) for k in range(7)) if d.weekday() < 5]
    assert all(i.start.astimezone(tz).time() == time(9, 30) for i in got)
