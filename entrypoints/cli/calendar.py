"""`mailagent calendar ...` and `mailagent contacts ...`: the calendar and address book from a terminal, acting as
one user of this installation (the same use cases as the API and the web app). Times without an offset are read in
the calendar's own zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from application.use_cases.calendar.common import EventInput
from application.use_cases.calendar.create_event import CreateEventInput
from application.use_cases.calendar.find_free_time import FreeBusyInput
from application.use_cases.calendar.list_events import ListEventsInput
from application.use_cases.contacts.search_contacts import SearchContactsInput
from domain.audit import AuditContext
from domain.calendar import CalendarEvent, zone
from domain.errors import ValidationFailed
from domain.identity import Principal, Scope
from entrypoints.cli import context
from entrypoints.cli.mail import AccountOpt, UserOpt, _fail, _principal, _run

calendar_app = typer.Typer(help="Calendar: list events, create one, find free time.", no_args_is_help=True)
contacts_app = typer.Typer(help="Contacts: search the address book.", no_args_is_help=True)
console = Console()
CLI_CONTEXT = AuditContext(user_agent="mailagent-cli")


def _container() -> Any:
    return context.application()


def _zone_of(container: Any, principal: Principal, account: str | None) -> str:
    found = _run(
        lambda: container.calendar_access().run(principal, account, Scope.MAIL_READ, lambda cal, _: cal.timezone())
    )
    return str(found[1])


def _when(text: str, tz: str) -> datetime:
    """ISO 8601; without an offset it is a wall time in the calendar's zone."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        _fail(f"'{text}' is not a date or time: use ISO 8601 such as 2026-12-10T15:00.")
        raise
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone(tz)).astimezone(UTC).astimezone(zone(tz))
    return value


def _day(text: str | None, tz: str) -> date:
    if text is None:
        return datetime.now(UTC).astimezone(zone(tz)).date()
    try:
        return date.fromisoformat(text)
    except ValueError:
        _fail(f"'{text}' is not a date: use YYYY-MM-DD.")
        raise


def _local(at: datetime, tz: str) -> str:
    return f"{at.astimezone(zone(tz)):%a %d %b %H:%M}"


def _events_table(events: list[CalendarEvent], tz: str) -> Table:
    table = Table(title=f"Events ({tz})")
    for column in ("id", "when", "title", "with"):
        table.add_column(column, overflow="fold")
    for e in events:
        when = (
            f"{e.start.astimezone(zone(tz)):%a %d %b} all day"
            if e.all_day
            else (f"{_local(e.start, tz)}–{e.end.astimezone(zone(tz)):%H:%M}")
        )
        table.add_row(e.id, when, e.title, ", ".join(a.email for a in e.guests())[:80])
    return table


@calendar_app.command("list")
def list_events(
    user: UserOpt = None,
    account: AccountOpt = None,
    start: Annotated[str | None, typer.Option("--from", help="First day, YYYY-MM-DD (default: today)")] = None,
    days: Annotated[int, typer.Option(help="How many days", min=1, max=400)] = 7,
    query: Annotated[str, typer.Option("--query", "-q", help="Words the events contain")] = "",
) -> None:
    """The events of the coming days, in your calendar's zone."""
    container = _container()
    principal = _principal(container, user)
    tz = _zone_of(container, principal, account)
    first = datetime.combine(_day(start, tz), time(0), tzinfo=zone(tz))
    found = _run(
        lambda: container.list_events().execute(
            ListEventsInput(principal, first, first + timedelta(days=days), query, account)
        )
    )
    console.print(_events_table(found.events, found.timezone))


@calendar_app.command("create")
def create_event(
    title: Annotated[str, typer.Argument(help="What it is")],
    start: Annotated[str, typer.Option("--start", help="ISO 8601, e.g. 2026-12-10T15:00 (calendar's zone)")],
    minutes: Annotated[int, typer.Option(help="How long", min=1, max=60 * 24 * 14)] = 30,
    attendee: Annotated[list[str] | None, typer.Option("--with", help="Invite this address (repeat)")] = None,
    location: Annotated[str, typer.Option(help="Where")] = "",
    timezone: Annotated[str | None, typer.Option(help="IANA zone of the event (default: the calendar's)")] = None,
    user: UserOpt = None,
    account: AccountOpt = None,
) -> None:
    """Create an event; people added with --with get an invitation."""
    container = _container()
    principal = _principal(container, user)
    tz = timezone or _zone_of(container, principal, account)
    try:
        begin = _when(start, tz)
    except ValidationFailed as exc:
        _fail(exc.message)
        raise
    inp = EventInput(
        title=title,
        start=begin,
        end=begin + timedelta(minutes=minutes),
        timezone=timezone,
        location=location,
        attendees=tuple((a, "") for a in attendee or ()),
    )
    created = _run(
        lambda: container.create_event().execute(CreateEventInput(principal, inp, account, None, CLI_CONTEXT))
    )
    invited = f", invited {', '.join(a.email for a in created.guests())}" if created.guests() else ""
    console.print(
        f"created {created.id}: {created.title}, {_local(created.start, created.timezone)} {created.timezone}{invited}"
    )


@calendar_app.command("free")
def free(
    day: Annotated[str | None, typer.Option("--date", help="The day, YYYY-MM-DD (default: today)")] = None,
    days: Annotated[int, typer.Option(help="How many days from --date", min=1, max=31)] = 1,
    minutes: Annotated[int, typer.Option(help="Meeting length", min=5, max=1440)] = 30,
    attendee: Annotated[list[str] | None, typer.Option("--with", help="Also fit this person (repeat)")] = None,
    user: UserOpt = None,
    account: AccountOpt = None,
) -> None:
    """Free time inside working hours, in your calendar's zone."""
    container = _container()
    principal = _principal(container, user)
    tz = _zone_of(container, principal, account)
    first = datetime.combine(_day(day, tz), time(0), tzinfo=zone(tz))
    found = _run(
        lambda: container.find_free_time().execute(
            FreeBusyInput(principal, first, first + timedelta(days=days), tuple(attendee or ()), minutes, account)
        )
    )
    if not found.free:
        console.print(f"No free time of {minutes} minutes inside working hours ({found.timezone}).")
    for slot in found.free:
        console.print(f"free {_local(slot.start, found.timezone)}–{slot.end.astimezone(zone(found.timezone)):%H:%M}")
    if found.unknown:
        console.print(f"(not visible: {', '.join(found.unknown)} — these slots only reflect your calendar)")
    console.print(f"times in {found.timezone}")


@contacts_app.command("search")
def search(
    query: Annotated[str, typer.Argument(help="Name, address or organisation")] = "",
    limit: Annotated[int, typer.Option(min=1, max=100)] = 10,
    user: UserOpt = None,
    account: AccountOpt = None,
) -> None:
    """Search your address book."""
    container = _container()
    principal = _principal(container, user)
    found = _run(lambda: container.search_contacts().execute(SearchContactsInput(principal, query, limit, account)))
    table = Table(title="Contacts")
    for column in ("id", "name", "email", "organisation"):
        table.add_column(column, overflow="fold")
    for c in found:
        table.add_row(c.id, c.name + (" (other)" if c.other else ""), ", ".join(c.emails), c.organisation)
    console.print(table)
