"""The demo calendar and address book: generated beside the demo mailbox and consistent with it — the Lisbon offsite
Carol invited you to (same iCalendar UID as the invitation in the mail, still waiting for your answer), the flight
there, a weekly 1:1 with Bob, a daily stand-up, lunch with Alice, and the people of the demo mail as contacts
(Alice, Bob, Carol, both Johns...). Times are wall times in the demo zone, so daylight saving behaves as it would."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from adapters.demo.generator import ALICE, BOB, CAROL, DANA, ERIK, JOHN_PARK, JOHN_SMITH, MEI, _Person
from domain.calendar import Attendee, CalendarEvent, EventStatus, Reminder, ResponseStatus
from domain.contacts import Contact

DEMO_TIMEZONE = "Europe/Lisbon"

_ORGANISATIONS = {
    ALICE: ("Northwind Consulting", "Accounts manager"),
    BOB: ("Northwind", "Engineering manager"),
    CAROL: ("Contoso", "Head of operations"),
    JOHN_SMITH: ("Contoso", "Product designer"),
    JOHN_PARK: ("Fabrikam", "Staff engineer"),
    MEI: ("Fabrikam", "Data scientist"),
    ERIK: ("Fjord Analytics", "Consultant"),
    DANA: ("", ""),
}


def generate_demo_contacts() -> list[Contact]:
    people = []
    for index, (person, (organisation, title)) in enumerate(_ORGANISATIONS.items()):
        people.append(
            Contact(
                id=f"c{index + 1:03d}",
                name=person.name,
                emails=(person.address,),
                organisation=organisation,
                title=title,
                phones=(f"+351 21 000 {index + 1:04d}",) if organisation else (),
                other=person is DANA,  # someone you have written to but never saved
            )
        )
    return people


def _attendee(person: _Person, response: ResponseStatus = ResponseStatus.ACCEPTED, **kw: bool) -> Attendee:
    return Attendee(person.address, person.name, response, **kw)


def generate_demo_calendar(
    now: datetime, owner_address: str, timezone: str = DEMO_TIMEZONE, *, domain: str | None = None
) -> list[CalendarEvent]:
    """The demo events around `now` (the same `now` as the demo mailbox's, so the offsite matches its mail)."""
    tz = ZoneInfo(timezone)
    owner = owner_address.lower()
    me = Attendee(owner, "You", ResponseStatus.ACCEPTED)
    mail_domain = domain or owner.rpartition("@")[2] or "demo.mailagent.local"
    today = now.astimezone(tz).date()
    monday = today - timedelta(days=today.weekday())

    def at(day: date, hour: int, minute: int = 0) -> datetime:
        return datetime.combine(day, time(hour, minute), tzinfo=tz)

    def event(key: str, title: str, start: datetime, end: datetime, **fields: object) -> CalendarEvent:
        base: dict[str, object] = {
            "id": f"demo{key}",
            "calendar_id": "primary",
            "title": title,
            "start": start,
            "end": end,
            "timezone": timezone,
            "organizer": owner,
            "ical_uid": f"demo-{key}@{mail_domain}",
            "updated_at": now,
            "reminders": (Reminder(10),),
        }
        base.update(fields)
        return CalendarEvent(**base)  # type: ignore[arg-type]

    # The offsite, exactly as the invitation in Carol's mail (adapters/demo/generator.py: 09:00 UTC, 8 hours).
    offsite_start = (now + timedelta(days=9)).replace(hour=9, minute=0, second=0, microsecond=0).astimezone(tz)
    flight_day = (now + timedelta(days=8)).astimezone(tz).date()
    series_start = monday - timedelta(weeks=8)
    thursday, next_thursday = monday + timedelta(days=3), monday + timedelta(days=10)
    return [
        event(
            "offsite",
            "Team offsite",
            offsite_start,
            offsite_start + timedelta(hours=8),
            organizer=CAROL.address,
            location="Lisbon",
            description="Kickoff, roadmap deep-dive, team retro, hiring session, walk and dinner.",
            attendees=(
                _attendee(CAROL, organizer=True),
                Attendee(owner, "You", ResponseStatus.NEEDS_ACTION),
                _attendee(JOHN_SMITH),
                _attendee(JOHN_PARK),
                _attendee(BOB, ResponseStatus.TENTATIVE),
            ),
            ical_uid=f"offsite-{mail_domain}",
            reminders=(Reminder(60 * 24, "email"),),
        ),
        event(
            "flight",
            "Flight to Lisbon (SkyJet)",
            at(flight_day, 15),
            at(flight_day, 17, 30),
            location="Airport",
            reminders=(Reminder(180),),
        ),
        event(
            "standup",
            "Team stand-up",
            at(series_start, 9, 30),
            at(series_start, 9, 45),
            recurrence=("RRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR",),
            attendees=(me, _attendee(BOB), _attendee(MEI), _attendee(ERIK, ResponseStatus.TENTATIVE)),
            conference_url="https://meet.demo.mailagent.local/standup",
        ),
        event(
            "bob-1on1",
            "1:1 with Bob",
            at(series_start + timedelta(days=1), 10),
            at(series_start + timedelta(days=1), 10, 30),
            recurrence=("RRULE:FREQ=WEEKLY;BYDAY=TU",),
            attendees=(me, _attendee(BOB)),
        ),
        event(
            "roadmap",
            "Q3 roadmap review",
            at(thursday, 14),
            at(thursday, 15),
            attendees=(me, _attendee(CAROL), _attendee(JOHN_SMITH), _attendee(MEI, ResponseStatus.NEEDS_ACTION)),
            conference_url="https://meet.demo.mailagent.local/roadmap",
        ),
        event(
            "design-review",
            "Design review: onboarding flow",
            at(monday + timedelta(days=2), 11),
            at(monday + timedelta(days=2), 12),
            attendees=(me, _attendee(JOHN_SMITH), _attendee(JOHN_PARK, ResponseStatus.DECLINED)),
        ),
        event(
            "alice-lunch",
            "Lunch with Alice (Northwind invoices)",
            at(next_thursday, 12, 30),
            at(next_thursday, 13, 30),
            location="Café Central",
            attendees=(me, _attendee(ALICE)),
        ),
        event("focus", "Focus time", at(monday + timedelta(days=4), 14), at(monday + timedelta(days=4), 17), busy=True),
        event(
            "release",
            "Release 2.4",
            datetime.combine(monday + timedelta(days=8), time(0), tzinfo=tz),
            datetime.combine(monday + timedelta(days=9), time(0), tzinfo=tz),
            all_day=True,
            busy=False,
        ),
        event(
            "cancelled",
            "Vendor call (cancelled)",
            at(monday + timedelta(days=1), 16),
            at(monday + timedelta(days=1), 17),
            status=EventStatus.CANCELLED,
        ),
    ]
