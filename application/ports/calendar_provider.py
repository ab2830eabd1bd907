"""CalendarProvider: opens the Calendar and Contacts behind a connected account (Google, the demo data...)."""

from __future__ import annotations

from abc import ABC, abstractmethod

from application.ports.calendar import Calendar
from application.ports.calendar_feed import CalendarFeed
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

    def feed(self, account: MailAccount) -> CalendarFeed | None:
        """The account's calendar change feed and push channels, when its provider has them (Google); None
        otherwise (the demo calendar changes only through mailagent, which announces each change itself)."""
        return None
