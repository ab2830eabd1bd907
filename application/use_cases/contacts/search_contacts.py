"""Search the address book by name, address or organisation. The account's contacts are cached (1 h by default:
Redis in production, in-process locally), so typing in an autocomplete does not call the provider per keystroke."""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass

from application.ports.cache import Cache
from application.ports.contacts import Contacts
from application.use_cases.calendar.common import CalendarAccess
from domain.contacts import Contact, check_query, search_contacts
from domain.errors import InfrastructureError
from domain.identity import Principal
from domain.mail_account import MailAccount

CACHE_SECONDS = 3600
BOOK_SIZE = 5000  # contacts read into the cache at most


def cache_key(account_id: str) -> str:
    return f"contacts:{account_id}:book"


@dataclass(frozen=True)
class SearchContactsInput:
    principal: Principal
    query: str = ""
    limit: int = 10
    account_id: str | None = None


class ContactBook:
    """An account's contacts, through the cache."""

    def __init__(self, access: CalendarAccess, cache: Cache | None = None, ttl_seconds: int = CACHE_SECONDS) -> None:
        self.access, self.cache, self.ttl = access, cache, ttl_seconds

    def all(self, principal: Principal, account_id: str | None) -> tuple[MailAccount, list[Contact]]:
        account, contacts = self.access.contacts(principal, account_id)
        return account, self._cached(account, contacts)

    def contacts_of(self, principal: Principal, account_id: str | None) -> list[Contact]:
        """The account's contacts alone (the compose autocomplete merges them with the people seen in mail)."""
        return self.all(principal, account_id)[1]

    def _cached(self, account: MailAccount, contacts: Contacts) -> list[Contact]:
        key = cache_key(account.id)
        if self.cache is not None and self.ttl > 0:
            raw = None
            with contextlib.suppress(InfrastructureError):  # a cache failure only costs a provider call
                raw = self.cache.get(key)
            if raw is not None:
                return [Contact.from_dict(c) for c in json.loads(raw)]
        found = contacts.list_all(BOOK_SIZE)
        if self.cache is not None and self.ttl > 0:
            with contextlib.suppress(InfrastructureError):
                self.cache.set(key, json.dumps([c.to_dict() for c in found]), ttl_seconds=self.ttl)
        return found

    def invalidate(self, account_id: str) -> None:
        """Forget an account's cached contacts (after a change to them)."""
        if self.cache is not None:
            with contextlib.suppress(InfrastructureError):
                self.cache.delete(cache_key(account_id))


class SearchContacts:
    def __init__(self, book: ContactBook) -> None:
        self.book = book

    def execute(self, inp: SearchContactsInput) -> list[Contact]:
        query = check_query(inp.query, inp.limit)
        _, contacts = self.book.all(inp.principal, inp.account_id)
        return search_contacts(contacts, query, inp.limit)


class GetContact:
    def __init__(self, book: ContactBook) -> None:
        self.book = book

    def execute(self, principal: Principal, contact_id: str, account_id: str | None = None) -> Contact:
        _, contacts = self.access_contacts(principal, account_id)
        return contacts.get(contact_id)

    def access_contacts(self, principal: Principal, account_id: str | None) -> tuple[MailAccount, Contacts]:
        return self.book.access.contacts(principal, account_id)
