"""SuggestRecipients on the in-memory mailbox: who is suggested, in which order, with which name, for how long."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from adapters.in_memory.cache import InMemoryCache
from adapters.in_memory.clock import InMemoryClock
from adapters.in_memory.mailbox import InMemoryMailbox
from adapters.in_memory.unit_of_work import InMemoryStore, InMemoryUnitOfWork
from application.mail_access import MailAccess
from application.use_cases.mail.suggest_recipients import (
    CACHE_SECONDS,
    SuggestRecipients,
    SuggestRecipientsInput,
)
from domain.contacts import Contact
from domain.errors import NotConfigured, NotFound, PermissionDenied, ServiceUnavailable, ValidationFailed
from domain.identity import USER_SCOPES, Principal, Role, Scope, User, UserStatus, new_id
from domain.mail import INBOX, SENT, EmailAddress
from domain.mail_account import AccountStatus, MailAccount, MailProvider
from tests.support.agent_world import Provider
from tests.support.mailbox_seed import incoming_raw

T0 = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)
OWNER = "me@example.com"


def person(address: str, name: str = "") -> EmailAddress:
    return EmailAddress(address=address, name=name)


class Setup:
    def __init__(self) -> None:
        self.clock = InMemoryClock(T0)
        self.store = InMemoryStore()
        self.user = User(new_id(), OWNER, Role.USER, UserStatus.ACTIVE, T0, password_hash="h")
        self.mailbox = InMemoryMailbox(OWNER, clock=self.clock.now)
        self.account = MailAccount(new_id(), self.user.id, MailProvider.DEMO, OWNER, AccountStatus.ACTIVE, T0, T0)
        with InMemoryUnitOfWork(self.store) as uow:
            uow.users.add(self.user)
            uow.mail_accounts.add(self.account)
            uow.commit()
        self.provider = Provider({self.user.id: self.mailbox})
        self.cache = InMemoryCache(self.clock)
        self.minutes = 0

    def use_case(self) -> SuggestRecipients:
        access = MailAccess(InMemoryUnitOfWork(self.store), self.provider, self.clock)
        return SuggestRecipients(access, self.cache)

    def principal(self, scopes: frozenset[Scope] = USER_SCOPES) -> Principal:
        return Principal(self.user, scopes)

    def receive(self, sender: EmailAddress, *, cc: tuple[EmailAddress, ...] = (), age_minutes: int) -> None:
        when = T0 - timedelta(minutes=age_minutes)
        raw = incoming_raw(sender=sender, to=(person(OWNER, "Me"),), cc=cc, subject="hi", text="hello", date=when)
        self.mailbox.deliver(raw, (INBOX,), internal_date=when)

    def sent(self, to: tuple[EmailAddress, ...], *, age_minutes: int) -> None:
        when = T0 - timedelta(minutes=age_minutes)
        raw = incoming_raw(sender=person(OWNER, "Me"), to=to, subject="re", text="ok", date=when)
        self.mailbox.deliver(raw, (SENT,), internal_date=when)

    def suggest(self, query: str = "", limit: int = 10, **kw: object) -> list[tuple[str, str, int]]:
        found = self.use_case().execute(SuggestRecipientsInput(self.principal(), query, limit=limit, **kw))  # type: ignore[arg-type]
        return [(s.name, s.address, s.count) for s in found]


@pytest.fixture
def box() -> Setup:
    s = Setup()
    # Bob writes most often; his newest message carries his fuller name.
    for age in (500, 400, 300, 200):
        s.receive(person("bob@x.org", "Bobby"), age_minutes=age)
    s.receive(person("BOB@x.org", "Bob Jones"), age_minutes=100)  # same person, other casing: counted together
    # Alice: three messages, one of them sent by me, one where she is only in cc.
    s.receive(person("alice@x.org", "Alice Smith"), age_minutes=450)
    s.sent((person("alice@x.org", "Alice Smith"),), age_minutes=350)
    s.receive(person("bob@x.org", "Bob Jones"), cc=(person("alice@x.org", ""),), age_minutes=90)
    # Two people seen once: Alan (recent) and Zed Albright (older; "al" starts a word of his name).
    s.receive(person("alan@x.org", "Alan"), age_minutes=10)
    s.receive(person("zed@z.org", "Zed Albright"), age_minutes=600)
    # "al" only inside the address: a weaker match.
    s.receive(person("mallory.alvarez@y.org", "Mallory"), age_minutes=5)
    # My own address, in another casing, in cc: never suggested.
    s.receive(person("carol@x.org", "Carol"), cc=(person("ME@Example.com", "Me"),), age_minutes=700)
    return s


def test_prefix_matches_first_then_frequency_then_recency(box: Setup) -> None:
    assert box.suggest("al") == [
        ("Alice Smith", "alice@x.org", 3),  # a prefix match seen three times
        ("Alan", "alan@x.org", 1),  # a prefix match seen once, recently
        ("Zed Albright", "zed@z.org", 1),  # a prefix match (of a word of the name) seen once, long ago
        ("Mallory", "mallory.alvarez@y.org", 1),  # "al" only inside the address: after every prefix match
    ]


def test_an_empty_query_ranks_everyone_by_frequency_then_recency(box: Setup) -> None:
    assert [a for _, a, _ in box.suggest("")] == [
        "bob@x.org",  # spelled as in his newest message
        "alice@x.org",
        "mallory.alvarez@y.org",
        "alan@x.org",
        "zed@z.org",
        "carol@x.org",
    ]


def test_one_entry_per_address_with_its_most_recent_name(box: Setup) -> None:
    bob = box.suggest("bob")
    assert len(bob) == 1
    name, address, count = bob[0]
    assert (name, address.lower(), count) == ("Bob Jones", "bob@x.org", 6)
    # A newer mention without a name (alice only in cc) keeps the name seen before.
    assert box.suggest("alice")[0][0] == "Alice Smith"


def test_matching_is_case_insensitive_on_names_and_addresses(box: Setup) -> None:
    assert [a for _, a, _ in box.suggest("SMITH")] == ["alice@x.org"]
    assert [a for _, a, _ in box.suggest("  Zed ")] == ["zed@z.org"]
    assert box.suggest("nobody-matches-this") == []


def test_the_owner_is_never_suggested(box: Setup) -> None:
    everyone = box.suggest("", limit=20)
    assert all(a.lower() != OWNER for _, a, _ in everyone)
    assert box.suggest("me") == []


def test_the_limit_is_applied_and_bounded(box: Setup) -> None:
    assert len(box.suggest("", limit=2)) == 2
    for bad in (0, 21):
        with pytest.raises(ValidationFailed):
            box.suggest("", limit=bad)
    with pytest.raises(ValidationFailed):
        box.suggest("x" * 201)


def test_mail_read_scope_is_required_and_an_unknown_account_is_not_found(box: Setup) -> None:
    use_case = box.use_case()
    with pytest.raises(PermissionDenied):
        use_case.execute(SuggestRecipientsInput(box.principal(frozenset({Scope.MAIL_SEND})), "a"))
    with pytest.raises(NotFound):
        use_case.execute(SuggestRecipientsInput(box.principal(), "a", account_id="someone-elses"))


def test_the_scan_is_cached_per_account_for_a_minute(box: Setup) -> None:
    assert box.suggest("alfred") == []
    box.receive(person("alfred@x.org", "Alfred"), age_minutes=1)
    assert box.suggest("alfred") == []  # the cached scan does not know him yet
    box.clock.advance(CACHE_SECONDS - 1)
    assert box.suggest("alfred") == []
    box.clock.advance(2)
    assert box.suggest("alfred") == [("Alfred", "alfred@x.org", 1)]


def test_without_a_cache_every_call_scans(box: Setup) -> None:
    access = MailAccess(InMemoryUnitOfWork(box.store), box.provider, box.clock)
    uncached = SuggestRecipients(access)
    assert uncached.execute(SuggestRecipientsInput(box.principal(), "alfred")) == []
    box.receive(person("alfred@x.org", "Alfred"), age_minutes=1)
    assert [s.address for s in uncached.execute(SuggestRecipientsInput(box.principal(), "alfred"))] == ["alfred@x.org"]


# ------------------------------------------------------------------ merged with the address book (issue 15)


class Book:
    """An address book as the contacts context hands it over (principal, account id) -> contacts."""

    def __init__(self, contacts: list[Contact], failure: Exception | None = None) -> None:
        self.contacts, self.failure, self.calls = contacts, failure, 0

    def __call__(self, principal: Principal, account_id: str | None) -> list[Contact]:
        self.calls += 1
        if self.failure is not None:
            raise self.failure
        return self.contacts


def merged(box: Setup, book: Book, query: str = "", limit: int = 10) -> list[tuple[str, str, int, bool]]:
    access = MailAccess(InMemoryUnitOfWork(box.store), box.provider, box.clock)
    found = SuggestRecipients(access, box.cache, address_book=book).execute(
        SuggestRecipientsInput(box.principal(), query, limit=limit)
    )
    return [(s.name, s.address, s.count, s.in_contacts) for s in found]


def test_contacts_join_the_people_seen_in_mail_once_per_address(box: Setup) -> None:
    book = Book(
        [
            Contact("c1", "Alice S. (saved)", ("ALICE@x.org", "alice.home@x.org")),  # seen in mail, and a 2nd address
            Contact("c2", "Alberta Never-Mailed", ("alberta@w.org",)),  # only in the book
            Contact("c3", "Me Myself", (OWNER,)),  # the owner, saved as a contact: still never suggested
        ]
    )
    assert merged(box, book, "al") == [
        ("Alice S. (saved)", "alice@x.org", 3, True),  # 3 messages + 5 for a saved contact; the saved name wins
        ("Alberta Never-Mailed", "alberta@w.org", 0, True),  # 0 + 5: before people seen once
        ("Alice S. (saved)", "alice.home@x.org", 0, True),  # the contact's other address, its own suggestion
        ("Alan", "alan@x.org", 1, False),
        ("Zed Albright", "zed@z.org", 1, False),
        ("Mallory", "mallory.alvarez@y.org", 1, False),  # inside the address only: after every prefix match
    ]
    addresses = [a.lower() for _, a, _, _ in merged(box, book, "", limit=20)]
    assert len(addresses) == len(set(addresses)) and OWNER not in addresses


def test_a_frequent_correspondent_outranks_a_saved_contact_never_written_to(box: Setup) -> None:
    book = Book([Contact("c9", "Bea Saved", ("bea@w.org",)), Contact("c8", "Bo Other", ("bo@w.org",), other=True)])
    ranked = [a for _, a, _, _ in merged(box, book, "b")]
    # Bob: 6 messages; Bea: a saved contact (worth 5); Bo: an "other" contact (worth 2).
    assert ranked[:3] == ["bob@x.org", "bea@w.org", "bo@w.org"]
    # An "other" contact does not rename someone seen in mail; a saved one does.
    book = Book([Contact("c7", "Robert From Google", ("bob@x.org",), other=True)])
    assert merged(box, book, "bob")[0][:2] == ("Bob Jones", "bob@x.org")


def test_an_address_book_that_cannot_be_read_leaves_the_mail_suggestions(box: Setup) -> None:
    for failure in (NotConfigured("Reconnect to allow contacts access."), ServiceUnavailable("contacts down")):
        book = Book([], failure)
        assert merged(box, book, "al") == [(n, a, c, False) for n, a, c in box.suggest("al")]
        assert book.calls == 1
