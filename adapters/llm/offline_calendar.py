"""Calendar requests the offline model understands (docs/agent-commands.md): "am I free thursday afternoon", "when
am I free on Thursday?", "what's on my calendar tomorrow", "book 30 min with alice@northwind.example next week",
"schedule a meeting with Alice on Friday at 15:00 about invoices", "accept the invite from Carol".

Days and parts of days become wall-clock windows without an offset ("2026-12-10T12:00"): the tools read them in the
user's calendar zone, so "Thursday afternoon" is the user's Thursday afternoon."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_DAY = r"(?:mon|tues?|wed(?:nes)?|thu(?:rs?)?|fri|sat(?:ur)?|sun)(?:day)?"
_WHEN = (
    rf"(?P<when>today|tomorrow|this\s+week|next\s+week|(?:on\s+|this\s+|next\s+)?{_DAY})?\s*"
    r"(?P<part>morning|afternoon|evening)?"
)
_PARTS = {"morning": (time(9), time(12)), "afternoon": (time(12), time(18)), "evening": (time(17), time(21))}
_DURATION = r"(?P<n>\d{1,3}|an?|one|two|half\s+an?)\s*(?P<unit>m|mins?|minutes?|h|hrs?|hours?)"
_ADDRESS_OR_NAME = r"(?P<who>[\w.+'-]+@[\w.-]+\.\w+|[a-zà-ÿ][\w'-]*)"


def _when(n: str) -> str:
    return _WHEN.replace("?P<when>", f"?P<when{n}>").replace("?P<part>", f"?P<part{n}>")


_FREE = re.compile(
    rf"^(?:am\s+i|are\s+we|is\s+my\s+calendar)\s+(?:free|available|busy)\s*{_WHEN}\??$|"
    rf"^(?:when|what\s+time)\s+(?:am\s+i|are\s+we)\s+(?:free|available)\s*{_when('2')}\??$|"
    rf"^(?:find|show)\s+(?:me\s+)?(?:some\s+)?free\s+time\s*{_when('3')}$",
    re.I,
)
_AGENDA = re.compile(
    rf"^(?:what(?:'s|\s+is)\s+(?:on\s+)?my\s+(?:calendar|agenda|schedule)|what\s+do\s+i\s+have|show\s+(?:me\s+)?my\s+"
    rf"(?:calendar|agenda|meetings|events))\s*{_WHEN}\??$",
    re.I,
)
_DURATION2 = _DURATION.replace("?P<n>", "?P<n2>").replace("?P<unit>", "?P<unit2>")
_BOOK = re.compile(
    rf"^(?:book|schedule|set\s+up|arrange|find)\s+(?:a\s+|an\s+)?(?:(?:{_DURATION})\s+)?(?:meeting|call|slot|time|"
    rf"sync|chat)?\s*(?:of\s+{_DURATION2}\s+)?with\s+{_ADDRESS_OR_NAME}\s*(?P<rest>.*)$",
    re.I,
)
_ADD = re.compile(
    rf"^(?:add|put|block)\s+(?:(?:{_DURATION})\s+(?:for\s+)?)?(?P<title>.+?)\s+(?:to|on|in)\s+my\s+calendar\s*(?P<rest>.*)$",
    re.I,
)
_AT = re.compile(r"\bat\s+(?P<h>\d{1,2})(?::(?P<m>\d{2}))?\s*(?P<ampm>am|pm)?\b", re.I)
_ABOUT = re.compile(r"\b(?:about|re|regarding|for|to\s+discuss)\s+(?P<about>.+)$", re.I)
_ANSWER = re.compile(
    r"^(?P<verb>accept|decline|tentatively\s+accept|maybe)\s+(?:the\s+|that\s+)?(?P<what>.*?)\s*"
    r"(?:invite|invitation|meeting|event)(?:\s+from\s+(?P<who>[\w.@'+-]+))?$",
    re.I,
)


@dataclass(frozen=True)
class CalendarIntent:
    """kind: free | agenda | book | answer."""

    kind: str
    start: str = ""  # wall time, no offset: read in the user's zone
    end: str = ""
    minutes: int = 30
    who: str = ""  # an address, or a name to look up in the contacts
    title: str = ""
    exact: bool = False  # book: at the time given, no slot search
    response: str = ""  # answer: accepted | declined | tentative
    about: str = ""  # answer: words of the invitation's subject
    sender: str = ""  # answer: who sent it


def _iso(d: date, t: time) -> str:
    return datetime.combine(d, t).isoformat(timespec="minutes")


def _weekday(today: date, text: str, *, next_week: bool) -> date:
    name = next(d for d in _DAYS if d.startswith(text[:3].lower()))
    ahead = (_DAYS.index(name) - today.weekday()) % 7
    day = today + timedelta(days=ahead)
    if next_week and ahead < 7 and day < today + timedelta(days=7 - today.weekday()):
        day += timedelta(days=7)
    return day


def window(when: str | None, part: str | None, today: date) -> tuple[date, time, date, time]:
    """The days and hours a phrase covers: ("thursday", "afternoon") -> Thursday 12:00 to 18:00."""
    text = " ".join((when or "").lower().split())
    start_day, end_day = today, today + timedelta(days=1)
    if text == "tomorrow":
        start_day, end_day = today + timedelta(days=1), today + timedelta(days=2)
    elif text == "this week":
        start_day, end_day = today, today + timedelta(days=7 - today.weekday())
    elif text == "next week":
        monday = today + timedelta(days=7 - today.weekday())
        start_day, end_day = monday, monday + timedelta(days=7)
    elif text and text != "today":
        words = text.split()
        day = _weekday(today, words[-1], next_week=words[0] == "next")
        start_day, end_day = day, day + timedelta(days=1)
    if part:
        first, last = _PARTS[part.lower()]
        return start_day, first, end_day - timedelta(days=1), last
    return start_day, time(0), end_day, time(0)


def _minutes(n: str | None, unit: str | None) -> int:
    if not n:
        return 30
    text = n.lower().strip()
    if text.startswith("half"):
        return 30
    value = 1 if text in ("a", "an", "one") else 2 if text == "two" else int(text)
    return value * 60 if (unit or "m").lower().startswith("h") else value


def parse_calendar(message: str, now: datetime) -> CalendarIntent | None:
    """The calendar request in `message` (None: not one)."""
    text = " ".join(message.strip().rstrip("?.!").split())
    today = now.date()
    if m := _FREE.match(text):
        when = m.group("when") or m.group("when2") or m.group("when3")
        part = m.group("part") or m.group("part2") or m.group("part3")
        d0, t0, d1, t1 = window(when, part, today)
        return CalendarIntent("free", _iso(d0, t0), _iso(d1, t1))
    if m := _AGENDA.match(text):
        d0, t0, d1, t1 = window(m.group("when"), m.group("part"), today)
        return CalendarIntent("agenda", _iso(d0, t0), _iso(d1, t1))
    if m := _BOOK.match(text):
        minutes = _minutes(m.group("n") or m.group("n2"), m.group("unit") or m.group("unit2"))
        rest = m.group("rest") or ""
        about = ""
        if a := _ABOUT.search(rest):
            about, rest = a.group("about").strip(), rest[: a.start()]
        at = _AT.search(rest)
        if at:
            rest = (rest[: at.start()] + rest[at.end() :]).strip()
        w = re.search(rf"(today|tomorrow|this\s+week|next\s+week|(?:on\s+|this\s+|next\s+)?{_DAY})", rest, re.I)
        p = re.search(r"(morning|afternoon|evening)", rest, re.I)
        when = re.sub(r"^on\s+", "", w.group(1), flags=re.I) if w else None
        d0, t0, d1, t1 = window(when, p.group(1) if p else None, today)
        who = m.group("who")
        name = who.split("@")[0].split(".")[0].capitalize() if "@" in who else who.title()
        title = f"{about[:1].upper()}{about[1:]}" if about else f"Meeting with {name}"
        if at is not None and when not in ("this week", "next week"):
            hour, ampm = int(at.group("h")), (at.group("ampm") or "").lower()
            if ampm == "pm" and hour < 12:
                hour += 12
            elif ampm == "am" and hour == 12:
                hour = 0
            if hour > 23:
                return None
            start = datetime.combine(d0, time(hour, int(at.group("m") or 0)))
            end = start + timedelta(minutes=minutes)
            return CalendarIntent(
                "book",
                start.isoformat(timespec="minutes"),
                end.isoformat(timespec="minutes"),
                minutes,
                who,
                title,
                True,
            )
        if not w:  # no day said: the coming seven days
            d0, t0, d1, t1 = today, time(0), today + timedelta(days=7), time(0)
        return CalendarIntent("book", _iso(d0, t0), _iso(d1, t1), minutes, who, title)
    if m := _ADD.match(text):
        rest = m.group("rest") or ""
        at = _AT.search(rest)
        w = re.search(rf"(today|tomorrow|(?:on\s+|this\s+|next\s+)?{_DAY})", rest, re.I)
        if at is None:
            return None
        hour, ampm = int(at.group("h")), (at.group("ampm") or "").lower()
        hour += 12 if ampm == "pm" and hour < 12 else 0
        if hour > 23:
            return None
        when = re.sub(r"^on\s+", "", w.group(1), flags=re.I) if w else None
        day = window(when, None, today)[0]
        start = datetime.combine(day, time(hour, int(at.group("m") or 0)))
        end = start + timedelta(minutes=_minutes(m.group("n"), m.group("unit")) if m.group("n") else 60)
        title = m.group("title").strip()
        return CalendarIntent(
            "book",
            start.isoformat(timespec="minutes"),
            end.isoformat(timespec="minutes"),
            title=title[:1].upper() + title[1:],
            exact=True,
        )
    if m := _ANSWER.match(text):
        verb = m.group("verb").lower()
        response = "declined" if verb == "decline" else "accepted" if verb == "accept" else "tentative"
        about = re.sub(r"^(?:calendar|meeting)\s*", "", (m.group("what") or "").strip(), flags=re.I)
        return CalendarIntent("answer", response=response, about=about, sender=(m.group("who") or "").strip())
    return None
