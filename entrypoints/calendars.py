"""Which Calendar and Contacts adapters serve which connected account (composition root, beside mailboxes.py)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from application.ports.calendar import Calendar
from application.ports.calendar_provider import CalendarProvider
from application.ports.contacts import Contacts
from domain.errors import NotConfigured
from domain.mail_account import MailAccount, MailProvider

GOOGLE_NOT_YET = (
    "Calendar and contacts are not available for Google accounts on this installation yet; the demo account has "
    "both (POST /api/v1/mail/accounts/demo)."
)


class InstallationCalendars(CalendarProvider):
    """The demo account's calendar and address book live in one SQLite file in the data dir (every process of the
    installation shares it), generated on first use from the account's connection time, so they match the demo
    mailbox generated then (the Lisbon offsite, Alice, the two Johns)."""

    def __init__(self, *, clock: Callable[[], datetime], demo_path: Path | None, demo_timezone: str) -> None:
        self.clock, self.demo_path, self.demo_timezone = clock, demo_path, demo_timezone
        self._seeded: set[str] = set()
        self._lock = threading.Lock()

    def _demo_path(self, account: MailAccount) -> Path:
        if account.provider is not MailProvider.DEMO:
            raise NotConfigured(GOOGLE_NOT_YET)
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

    def calendar(self, account: MailAccount) -> Calendar:
        return self._open(account)[0]

    def contacts(self, account: MailAccount) -> Contacts:
        return self._open(account)[1]
