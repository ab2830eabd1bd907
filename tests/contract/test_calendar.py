"""One contract for the Calendar and Contacts ports: the in-memory fakes and the demo's SQLite calendar and address
book behave alike — create/read/update/cancel, recurring instances by id, answers, imports by UID, free/busy, search
and clear errors. GoogleCalendar and GooglePeopleContacts run the same assertions over HTTP against the local
Calendar v3 / People v1 fake, whose every request and answer is checked against the discovery documents."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from adapters.google_calendar.calendar import GoogleCalendar
from adapters.google_people.contacts import GooglePeopleContacts
from adapters.in_memory.calendar import InMemoryCalendar, InMemoryContacts
from adapters.sqlite_calendar.calendar import SqliteCalendar, SqliteContacts
from application.ports.calendar import Calendar
from application.ports.contacts import Contacts
from domain.calendar import Attendee, CalendarEvent, EventDraft, Interval, ResponseStatus
from domain.contacts import Contact
from domain.errors import NotFound, ValidationFailed
from tests.support.fake_gmail import DEFAULT_SCOPES, FakeGmailServer, FakeTokenSource
from tests.support.fake_google_calendar import WORKSPACE_SCOPES, FakeGoogleWorkspace

ME = "me@example.com"
ZONE = "Europe/Lisbon"
TZ = ZoneInfo(ZONE)
NOW = datetime(2026, 3, 20, 12, tzinfo=UTC)

CalendarFactory = Callable[..., Calendar]


@pytest.fixture(scope="module")
def google() -> Iterator[FakeGoogleWorkspace]:
    with FakeGmailServer() as gmail, FakeGoogleWorkspace(gmail, clock=lambda: NOW) as apis:
        yield apis


@pytest.fixture(params=["memory", "sqlite", "google"])
def new_calendar(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[CalendarFactory]:
    apis: FakeGoogleWorkspace | None = None

    def make(events: tuple[CalendarEvent, ...] = (), account: str = "acc1") -> Calendar:
        nonlocal apis
        if request.param == "memory":
            return InMemoryCalendar(ME, ZONE, lambda: NOW, events)
        if request.param == "google":
            assert not events, "seed a Google calendar through the fake"
            apis = request.getfixturevalue("google")
            # a fresh Google account per test: same address, its own calendar
            fake_account = apis.gmail.add_account(ME, scopes=DEFAULT_SCOPES | WORKSPACE_SCOPES)
            apis.forget(ME)
            apis.set_timezone(fake_account, ZONE)
            return GoogleCalendar(FakeTokenSource(fake_account), owner=ME, root_url=apis.url, clock=lambda: NOW)
        calendar = SqliteCalendar(tmp_path / "cal.db", account, owner=ME, timezone=ZONE, clock=lambda: NOW)
        calendar.put_all(events)
        return calendar

    yield make
    if apis is not None:
        assert apis.drift == []


@pytest.fixture(params=["memory", "sqlite", "google"])
def new_contacts(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[list[Contact]], Contacts]]:
    apis: FakeGoogleWorkspace | None = None

    def make(people: list[Contact]) -> Contacts:
        nonlocal apis
        if request.param == "memory":
            return InMemoryContacts(people)
        if request.param == "google":
            apis = request.getfixturevalue("google")
            account = apis.gmail.add_account("book@example.com", scopes=DEFAULT_SCOPES | WORKSPACE_SCOPES)
            apis.forget(account.address)
            for c in people:
                apis.add_contact(account, c.name, c.email, c.organisation, other=c.other, contact_id=c.id)
            return GooglePeopleContacts(FakeTokenSource(account), root_url=apis.url)
        book = SqliteContacts(tmp_path / "cal.db", "acc1")
        book.put_all(people)
        return book

    yield make
    if apis is not None:
        assert apis.drift == []


def draft(title: str = "Sync", hour: int = 10, **fields: object) -> EventDraft:
    start = datetime(2026, 3, 24, hour, tzinfo=TZ)
    return EventDraft(title, start, start + timedelta(minutes=30), ZONE, **fields)  # type: ignore[arg-type]


WEEK = Interval(datetime(2026, 3, 23, tzinfo=UTC), datetime(2026, 3, 30, tzinfo=UTC))


@pytest.mark.property(58)
def test_create_read_list_update_delete(new_calendar: CalendarFactory) -> None:
    cal = new_calendar()
    assert cal.owner() == ME and cal.timezone() == ZONE
    assert [c.primary for c in cal.list_calendars()] == [True]
    created = cal.create_event(draft(attendees=(Attendee("bob@example.com", "Bob"),), location="Room 2"))
    assert created.organizer == ME
    assert [(a.email, a.response, a.organizer) for a in created.attendees] == [
        (ME, ResponseStatus.ACCEPTED, True),
        ("bob@example.com", ResponseStatus.NEEDS_ACTION, False),
    ]
    assert cal.get_event(created.id) == created
    assert [e.id for e in cal.list_events(WEEK)] == [created.id]
    assert [e.id for e in cal.list_events(WEEK, query="room 2")] == [created.id]
    assert cal.list_events(WEEK, query="nothing like it") == []
    changed = cal.update_event(created.id, draft("Sync v2", hour=11, attendees=created.attendees))
    assert changed.id == created.id and changed.title == "Sync v2"
    assert cal.get_event(created.id).start == datetime(2026, 3, 24, 11, tzinfo=TZ)
    removed = cal.delete_event(created.id)
    assert removed.id == created.id
    with pytest.raises(NotFound):
        cal.get_event(created.id)
    with pytest.raises(NotFound):
        cal.delete_event(created.id)
    assert cal.list_events(WEEK) == []


@pytest.mark.property(57)
def test_recurring_instances_have_ids_that_read_and_cancel_one_instance(new_calendar: CalendarFactory) -> None:
    cal = new_calendar()
    series = cal.create_event(draft("Stand-up", hour=9, recurrence=("RRULE:FREQ=DAILY;COUNT=10",)))
    instances = cal.list_events(WEEK)
    assert len(instances) == 6  # 24th to 29th
    assert all(i.recurring_event_id == series.id for i in instances)
    second = instances[1]
    assert cal.get_event(second.id).start == second.start
    with pytest.raises(ValidationFailed, match="one instance"):
        cal.update_event(second.id, draft())
    cal.delete_event(second.id)
    assert [i.id for i in cal.list_events(WEEK)] == [i.id for i in instances if i.id != second.id]
    with pytest.raises(NotFound):
        cal.get_event(second.id)


def test_answering_invitations_and_importing_them_by_uid(new_calendar: CalendarFactory) -> None:
    start = datetime(2026, 3, 25, 14, tzinfo=TZ)
    invitation = CalendarEvent(
        "x",
        "primary",
        "Offsite",
        start,
        start + timedelta(hours=2),
        ZONE,
        organizer="carol@example.com",
        attendees=(Attendee("carol@example.com", organizer=True), Attendee(ME)),
        ical_uid="offsite-1@example.com",
    )
    cal = new_calendar()
    stored = cal.import_event(invitation)
    again = cal.import_event(invitation)  # same UID: the same event, not a copy
    assert again.id == stored.id and len(cal.list_events(WEEK)) == 1
    answered = cal.respond(stored.id, ResponseStatus.ACCEPTED)
    assert answered.attendee(ME).response is ResponseStatus.ACCEPTED  # type: ignore[union-attr]
    assert cal.get_event(stored.id).attendee(ME).response is ResponseStatus.ACCEPTED  # type: ignore[union-attr]
    assert cal.import_event(invitation).attendee(ME).response is ResponseStatus.ACCEPTED  # type: ignore[union-attr]
    with pytest.raises(ValidationFailed, match="organizer"):
        cal.update_event(stored.id, draft())
    mine = cal.create_event(draft())
    with pytest.raises(ValidationFailed, match="organise"):
        cal.respond(mine.id, ResponseStatus.DECLINED)
    with pytest.raises(NotFound):
        cal.respond("missing", ResponseStatus.DECLINED)


def test_free_busy_is_the_owners_busy_time_merged(new_calendar: CalendarFactory) -> None:
    cal = new_calendar()
    cal.create_event(draft("A", hour=10))
    cal.create_event(draft("B", hour=10, busy=True))
    cal.create_event(draft("Free", hour=15, busy=False))
    busy = cal.free_busy(WEEK, [ME, "someone@else.example"])
    start = datetime(2026, 3, 24, 10, tzinfo=TZ)
    assert busy[ME] == [Interval(start.astimezone(UTC), (start + timedelta(minutes=30)).astimezone(UTC))]
    assert busy["someone@else.example"] is None


def test_one_sqlite_file_keeps_accounts_apart(tmp_path: Path) -> None:
    """The demo file holds every demo account of the installation: one account never sees another's events."""
    path = tmp_path / "cal.db"
    first = SqliteCalendar(path, "acc1", owner=ME, timezone=ZONE, clock=lambda: NOW)
    created = first.create_event(draft("Mine"))
    other = SqliteCalendar(path, "acc2", owner="other@example.com", timezone="UTC", clock=lambda: NOW)
    assert other.list_events(WEEK) == [] and other.timezone() == "UTC"
    with pytest.raises(NotFound):
        other.get_event(created.id)
    with pytest.raises(NotFound):
        other.delete_event(created.id)
    reopened = SqliteCalendar(path, "acc1", owner=ME, timezone="UTC", clock=lambda: NOW)
    assert reopened.timezone() == ZONE and [e.id for e in reopened.list_events(WEEK)] == [created.id]


def test_bad_input_is_refused_clearly(new_calendar: CalendarFactory) -> None:
    cal = new_calendar()
    with pytest.raises(NotFound):
        cal.get_event("nope")
    with pytest.raises(NotFound):
        cal.list_events(WEEK, calendar_id="someone-elses")
    with pytest.raises(ValidationFailed, match="400 days"):
        cal.list_events(Interval(NOW, NOW + timedelta(days=500)))


PEOPLE = [
    Contact("1", "Alice Chen", ("alice@northwind.example",), "Northwind Consulting"),
    Contact("2", "John Smith", ("john.smith@contoso.example",), "Contoso"),
    Contact("3", "John Park", ("john.park@fabrikam.example",), "Fabrikam"),
    Contact("4", "Carol Díaz", ("carol@contoso.example",), "Contoso"),
    Contact("5", "Dana Okafor", ("dana@mailbox.example",), other=True),
]


@pytest.mark.property(61)
def test_contacts_search_get_and_list(new_contacts: Callable[[list[Contact]], Contacts]) -> None:
    book = new_contacts(PEOPLE)
    assert [c.id for c in book.search("john")] == ["3", "2"]  # by name among equals
    assert [c.id for c in book.search("DIAZ")] == ["4"]
    assert [c.id for c in book.search("contoso")] == ["4", "2"]  # address prefix before organisation
    assert [c.id for c in book.search("john contoso")] == ["2"]
    assert [c.id for c in book.search("", limit=2)] == ["1", "4"]
    assert book.get("1").organisation == "Northwind Consulting"
    with pytest.raises(NotFound):
        book.get("nope")
    assert [c.id for c in book.list_all()] == ["1", "4", "3", "2", "5"]  # saved first, then other contacts
    with pytest.raises(ValidationFailed):
        book.search("x", limit=0)
