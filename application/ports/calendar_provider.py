"""CalendarProvider: opens the Calendar and Contacts behind a connected account (Google, the demo data...)."""

from __future__ import annotations

from abc import ABC, abstractmethod

from application.ports.calendar import Calendar
from application.ports.contacts import Contacts
from domain.mail_account import MailAccount


class CalendarProvider(ABC):
    @abstractmethod
    def calendar(self, account: MailAccount) -> Calendar:
        """The account's calendar. NotConfigured when this installation cannot serve it; ReauthRequired when the
        account was connected without calendar access."""

    @abstractmethod
    def contacts(self, account: MailAccount) -> Contacts:
        """The account's address book (same errors as `calendar`)."""
