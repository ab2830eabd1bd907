"""Time expressions in what people type about mail ("yesterday", "last week", "since Monday", "in the past 3 days",
"since 3 December") turned into Gmail search terms (after:/before: dates, newer_than:) relative to a given moment.

Named periods are calendar periods (weeks start on Monday, dates are UTC days, as the mailbox's after:/before: are);
"in the last/past N days" is a rolling window. Dates written out ("3 December", "Dec 1st", "2026-11-20") are read by
`dateparser`, preferring the past."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MONTHS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
_WEEKDAY = r"(?:mon|tues?|wed(?:nes)?|thu(?:rs?)?|fri|sat(?:ur)?|sun)(?:day)?"
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|"
    r"oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_NUMBER_WORDS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "fourteen": 14,
    "thirty": 30,
    "few": 3,
    "couple of": 2,
}
_N = r"(?P<n>\d{1,3}|a|an|one|two|three|four|five|six|seven|eight|nine|ten|fourteen|thirty|few|couple of)"
# A written-out date: "3 December", "December 3rd", "Dec 1", "2026-11-20", "20/11/2026", "the 1st"
_DATE = (
    rf"(?:(?:the\s+)?\d{{1,2}}(?:st|nd|rd|th)?(?:\s+of)?\s+{_MONTH}(?:\s+\d{{4}})?|{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?"
    rf"(?:,?\s+\d{{4}})?|\d{{4}}-\d{{1,2}}-\d{{1,2}}|\d{{1,2}}/\d{{1,2}}(?:/\d{{2,4}})?|the\s+\d{{1,2}}(?:st|nd|rd|th))"
)


@dataclass(frozen=True)
class Period:
    terms: tuple[str, ...]  # Gmail search terms, e.g. ("after:2026/11/30", "before:2026/12/07")
    words: str  # how the person said it, for answers ("last week")


def _day(d: date) -> str:
    return f"{d:%Y/%m/%d}"


def _between(start: date, end: date | None) -> tuple[str, ...]:
    return (f"after:{_day(start)}",) + ((f"before:{_day(end)}",) if end else ())


def _last_weekday(today: date, name: str) -> date:
    """The latest such weekday on or before today."""
    target = next(i for i, w in enumerate(WEEKDAYS) if w.startswith(name[:3]))
    return today - timedelta(days=(today.weekday() - target) % 7)


def _month_start(d: date, back: int = 0) -> date:
    year, month = d.year, d.month - back
    while month < 1:
        year, month = year - 1, month + 12
    return date(year, month, 1)


def _month_named(today: date, name: str) -> tuple[date, date]:
    """The latest such month that has begun: "in November" in December 2026 is November 2026."""
    month = next(i for i, m in enumerate(MONTHS, 1) if m.startswith(name[:3]))
    year = today.year if month <= today.month else today.year - 1
    start = date(year, month, 1)
    return start, _month_start(date(year + (month == 12), month % 12 + 1, 1))


@lru_cache(maxsize=1)
def _dateparser() -> Any:
    import dateparser  # imported on first use: loading its language data takes a moment

    return dateparser


def read_date(text: str, now: datetime) -> date | None:
    """A written-out date, the latest one not after `now` when the year is left out."""
    settings = {
        "PREFER_DATES_FROM": "past",
        "RELATIVE_BASE": now.replace(tzinfo=None),
        "RETURN_AS_TIMEZONE_AWARE": False,
    }
    found = _dateparser().parse(re.sub(r"^the\s+", "", text.strip()), languages=["en"], settings=settings)
    return found.date() if found is not None else None


_PATTERNS: tuple[tuple[str, str], ...] = (
    (
        "rolling",
        rf"(?:in|over|during|from|within)?\s*(?:the\s+)?(?:last|past|previous)\s+{_N}\s+(?P<unit>days?|weeks?|months?|years?)",
    ),
    ("today", r"(?:from\s+|since\s+)?(?:today|this\s+morning|this\s+afternoon|tonight|so\s+far\s+today)(?:'s)?"),
    ("yesterday", r"(?:from\s+|since\s+)?(?:yesterday|last\s+night)(?:'s)?"),
    ("this_week", r"(?:from\s+|in\s+|during\s+|so\s+far\s+)?this\s+week(?:'s)?(?:\s+so\s+far)?"),
    ("past_week", r"(?:in|over|during|within)\s+the\s+(?:last|past)\s+week"),
    ("last_week", r"(?:from\s+|in\s+|during\s+|over\s+)?(?:the\s+)?last\s+week(?:'s)?"),
    ("this_month", r"(?:from\s+|in\s+|during\s+)?this\s+month(?:'s)?(?:\s+so\s+far)?"),
    ("last_month", r"(?:from\s+|in\s+|during\s+)?(?:the\s+)?last\s+month(?:'s)?"),
    ("weekend", r"(?:over|during|on|at|from|this)\s+(?:the\s+)?weekend"),
    ("since_weekday", rf"since\s+(?:last\s+)?(?P<day>{_WEEKDAY})"),
    ("on_weekday", rf"(?:on\s+|from\s+|last\s+)(?P<day>{_WEEKDAY})(?:'s)?"),
    ("since_date", rf"(?:since|after)\s+(?P<date>{_DATE})"),
    ("before_date", rf"before\s+(?P<date>{_DATE})"),
    ("on_date", rf"on\s+(?P<date>{_DATE})"),
    ("in_month", rf"(?:in|during)\s+(?P<month>{_MONTH})"),
    ("recently", r"(?:recently|lately|of\s+late)"),
)
_COMPILED = tuple((name, re.compile(rf"(?:^|(?<=\s))(?:{pattern})(?=$|[\s,?.!])", re.I)) for name, pattern in _PATTERNS)


def _terms(kind: str, m: re.Match[str], now: datetime) -> tuple[str, ...] | None:
    today = now.astimezone(UTC).date()
    monday = today - timedelta(days=today.weekday())
    match kind:
        case "rolling":
            raw = m.group("n").lower()
            n = int(raw) if raw.isdigit() else _NUMBER_WORDS[raw]
            unit = m.group("unit").lower().rstrip("s")
            days = n * {"day": 1, "week": 7, "month": 30, "year": 365}[unit]
            return (f"newer_than:{days}d",)
        case "today":
            return _between(today, None)
        case "yesterday":
            return _between(today - timedelta(days=1), today)
        case "this_week":
            return _between(monday, None)
        case "last_week":
            return _between(monday - timedelta(days=7), monday)
        case "past_week":
            return ("newer_than:7d",)
        case "this_month":
            return _between(_month_start(today), None)
        case "last_month":
            return _between(_month_start(today, 1), _month_start(today))
        case "weekend":
            saturday = _last_weekday(today, "saturday")
            if today.weekday() == 5:  # on a Saturday, "the weekend" is the last one unless it says this
                saturday = today if m.group(0).lower().startswith("this") else saturday - timedelta(days=7)
            return _between(saturday, saturday + timedelta(days=2))
        case "since_weekday":
            day = _last_weekday(today, m.group("day").lower())
            if day == today:
                day -= timedelta(days=7)
            return _between(day, None)
        case "on_weekday":
            day = _last_weekday(today, m.group("day").lower())
            if day == today and m.group(0).lower().startswith("last"):
                day -= timedelta(days=7)
            return _between(day, day + timedelta(days=1))
        case "since_date" | "before_date" | "on_date":
            found = read_date(m.group("date"), now)
            if found is None:
                return None
            if kind == "since_date":
                return _between(found, None)
            if kind == "before_date":
                return (f"before:{_day(found)}",)
            return _between(found, found + timedelta(days=1))
        case "in_month":
            start, end = _month_named(today, m.group("month").lower())
            return _between(start, end)
        case _:  # recently
            return ("newer_than:7d",)


def extract_period(text: str, now: datetime) -> tuple[str, Period | None]:
    """`text` without the first time expression found in it, and that expression's search terms (None: none)."""
    for kind, pattern in _COMPILED:
        m = pattern.search(text)
        if m is None:
            continue
        terms = _terms(kind, m, now)
        if terms is None:
            continue
        rest = " ".join((text[: m.start()] + " " + text[m.end() :]).split())
        rest = re.sub(r"\s+(?:of|from|for|in|on|since|during|over)$", "", rest, flags=re.I)  # "a summary of [today]"
        words = " ".join(m.group(0).split()).removesuffix("'s")
        words = re.sub(r"^(?:from|of)\s+", "", words, flags=re.I)
        return rest, Period(terms, words)
    return text, None
