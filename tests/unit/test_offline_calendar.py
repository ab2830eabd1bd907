"""The offline model's calendar phrases (property 56: a request to book a meeting becomes that event): whatever day,
part of day and length are said, the window is that day's part in the coming week, the length is what was asked, and
the attendee is the one named."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.llm.offline_calendar import parse_calendar

DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
PARTS = {"morning": (time(9), time(12)), "afternoon": (time(12), time(18)), "evening": (time(17), time(21))}


@pytest.mark.property(56)
@given(
    st.dates(date(2026, 1, 1), date(2028, 12, 31)),
    st.sampled_from(DAYS),
    st.sampled_from([None, *PARTS]),
    st.sampled_from([(15, "15 min"), (30, "30 minutes"), (45, "45 mins"), (60, "an hour"), (120, "2 hours")]),
    st.sampled_from(["book", "schedule", "set up", "arrange"]),
    st.from_regex(r"[a-z]{2,8}@[a-z]{2,8}\.example", fullmatch=True),
)
def test_property_56_booking_phrases_become_the_asked_window_length_and_person(
    today: date, day: str, part: str | None, length: tuple[int, str], verb: str, who: str
) -> None:
    now = datetime.combine(today, time(10), tzinfo=UTC)
    minutes, said = length
    text = f"{verb} {said} with {who} on {day}" + (f" {part}" if part else "")
    intent = parse_calendar(text, now)
    assert intent is not None and intent.kind == "book", text
    assert intent.who == who and intent.minutes == minutes and not intent.exact
    start, end = datetime.fromisoformat(intent.start), datetime.fromisoformat(intent.end)
    assert start.tzinfo is None  # a wall time: the tools read it in the user's zone
    assert DAYS[start.weekday()] == day and 0 <= (start.date() - today).days < 7
    if part:
        assert (start.time(), end.time()) == PARTS[part] and end.date() == start.date()
    else:
        assert start.time() == time(0) and end - start == timedelta(days=1)


@pytest.mark.property(56)
@given(st.dates(date(2026, 1, 1), date(2028, 12, 31)), st.integers(0, 23), st.sampled_from([0, 15, 30, 45]))
def test_property_56_a_time_said_books_exactly_then(today: date, hour: int, minute: int) -> None:
    now = datetime.combine(today, time(10), tzinfo=UTC)
    intent = parse_calendar(f"schedule a meeting with alice@northwind.example tomorrow at {hour}:{minute:02d}", now)
    assert intent is not None and intent.exact
    start = datetime.fromisoformat(intent.start)
    assert start == datetime.combine(today + timedelta(days=1), time(hour, minute))
    assert datetime.fromisoformat(intent.end) - start == timedelta(minutes=30)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("am I free thursday afternoon", "free"),
        ("When am I free on Thursday?", "free"),
        ("what's on my calendar tomorrow", "agenda"),
        ("accept the invite from carol", "answer"),
        ("decline the offsite invitation", "answer"),
        ("add dentist to my calendar on friday at 4pm", "book"),
        ("summarise my unread mail", None),
        ("reply to Carol saying I'll be there", None),
    ],
)
def test_the_documented_calendar_commands_and_nothing_else(text: str, kind: str | None) -> None:
    intent = parse_calendar(text, datetime(2026, 12, 7, 10, tzinfo=UTC))
    assert (intent.kind if intent else None) == kind
