"""Build GoogleCalendar and GooglePeopleContacts for a connected Google account: the same stored grant as its Gmail
mailbox (entrypoints/gmail_wiring.py), calls and quota counted per user in the metrics."""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any

from adapters.google_calendar.calendar import GoogleCalendar
from adapters.google_people.contacts import GooglePeopleContacts
from application.ports.calendar import Calendar
from application.ports.calendar_feed import CalendarFeed
from application.ports.contacts import Contacts
from application.ports.metrics import NO_METRICS, Metrics
from application.ports.secret_store import SecretStore
from domain.mail_account import MailAccount
from entrypoints.gmail_wiring import QuotaMeter, _count_call, google_tokens


class GoogleWorkspace:
    """Opens (and keeps, per account and grant) a Google account's calendar and address book."""

    def __init__(self, settings: Any, secret_store: SecretStore, metrics: Metrics = NO_METRICS) -> None:
        self.settings, self.secret_store, self.metrics = settings, secret_store, metrics
        self.meter = QuotaMeter()
        self._calendars: dict[tuple[str, str | None, datetime], GoogleCalendar] = {}
        self._contacts: dict[tuple[str, str | None, datetime], GooglePeopleContacts] = {}
        self._lock = threading.Lock()

    def _options(self, account: MailAccount, api: str) -> dict[str, Any]:
        return {
            "on_quota": lambda units: self.meter.add(account.user_id, units),
            "on_call": lambda method, units: _count_call(self.metrics, account.user_id, method, units, api=api),
            "max_attempts": self.settings.gmail_retry_attempts,
            "base_delay": self.settings.gmail_retry_base_seconds,
        }

    def feed(self, account: MailAccount) -> CalendarFeed:
        found = self.calendar(account)
        assert isinstance(found, GoogleCalendar)
        return found

    def calendar(self, account: MailAccount) -> Calendar:
        key = (account.id, account.secret_ref, account.updated_at)  # a reconnect brings new tokens
        with self._lock:
            found = self._calendars.get(key)
        if found is None:
            found = GoogleCalendar(
                google_tokens(self.settings, self.secret_store, account),
                owner=account.address,
                root_url=self.settings.google_calendar_api_root,
                **self._options(account, "calendar"),
            )
            with self._lock:
                for stale in [k for k in self._calendars if k[0] == account.id]:
                    self._calendars.pop(stale).close()
                self._calendars[key] = found
        return found

    def contacts(self, account: MailAccount) -> Contacts:
        key = (account.id, account.secret_ref, account.updated_at)
        with self._lock:
            found = self._contacts.get(key)
        if found is None:
            found = GooglePeopleContacts(
                google_tokens(self.settings, self.secret_store, account),
                root_url=self.settings.google_people_api_root,
                **self._options(account, "people"),
            )
            with self._lock:
                for stale in [k for k in self._contacts if k[0] == account.id]:
                    self._contacts.pop(stale).close()
                self._contacts[key] = found
        return found
