"""Which Calendar and Contacts adapters serve which connected account (composition root, beside mailboxes.py)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Protocol

from application.guarded_calendar import GuardedCalendar, GuardedContacts
from application.ports.calendar import Calendar
from application.ports.calendar_feed import CalendarFeed
from application.ports.calendar_provider import CalendarProvider
from application.ports.circuit_breaker import CircuitBreakers
from application.ports.contacts import Contacts
from domain.errors import NotConfigured, ReauthRequired
from domain.mail_account import MailAccount, MailProvider

GOOGLE_NOT_CONFIGURED = (
    "Google is not configured on this installation (MAILAGENT_GOOGLE_CLIENT_ID and MAILAGENT_GOOGLE_CLIENT_SECRET), "
    "so a Google account's calendar and contacts cannot be reached; the demo account has both."
)
# What a Google grant must hold (adapters.google_oauth.client.GOOGLE_SCOPES asks for them, incrementally).
CALENDAR_SCOPES = frozenset({"https://www.googleapis.com/auth/calendar"})
CONTACTS_SCOPES = frozenset(
    {"https://www.googleapis.com/auth/contacts", "https://www.googleapis.com/auth/contacts.readonly"}
)


def _missing_scope(account: MailAccount, what: str) -> ReauthRequired:
    return ReauthRequired(
        f"The Google account {account.address} was connected without {what} access. Reconnect to allow calendar "
        "access: connect it again with Reconnect here, or Connect Gmail in Settings → Mail accounts (your mail "
        "keeps working meanwhile).",
        details=[{"reason": "scope_missing", "account_id": account.id, "needs": what}],
    )


class GoogleCalendars(Protocol):
    def calendar(self, account: MailAccount) -> Calendar: ...

    def feed(self, account: MailAccount) -> CalendarFeed: ...

    def contacts(self, account: MailAccount) -> Contacts: ...


class InstallationCalendars(CalendarProvider):
    """The demo account's calendar and address book live in one SQLite file in the data dir (every process of the
    installation shares it), generated on first use from the account's connection time, so they match the demo
    mailbox generated then (the Lisbon offsite, Alice, the two Johns).

    A Google account's calendar and contacts are Google Calendar and People (`google`), behind the "calendar" and
    "people" circuit breakers, once its grant holds those scopes; an account connected before they were asked for
    gets ReauthRequired (409) saying to reconnect, and its mail keeps working."""

    def __init__(
        self,
        *,
        clock: Callable[[], datetime],
        demo_path: Path | None,
        demo_timezone: str,
        google: GoogleCalendars | None = None,
        breakers: CircuitBreakers | None = None,
    ) -> None:
        self.clock, self.demo_path, self.demo_timezone = clock, demo_path, demo_timezone
        self.google, self.breakers = google, breakers
        self._seeded: set[str] = set()
        self._lock = threading.Lock()

    def _demo_path(self, account: MailAccount) -> Path:
        if self.demo_path is None:
            raise NotConfigured("The demo calendar is only available in the embedded default (local profile).")
        return self.demo_path

    def _seed(self, account: MailAccount, calendar: Calendar, contacts: Contacts) -> None:
        from adapters.demo.calendar import generate_demo_calendar, generate_demo_contacts
        from adapters.sqlite_calendar.calendar import SqliteCalendar, SqliteContacts

        with self._lock:
            if account.id in self._seeded:
                return
            assert isinstance(calendar, SqliteCalendar) and isinstance(contacts, SqliteContacts)
            if calendar.is_empty():
                calendar.put_all(generate_demo_calendar(account.created_at, account.address, calendar.timezone()))
            if contacts.is_empty():
                contacts.put_all(generate_demo_contacts())
            self._seeded.add(account.id)

    def _open(self, account: MailAccount) -> tuple[Calendar, Contacts]:
        from adapters.sqlite_calendar.calendar import SqliteCalendar, SqliteContacts

        path = self._demo_path(account)
        calendar = SqliteCalendar(
            path, account.id, owner=account.address, timezone=self.demo_timezone, clock=self.clock
        )
        contacts = SqliteContacts(path, account.id)
        if account.id not in self._seeded:
            self._seed(account, calendar, contacts)
        return calendar, contacts

    def _google(self, account: MailAccount) -> GoogleCalendars:
        if self.google is None:
            raise NotConfigured(GOOGLE_NOT_CONFIGURED)
        return self.google

    def calendar(self, account: MailAccount) -> Calendar:
        if account.provider is MailProvider.DEMO:
            return self._open(account)[0]
        if account.provider is MailProvider.IMAP:
            raise NotConfigured(f"{account.address} is an IMAP mailbox: it has no calendar here.")
        google = self._google(account)
        if not CALENDAR_SCOPES & set(account.scopes):
            raise _missing_scope(account, "calendar")
        calendar = google.calendar(account)
        return calendar if self.breakers is None else GuardedCalendar(calendar, self.breakers)

    def contacts(self, account: MailAccount) -> Contacts:
        if account.provider is MailProvider.DEMO:
            return self._open(account)[1]
        if account.provider is MailProvider.IMAP:
            raise NotConfigured(f"{account.address} is an IMAP mailbox: it has no contacts here.")
        google = self._google(account)
        if not CONTACTS_SCOPES & set(account.scopes):
            raise _missing_scope(account, "contacts")
        contacts = google.contacts(account)
        return contacts if self.breakers is None else GuardedContacts(contacts, self.breakers)

    def feed(self, account: MailAccount) -> CalendarFeed | None:
        if account.provider is MailProvider.DEMO:
            return None
        google = self._google(account)
        if not CALENDAR_SCOPES & set(account.scopes):
            raise _missing_scope(account, "calendar")
        return google.feed(account)
