"""Calendar and contacts: which adapter serves an account's calendar and address book (the demo's SQLite file in
the embedded default), working hours, the contacts cache, and the calendar and contacts use cases."""

from __future__ import annotations

from typing import Any

from dependency_injector import containers, providers

from application.use_cases.calendar.common import CalendarAccess, WorkingHoursPolicy
from application.use_cases.calendar.create_event import CreateEvent
from application.use_cases.calendar.delete_event import DeleteEvent
from application.use_cases.calendar.find_free_time import FindFreeTime
from application.use_cases.calendar.get_event import GetEvent
from application.use_cases.calendar.handle_calendar_push import HandleCalendarPush
from application.use_cases.calendar.invitations import AnswerMailInvitation, GetMailInvitation
from application.use_cases.calendar.list_events import ListEvents
from application.use_cases.calendar.poll_calendars import PollCalendars
from application.use_cases.calendar.renew_calendar_watches import RenewCalendarWatches
from application.use_cases.calendar.respond_to_event import RespondToEvent
from application.use_cases.calendar.sync_calendar import SyncCalendar
from application.use_cases.calendar.update_event import UpdateEvent
from application.use_cases.contacts.search_contacts import ContactBook, GetContact, SearchContacts
from application.use_cases.mail.suggest_recipients import SuggestRecipients
from domain.calendar import working_hours_from
from entrypoints.calendars import InstallationCalendars
from entrypoints.settings import Settings


def _calendars(
    settings: Settings, clock: Any, secret_store: Any, oauth_client: Any, circuit_breakers: Any, metrics: Any
) -> InstallationCalendars:
    google = None
    if oauth_client is not None:  # googleapiclient is heavy to import: only when Google is configured
        from application.ports.metrics import NO_METRICS
        from entrypoints.google_calendar_wiring import GoogleWorkspace

        google = GoogleWorkspace(settings, secret_store, metrics or NO_METRICS)
    return InstallationCalendars(
        clock=clock.now,
        demo_path=settings.data_dir / "demo-calendar.db" if settings.demo_enabled else None,
        demo_timezone=settings.demo_timezone,
        google=google,
        breakers=circuit_breakers,
    )


def _working_hours(settings: Settings) -> WorkingHoursPolicy:
    working_hours_from(settings.working_hours, settings.working_days, "UTC")  # a bad setting fails at start
    return WorkingHoursPolicy(settings.working_hours, settings.working_days)


class CalendarContainer(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=Settings)
    uow = providers.Dependency()
    clock = providers.Dependency()
    cache = providers.Dependency()
    outbox_relay = providers.Dependency()
    mail_access = providers.Dependency()
    secret_store = providers.Dependency()
    oauth_client = providers.Dependency()
    circuit_breakers = providers.Dependency()
    metrics = providers.Dependency()
    job_queue = providers.Dependency()

    calendars = providers.Singleton(_calendars, settings, clock, secret_store, oauth_client, circuit_breakers, metrics)
    working_hours = providers.Singleton(_working_hours, settings)
    calendar_access = providers.Factory(
        CalendarAccess, mail_access, calendars, uow, clock, relay=outbox_relay, hours=working_hours
    )
    list_events = providers.Factory(ListEvents, calendar_access)
    get_event = providers.Factory(GetEvent, calendar_access)
    create_event = providers.Factory(CreateEvent, calendar_access)
    update_event = providers.Factory(UpdateEvent, calendar_access)
    delete_event = providers.Factory(DeleteEvent, calendar_access)
    respond_to_event = providers.Factory(RespondToEvent, calendar_access)
    find_free_time = providers.Factory(FindFreeTime, calendar_access)
    get_mail_invitation = providers.Factory(GetMailInvitation, calendar_access, mail_access)
    answer_mail_invitation = providers.Factory(AnswerMailInvitation, calendar_access, mail_access)

    # Google Calendar's change feed: sync tokens (polled), push channels (renewed), the push endpoint
    sync_calendar = providers.Factory(SyncCalendar, uow, calendars, clock, relay=outbox_relay)
    poll_calendars = providers.Factory(PollCalendars, uow, job_queue, clock)
    renew_calendar_watches = providers.Factory(
        RenewCalendarWatches, uow, calendars, clock, settings.provided.google_calendar_push_url
    )
    handle_calendar_push = providers.Factory(HandleCalendarPush, uow, job_queue)

    contact_book = providers.Factory(
        ContactBook, calendar_access, cache, ttl_seconds=settings.provided.contacts_cache_seconds
    )
    search_contacts = providers.Factory(SearchContacts, contact_book)
    get_contact = providers.Factory(GetContact, contact_book)
    # The compose autocomplete: the address book merged with the people seen in mail (issue 15).
    suggest_recipients = providers.Factory(
        SuggestRecipients, mail_access, cache, address_book=contact_book.provided.contacts_of
    )
