"""Suggest recipients while composing: the address book (Contacts port) merged with the people seen in the account's
recent mail, one suggestion per address, best match first."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from application.mail_access import MailAccess
from application.ports.cache import Cache
from application.ports.mailbox import Mailbox
from domain.contacts import Contact
from domain.errors import DomainError, InfrastructureError, ValidationFailed
from domain.identity import Principal, Scope
from domain.mail import EmailAddress, Message
from domain.mail_account import MailAccount

MAX_LIMIT = 20
MAX_QUERY = 200
# The newest messages (received and sent) are where the people one writes to are; more costs provider calls.
SCANNED_MESSAGES = 300
# Suggestions are asked on every keystroke: the scan is kept a minute per account. A person first written to a
# moment ago may take that long to show up.
CACHE_SECONDS = 60
# How much being in the address book counts, in messages: a saved contact one has never written to still comes before
# a one-off sender, but not before the people one actually writes to every week. "Other contacts" (people Google
# noticed one writing to) count a little.
SAVED_CONTACT_WEIGHT = 5
OTHER_CONTACT_WEIGHT = 2
NEVER = datetime.min.replace(tzinfo=UTC)

# An account's address book: (principal, account id) -> its contacts (cached; see use_cases/contacts).
AddressBook = Callable[[Principal, str | None], Sequence[Contact]]


@dataclass(frozen=True)
class SuggestRecipientsInput:
    principal: Principal
    query: str = ""
    account_id: str | None = None
    limit: int = 10


@dataclass(frozen=True)
class RecipientSuggestion:
    name: str
    address: str
    count: int  # messages among the scanned ones this address is on (from, to or cc)
    in_contacts: bool = False  # the address is in the account's address book (saved or "other" contact)


@dataclass
class _Contact:
    address: str
    name: str
    count: int
    last_seen: datetime
    book_weight: int = 0  # SAVED_CONTACT_WEIGHT, OTHER_CONTACT_WEIGHT, or 0 when only seen in mail
    in_book: bool = False

    @property
    def score(self) -> int:
        return self.count + self.book_weight


def cache_key(account_id: str) -> str:
    return f"contacts:{account_id}:recent"


def collect_contacts(messages: list[Message], exclude: set[str]) -> list[_Contact]:
    """Every address on these messages once (by lower-cased address), with how often and when it was last seen
    and its most recent spelling and display name. `exclude` holds lower-cased addresses to leave out (the owner's)."""
    by_address: dict[str, _Contact] = {}
    for message in messages:
        people: list[EmailAddress] = [*([message.from_] if message.from_ else []), *message.to, *message.cc]
        seen_here: set[str] = set()
        for person in people:
            address = person.address.strip()
            key = address.lower()
            if "@" not in key or key in exclude or key in seen_here:
                continue
            seen_here.add(key)
            name = person.name.strip()
            contact = by_address.get(key)
            if contact is None:
                by_address[key] = _Contact(address, name, 1, message.internal_date)
                continue
            contact.count += 1
            if message.internal_date >= contact.last_seen:  # the newest message's spelling and name win
                contact.last_seen = message.internal_date
                contact.address = address
                contact.name = name or contact.name
            elif not contact.name:
                contact.name = name
    return list(by_address.values())


def merge_address_book(seen: list[_Contact], book: Sequence[Contact], exclude: set[str]) -> list[_Contact]:
    """`seen` (from mail) with every address of the address book added or marked, one entry per lower-cased address.
    A saved contact's name is the one shown (the person chose it); otherwise the name seen in mail, else the book's."""
    merged = {c.address.lower(): c for c in seen}
    for contact in book:
        weight = OTHER_CONTACT_WEIGHT if contact.other else SAVED_CONTACT_WEIGHT
        for address in contact.emails:
            key = address.lower()
            if key in exclude or "@" not in key:
                continue
            known = merged.get(key)
            if known is None:
                merged[key] = _Contact(address, contact.name.strip(), 0, NEVER, weight, True)
                continue
            known.in_book = True
            known.book_weight = max(known.book_weight, weight)
            if contact.name.strip() and (not contact.other or not known.name):
                known.name = contact.name.strip()
    return list(merged.values())


def _match_tier(contact: _Contact, query: str) -> int | None:
    """0: the address or a word of the name starts with the query; 1: it appears elsewhere; None: no match."""
    if not query:
        return 0
    address, name = contact.address.lower(), contact.name.lower()
    if address.startswith(query) or name.startswith(query) or any(w.startswith(query) for w in name.split()):
        return 0
    if query in address or query in name:
        return 1
    return None


def rank(contacts: list[_Contact], query: str, limit: int) -> list[RecipientSuggestion]:
    """Prefix matches first; then by score (messages exchanged, plus the address book's weight), then the most
    recent; the address breaks ties."""
    needle = query.strip().lower()
    scored = [(tier, c) for c in contacts if (tier := _match_tier(c, needle)) is not None]
    scored.sort(key=lambda tc: (tc[0], -tc[1].score, -tc[1].last_seen.timestamp(), tc[1].address.lower()))
    return [
        RecipientSuggestion(name=c.name, address=c.address, count=c.count, in_contacts=c.in_book)
        for _, c in scored[:limit]
    ]


def _encode(contacts: list[_Contact]) -> str:
    return json.dumps([[c.address, c.name, c.count, c.last_seen.isoformat()] for c in contacts])


def _decode(raw: str) -> list[_Contact]:
    return [_Contact(a, n, int(k), datetime.fromisoformat(t)) for a, n, k, t in json.loads(raw)]


class SuggestRecipients:
    def __init__(self, access: MailAccess, cache: Cache | None = None, address_book: AddressBook | None = None) -> None:
        self.access = access
        self.cache = cache
        self.address_book = address_book

    def execute(self, inp: SuggestRecipientsInput) -> list[RecipientSuggestion]:
        if len(inp.query) > MAX_QUERY:
            raise ValidationFailed(f"The query is longer than {MAX_QUERY} characters.", details=[{"field": "q"}])
        if not 1 <= inp.limit <= MAX_LIMIT:
            raise ValidationFailed(f"The limit must be 1 to {MAX_LIMIT}.", details=[{"field": "limit"}])
        # Not audited, unlike a search: it runs on every keystroke and reveals nothing a search would not.
        account, contacts = self.access.run(inp.principal, inp.account_id, Scope.MAIL_READ, self._contacts)
        book = self._book(inp.principal, account)
        if book:
            contacts = merge_address_book(contacts, book, {account.address.lower()})
        return rank(contacts, inp.query, inp.limit)

    def _book(self, principal: Principal, account: MailAccount) -> Sequence[Contact]:
        """The account's address book; none when the account has none or it cannot be read now (an account that
        must be reconnected to allow contacts, a provider outage): suggestions from mail still help."""
        if self.address_book is None:
            return ()
        try:
            return self.address_book(principal, account.id)
        except (DomainError, InfrastructureError):
            return ()

    def _contacts(self, mailbox: Mailbox, account: MailAccount) -> list[_Contact]:
        key = cache_key(account.id)
        if self.cache is not None:
            raw = None
            with contextlib.suppress(InfrastructureError):  # a cache failure only costs a scan
                raw = self.cache.get(key)
            if raw is not None:
                return _decode(raw)
        page = mailbox.search("", limit=SCANNED_MESSAGES)
        own = {account.address.lower(), mailbox.address().lower()}
        contacts = collect_contacts(list(page.messages), own)
        if self.cache is not None:
            with contextlib.suppress(InfrastructureError):
                self.cache.set(key, _encode(contacts), ttl_seconds=CACHE_SECONDS)
        return contacts
