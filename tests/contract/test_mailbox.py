"""Mailbox contract: every adapter (in-memory, SQLite; Gmail against a fake server later) passes the same tests."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.demo.generator import DemoSeedable, generate_demo_mailbox, seed_mailbox
from adapters.in_memory.mailbox import InMemoryMailbox
from adapters.sqlite_mailbox.mailbox import SqliteMailbox
from application.ports.mailbox import Mailbox
from domain.errors import Conflict, NotConfigured, NotFound, ValidationFailed
from domain.mail import (
    DRAFT,
    INBOX,
    SENT,
    SPAM,
    STARRED,
    TRASH,
    UNREAD,
    EmailAddress,
    LabelType,
    Message,
    OutgoingAttachment,
    OutgoingMessage,
)
from domain.mail_sync import ChangeKind, HistoryExpired, MailChange, MailHistory, cursor_value
from domain.mime import deterministic_message_id, html_to_text
from tests.support.mail_strategies import outgoing_messages
from tests.support.mailbox_seed import OWNER, FakeClock, MailboxSeeder, incoming_raw

# ---------------------------------------------------------------- adapters under test
#
# Each entry turns the pytest request into a maker; a maker returns a NEW, EMPTY mailbox (and the seeder that
# fills it) every time it is called, driven by the given clock. Property tests call it once per example.
# To add Gmail: MAILBOX_FACTORIES["gmail"] = lambda request: make_gmail_maker(request.getfixturevalue(...)).

MailboxMaker = Callable[[FakeClock], tuple[Mailbox, MailboxSeeder]]


def _in_memory(request: pytest.FixtureRequest) -> MailboxMaker:
    def make(clock: FakeClock) -> tuple[Mailbox, MailboxSeeder]:
        mailbox = InMemoryMailbox(OWNER, clock=clock)
        return mailbox, mailbox

    return make


def _sqlite(request: pytest.FixtureRequest) -> MailboxMaker:
    path = request.getfixturevalue("mailbox_db_path")

    def make(clock: FakeClock) -> tuple[Mailbox, MailboxSeeder]:
        # one shared file, a fresh account per mailbox: also exercises account isolation
        mailbox = SqliteMailbox(path, f"acct-{uuid.uuid4().hex}", address=OWNER, clock=clock)
        return mailbox, mailbox

    return make


MAILBOX_FACTORIES: dict[str, Callable[[pytest.FixtureRequest], MailboxMaker]] = {
    "in_memory": _in_memory,
    "sqlite": _sqlite,
}


@pytest.fixture(scope="session")
def mailbox_db_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("mailbox") / "mail.sqlite3"


@pytest.fixture(params=sorted(MAILBOX_FACTORIES))
def new_mailbox(request: pytest.FixtureRequest) -> MailboxMaker:
    return MAILBOX_FACTORIES[request.param](request)


@dataclass
class Harness:
    mailbox: Mailbox
    seeder: MailboxSeeder
    clock: FakeClock

    def deliver(
        self,
        *,
        sender: EmailAddress = EmailAddress(address="alice@example.com", name="Alice Archer"),
        subject: str = "Hello",
        text: str = "Hi there",
        labels: Sequence[str] = (INBOX, UNREAD),
        age: timedelta = timedelta(hours=1),
        **kwargs: object,
    ) -> str:
        raw = incoming_raw(sender=sender, subject=subject, text=text, date=self.clock.now - age, **kwargs)  # type: ignore[arg-type]
        return self.seeder.deliver(raw, list(labels))


@pytest.fixture
def harness(new_mailbox: MailboxMaker) -> Harness:
    clock = FakeClock()
    mailbox, seeder = new_mailbox(clock)
    return Harness(mailbox, seeder, clock)


PROPERTY = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def all_pages(mailbox: Mailbox, query: str = "", *, label_ids: Sequence[str] = (), limit: int = 3) -> list[Message]:
    found: list[Message] = []
    token: str | None = None
    for _ in range(1000):
        page = mailbox.search(query, label_ids=label_ids, page_token=token, limit=limit)
        assert len(page.messages) <= limit
        found.extend(page.messages)
        token = page.next_page_token
        if token is None:
            return found
    raise AssertionError("pagination does not end")


def to(*addresses: str) -> tuple[EmailAddress, ...]:
    return tuple(EmailAddress(address=a) for a in addresses)


# ---------------------------------------------------------------- examples


def test_address_is_the_owner(harness: Harness) -> None:
    assert harness.mailbox.address() == OWNER


def test_empty_mailbox_has_no_messages(harness: Harness) -> None:
    page = harness.mailbox.search("")
    assert page.messages == ()
    assert page.next_page_token is None
    assert page.result_size_estimate == 0


def test_delivered_message_is_retrievable_with_its_fields(harness: Harness) -> None:
    message_id = harness.deliver(
        subject="Quarterly numbers",
        text="Please review the attached figures.",
        cc=to("bob@example.org"),
        attachments=[OutgoingAttachment(filename="q3.csv", mime_type="text/csv", content=b"a,b\n1,2\n")],
    )
    message = harness.mailbox.get_message(message_id)
    assert message.id == message_id
    assert message.subject == "Quarterly numbers"
    assert message.from_ == EmailAddress(address="alice@example.com", name="Alice Archer")
    assert [a.address for a in message.to] == [OWNER]
    assert [a.address for a in message.cc] == ["bob@example.org"]
    assert message.text_body.strip() == "Please review the attached figures."
    assert message.snippet.startswith("Please review")
    assert message.label_ids == {INBOX, UNREAD}
    assert message.is_unread and not message.is_starred
    assert message.date.tzinfo is not None
    assert message.internal_date == harness.clock.now - timedelta(hours=1)
    assert message.message_id_header and message.message_id_header.startswith("<")
    assert message.header("subject") == "Quarterly numbers"
    [attachment] = message.attachments
    assert (attachment.filename, attachment.mime_type, attachment.size) == ("q3.csv", "text/csv", 8)
    assert message.has_attachments
    assert harness.mailbox.get_attachment(message_id, attachment.id) == b"a,b\n1,2\n"
    assert message.thread_id
    assert harness.mailbox.get_thread(message.thread_id).messages == (message,)


def test_missing_ids_raise_not_found(harness: Harness) -> None:
    message_id = harness.deliver()
    outgoing = OutgoingMessage(to=to("x@example.com"), subject="s")
    calls: list[Callable[[], object]] = [
        lambda: harness.mailbox.get_message("nope"),
        lambda: harness.mailbox.get_thread("nope"),
        lambda: harness.mailbox.get_attachment("nope", "1"),
        lambda: harness.mailbox.get_attachment(message_id, "nope"),
        lambda: harness.mailbox.get_draft("nope"),
        lambda: harness.mailbox.update_draft("nope", outgoing),
        lambda: harness.mailbox.delete_draft("nope"),
        lambda: harness.mailbox.send_draft("nope"),
        lambda: harness.mailbox.modify_labels(["nope"], add=[STARRED]),
        lambda: harness.mailbox.mark_read(["nope"]),
        lambda: harness.mailbox.trash(["nope"]),
        lambda: harness.mailbox.search("", label_ids=["Label_nope"]),
    ]
    for call in calls:
        with pytest.raises(NotFound) as caught:
            call()
        assert "nope" in caught.value.message


def test_search_is_newest_first_and_pages_without_overlap(harness: Harness) -> None:
    ids = [harness.deliver(subject=f"m{i}", age=timedelta(hours=10 - i)) for i in range(7)]
    first = harness.mailbox.search("", limit=3)
    assert first.result_size_estimate == 7
    assert [m.id for m in first.messages] == ids[::-1][:3]
    assert first.next_page_token
    rest = all_pages(harness.mailbox, limit=3)
    assert [m.id for m in rest] == ids[::-1]


def test_search_page_token_survives_new_mail(harness: Harness) -> None:
    ids = [harness.deliver(subject=f"m{i}", age=timedelta(hours=10 - i)) for i in range(4)]
    first = harness.mailbox.search("", limit=2)
    harness.deliver(subject="newest", age=timedelta(0))
    second = harness.mailbox.search("", limit=2, page_token=first.next_page_token)
    assert [m.id for m in second.messages] == [ids[1], ids[0]]


@pytest.mark.parametrize("limit", [0, -1, 501])
def test_search_limit_is_bounded(harness: Harness, limit: int) -> None:
    with pytest.raises(ValidationFailed):
        harness.mailbox.search("", limit=limit)


def test_bad_page_token_is_a_validation_error(harness: Harness) -> None:
    with pytest.raises(ValidationFailed):
        harness.mailbox.search("", page_token="not-a-token!")


@pytest.mark.parametrize("query", ['"unclosed', "from:", "(a b", "a)", "OR b", "a OR", "is:bogus", "after:2024-13-45"])
def test_invalid_query_is_a_validation_error(harness: Harness, query: str) -> None:
    with pytest.raises(ValidationFailed):
        harness.mailbox.search(query)


def test_trash_and_spam_are_hidden_unless_asked_for(harness: Harness) -> None:
    kept = harness.deliver(subject="keep")
    trashed = harness.deliver(subject="bin")
    spam = harness.deliver(subject="junk", labels=[SPAM])
    harness.mailbox.trash([trashed])
    assert TRASH in harness.mailbox.get_message(trashed).label_ids
    assert {m.id for m in all_pages(harness.mailbox)} == {kept}
    assert {m.id for m in all_pages(harness.mailbox, "in:trash")} == {trashed}
    assert {m.id for m in all_pages(harness.mailbox, "label:spam")} == {spam}
    assert {m.id for m in all_pages(harness.mailbox, "in:anywhere")} == {kept, trashed, spam}
    assert {m.id for m in all_pages(harness.mailbox, label_ids=[TRASH])} == {trashed}
    harness.mailbox.untrash([trashed])
    assert {m.id for m in all_pages(harness.mailbox)} == {kept, trashed}
    assert INBOX in harness.mailbox.get_message(trashed).label_ids


def test_mark_read_and_unread(harness: Harness) -> None:
    a, b = harness.deliver(), harness.deliver()
    harness.mailbox.mark_read([a, b])
    assert not harness.mailbox.get_message(a).is_unread
    assert all_pages(harness.mailbox, "is:unread") == []
    harness.mailbox.mark_unread([b])
    assert [m.id for m in all_pages(harness.mailbox, "is:unread")] == [b]
    assert [m.id for m in all_pages(harness.mailbox, "is:read")] == [a]


def test_labels_are_listed_with_counts(harness: Harness) -> None:
    work = harness.mailbox.create_label("Work")
    assert work.type is LabelType.USER and work.name == "Work"
    a = harness.deliver()
    b = harness.deliver(labels=[INBOX])
    harness.deliver(labels=[INBOX, UNREAD])
    harness.mailbox.modify_labels([a, b], add=[work.id, STARRED])
    labels = {label.id: label for label in harness.mailbox.list_labels()}
    assert labels[INBOX].type is LabelType.SYSTEM
    assert (labels[INBOX].messages_total, labels[INBOX].messages_unread) == (3, 2)
    assert (labels[work.id].messages_total, labels[work.id].messages_unread) == (2, 1)
    assert labels[work.id].name == "Work"
    assert (labels[STARRED].messages_total, labels[UNREAD].messages_total) == (2, 2)
    assert {m.id for m in all_pages(harness.mailbox, "label:work")} == {a, b}
    assert {m.id for m in all_pages(harness.mailbox, label_ids=[work.id, UNREAD])} == {a}


def test_create_label_rejects_duplicates_and_bad_names(harness: Harness) -> None:
    harness.mailbox.create_label("Receipts")
    with pytest.raises(Conflict):
        harness.mailbox.create_label("receipts")
    with pytest.raises(Conflict):
        harness.mailbox.create_label("INBOX")
    with pytest.raises(ValidationFailed):
        harness.mailbox.create_label("   ")
    with pytest.raises(ValidationFailed):
        harness.mailbox.create_label("two\nlines")
    nested = harness.mailbox.create_label("Projects/Offsite 2025")
    assert nested.name == "Projects/Offsite 2025"
    assert sum(1 for label in harness.mailbox.list_labels() if label.type is LabelType.USER) == 2


def test_modify_labels_is_all_or_nothing(harness: Harness) -> None:
    a = harness.deliver()
    with pytest.raises(NotFound):
        harness.mailbox.modify_labels([a], add=[STARRED, "Label_missing"])
    with pytest.raises(NotFound):
        harness.mailbox.modify_labels([a, "missing"], add=[STARRED])
    assert harness.mailbox.get_message(a).label_ids == {INBOX, UNREAD}
    with pytest.raises(ValidationFailed):
        harness.mailbox.modify_labels([a], add=[SENT])
    with pytest.raises(ValidationFailed):
        harness.mailbox.modify_labels([a], add=[STARRED], remove=[STARRED])
    harness.mailbox.modify_labels([], add=[STARRED])  # nothing to do is fine


def test_send_returns_the_sent_message(harness: Harness) -> None:
    message_id = deterministic_message_id("request-42", "mailagent.test")
    outgoing = OutgoingMessage(
        to=(EmailAddress(address="carol@example.com", name="Carol"),),
        bcc=to("audit@example.com"),
        subject="Lunch?",
        text_body="Noon at the usual place.",
        message_id=message_id,
    )
    sent = harness.mailbox.send(outgoing)
    assert SENT in sent.label_ids and DRAFT not in sent.label_ids
    assert sent.message_id_header == message_id
    assert sent.from_ is not None and sent.from_.address == OWNER
    assert [a.address for a in sent.bcc] == ["audit@example.com"]
    assert sent.internal_date == harness.clock.now
    assert harness.mailbox.get_message(sent.id) == sent
    assert harness.mailbox.find_by_message_id(message_id) == sent
    assert harness.mailbox.find_by_message_id(message_id.strip("<>")) == sent
    assert harness.mailbox.find_by_message_id("<unknown@example.com>") is None
    assert [m.id for m in all_pages(harness.mailbox, "in:sent")] == [sent.id]
    assert [m.id for m in all_pages(harness.mailbox, "from:me")] == [sent.id]
    assert [m.id for m in all_pages(harness.mailbox, f"rfc822msgid:{message_id}")] == [sent.id]


def test_send_without_message_id_still_gets_one(harness: Harness) -> None:
    sent = harness.mailbox.send(OutgoingMessage(to=to("carol@example.com"), subject="x", text_body="y"))
    assert sent.message_id_header
    assert harness.mailbox.find_by_message_id(sent.message_id_header) == sent


def test_send_needs_a_recipient(harness: Harness) -> None:
    with pytest.raises(ValidationFailed):
        harness.mailbox.send(OutgoingMessage(subject="to nobody"))


@pytest.mark.parametrize(
    "make",
    [
        lambda: OutgoingMessage(to=to("a@example.com"), subject="hi\r\nBcc: victim@example.com"),
        lambda: OutgoingMessage(to=(EmailAddress(address="a@example.com\nBcc: v@example.com"),)),
        lambda: OutgoingMessage(to=(EmailAddress(address="a@example.com", name="A\r\nX-Evil: 1"),)),
        lambda: OutgoingMessage(to=to("not-an-address")),
    ],
)
def test_header_injection_and_bad_addresses_are_rejected(make: Callable[[], OutgoingMessage]) -> None:
    with pytest.raises(ValidationFailed):
        make()


def test_reply_joins_the_thread_in_order(harness: Harness) -> None:
    root_id = harness.deliver(subject="Offsite plan", age=timedelta(days=2), message_id="<root@example.com>")
    reply_id = harness.deliver(
        subject="Re: Offsite plan",
        age=timedelta(days=1),
        in_reply_to="<root@example.com>",
        references=["<root@example.com>"],
        message_id="<reply@example.com>",
    )
    root = harness.mailbox.get_message(root_id)
    assert harness.mailbox.get_message(reply_id).thread_id == root.thread_id
    sent = harness.mailbox.send(
        OutgoingMessage(
            to=to("alice@example.com"),
            subject="Re: Offsite plan",
            text_body="Count me in.",
            in_reply_to="<reply@example.com>",
            references=("<root@example.com>", "<reply@example.com>"),
        )
    )
    assert sent.thread_id == root.thread_id
    assert sent.in_reply_to == "<reply@example.com>"
    assert sent.references == ("<root@example.com>", "<reply@example.com>")
    thread = harness.mailbox.get_thread(root.thread_id)
    assert [m.id for m in thread.messages] == [root_id, reply_id, sent.id]
    assert thread.subject == "Offsite plan"


def test_send_into_an_explicit_thread(harness: Harness) -> None:
    root = harness.mailbox.get_message(harness.deliver())
    sent = harness.mailbox.send(OutgoingMessage(to=to("a@example.com"), subject="more", thread_id=root.thread_id))
    assert sent.thread_id == root.thread_id
    with pytest.raises(NotFound):
        harness.mailbox.send(OutgoingMessage(to=to("a@example.com"), subject="x", thread_id="no-such-thread"))


def test_draft_lifecycle(harness: Harness) -> None:
    draft = harness.mailbox.create_draft(OutgoingMessage(to=to("bob@example.org"), subject="Draft 1", text_body="v1"))
    assert DRAFT in draft.message.label_ids
    assert harness.mailbox.get_draft(draft.id) == draft
    assert [d.id for d in harness.mailbox.list_drafts().drafts] == [draft.id]
    assert [m.id for m in all_pages(harness.mailbox, "in:drafts")] == [draft.message.id]

    harness.clock.advance(minutes=5)
    updated = harness.mailbox.update_draft(
        draft.id, OutgoingMessage(to=to("bob@example.org", "carol@example.com"), subject="Draft 2", text_body="v2")
    )
    assert updated.id == draft.id
    assert updated.message.subject == "Draft 2"
    assert [a.address for a in updated.message.to] == ["bob@example.org", "carol@example.com"]
    assert updated.message.message_id_header == draft.message.message_id_header  # reconcilable after edits
    assert harness.mailbox.get_draft(draft.id).message.subject == "Draft 2"
    assert len(all_pages(harness.mailbox, "in:drafts")) == 1

    harness.clock.advance(minutes=5)
    sent = harness.mailbox.send_draft(draft.id)
    assert SENT in sent.label_ids and DRAFT not in sent.label_ids
    assert sent.subject == "Draft 2"
    assert sent.message_id_header == draft.message.message_id_header
    assert sent.internal_date == harness.clock.now
    assert harness.mailbox.get_message(sent.id) == sent
    with pytest.raises(NotFound):
        harness.mailbox.get_draft(draft.id)
    assert harness.mailbox.list_drafts().drafts == ()
    assert all_pages(harness.mailbox, "in:drafts") == []

    other = harness.mailbox.create_draft(OutgoingMessage(subject="no recipients yet"))
    with pytest.raises(ValidationFailed):
        harness.mailbox.send_draft(other.id)
    harness.mailbox.delete_draft(other.id)
    with pytest.raises(NotFound):
        harness.mailbox.get_draft(other.id)
    with pytest.raises(NotFound):
        harness.mailbox.get_message(other.message.id)


def test_list_drafts_pages_newest_first(harness: Harness) -> None:
    ids = []
    for i in range(5):
        harness.clock.advance(minutes=1)
        ids.append(harness.mailbox.create_draft(OutgoingMessage(subject=f"d{i}")).id)
    first = harness.mailbox.list_drafts(limit=2)
    assert [d.id for d in first.drafts] == ids[::-1][:2]
    second = harness.mailbox.list_drafts(limit=2, page_token=first.next_page_token)
    third = harness.mailbox.list_drafts(limit=2, page_token=second.next_page_token)
    assert [d.id for d in second.drafts + third.drafts] == ids[::-1][2:]
    assert third.next_page_token is None


def test_search_operators_on_a_small_mailbox(harness: Harness) -> None:
    john1 = EmailAddress(address="john.smith@example.net", name="John Smith")
    john2 = EmailAddress(address="jdoe@example.com", name="John Doe")
    invoice = harness.deliver(
        sender=john1,
        subject="Invoice 2025-06",
        text="Amount due: 120 EUR",
        attachments=[OutgoingAttachment(filename="invoice.pdf", mime_type="application/pdf", content=b"%PDF-1.4")],
        age=timedelta(days=3),
    )
    offsite = harness.deliver(sender=john2, subject="Offsite agenda", text="Day one: kickoff", age=timedelta(days=40))
    harness.mailbox.modify_labels([offsite], add=[STARRED], remove=[UNREAD])

    def ids(query: str) -> set[str]:
        return {m.id for m in all_pages(harness.mailbox, query)}

    assert ids("from:john") == {invoice, offsite}
    assert ids("from:smith") == {invoice}
    assert ids("from:jdoe@example.com") == {offsite}
    assert ids("has:attachment") == {invoice}
    assert ids("filename:pdf") == {invoice}
    assert ids("is:starred") == {offsite}
    assert ids("newer_than:7d") == {invoice}
    assert ids("older_than:1m") == {offsite}
    assert ids('"offsite agenda"') == {offsite}
    assert ids("kickoff OR amount") == {invoice, offsite}
    assert ids("-from:smith") == {offsite}
    assert ids("subject:(offsite agenda)") == {offsite}
    assert ids("{invoice offsite} is:unread") == {invoice}
    assert ids("to:me") == {invoice, offsite}
    after = (harness.clock.now - timedelta(days=10)).strftime("%Y/%m/%d")
    assert ids(f"after:{after}") == {invoice}
    assert ids(f"before:{after}") == {offsite}


# ---------------------------------------------------------------- properties

PEOPLE = [
    ("Alice Archer", "alice@example.com", {"alice", "archer", "example", "com"}),
    ("Bob Baker", "bob@example.org", {"bob", "baker", "example", "org"}),
    ("John Smith", "john.smith@example.net", {"john", "smith", "example", "net"}),
    ("John Doe", "jdoe@example.com", {"john", "doe", "jdoe", "example", "com"}),
]
PERSON_WORDS = ["alice", "archer", "bob", "baker", "john", "smith", "doe"]
SUBJECT_WORDS = ["budget", "offsite", "invoice", "lunch", "report", "travel"]
BODY_WORDS = ["agenda", "receipt", "photos", "deadline", "kickoff"]


@dataclass(frozen=True)
class Spec:
    sender: int
    recipient: int
    subject: tuple[str, ...]
    body: tuple[str, ...]
    inbox: bool
    unread: bool
    starred: bool
    work: bool
    trash: bool
    attachment: bool
    age_days: int

    def internal_date(self, now: datetime) -> datetime:
        return now - timedelta(days=self.age_days, hours=3)

    def labels(self, work_id: str) -> list[str]:
        flags = [(self.inbox, INBOX), (self.unread, UNREAD), (self.starred, STARRED), (self.trash, TRASH)]
        return [label for on, label in flags if on] + ([work_id] if self.work else [])


specs = st.builds(
    Spec,
    sender=st.integers(0, len(PEOPLE) - 1),
    recipient=st.integers(0, len(PEOPLE) - 1),
    subject=st.lists(st.sampled_from(SUBJECT_WORDS), min_size=1, max_size=3).map(tuple),
    body=st.lists(st.sampled_from(BODY_WORDS), min_size=0, max_size=3).map(tuple),
    inbox=st.booleans(),
    unread=st.booleans(),
    starred=st.booleans(),
    work=st.booleans(),
    trash=st.booleans(),
    attachment=st.booleans(),
    age_days=st.integers(0, 60),
)


def seed_specs(h: Harness, items: Sequence[Spec]) -> tuple[list[str], str]:
    work_id = h.mailbox.create_label("Work").id
    ids = []
    for spec in items:
        name, address, _ = PEOPLE[spec.sender]
        rname, raddress, _ = PEOPLE[spec.recipient]
        attachments = (
            [OutgoingAttachment(filename="scan.pdf", mime_type="application/pdf", content=b"%PDF-1.4\n%%EOF")]
            if spec.attachment
            else []
        )
        raw = incoming_raw(
            sender=EmailAddress(address=address, name=name),
            to=[EmailAddress(address=raddress, name=rname)],
            subject=" ".join(spec.subject),
            text=" ".join(spec.body),
            attachments=attachments,
            date=spec.internal_date(h.clock.now),
        )
        ids.append(h.seeder.deliver(raw, spec.labels(work_id)))
    return ids, work_id


Predicate = Callable[[Spec], bool]


@dataclass(frozen=True)
class Q:
    """A generated query: its text, what it means for a Spec, and whether it asks for the trash."""

    text: str
    meaning: Predicate
    wants_trash: bool = False  # in:trash or in:anywhere appears under an even number of negations
    compound: bool = False
    negated_wants_trash: bool = False  # ... under an odd number

    def wrapped(self) -> str:
        return f"({self.text})" if self.compound else self.text


NOW = FakeClock().now


def _phrase_in(words: tuple[str, ...], a: str, b: str) -> bool:
    return any(words[i] == a and words[i + 1] == b for i in range(len(words) - 1))


def _atom_strategies() -> st.SearchStrategy[Q]:
    today = NOW.date()

    def on_day(days_ago: int) -> date:
        return today - timedelta(days=days_ago)

    return st.one_of(
        st.sampled_from(PERSON_WORDS).map(lambda w: Q(f"from:{w}", lambda s: w in PEOPLE[s.sender][2])),
        st.sampled_from(PERSON_WORDS).map(lambda w: Q(f"to:{w}", lambda s: w in PEOPLE[s.recipient][2])),
        st.sampled_from(SUBJECT_WORDS).map(lambda w: Q(f"subject:{w}", lambda s: w in s.subject)),
        st.sampled_from(SUBJECT_WORDS + BODY_WORDS + PERSON_WORDS).map(
            lambda w: Q(
                w.upper() if w == "doe" else w,
                lambda s: w in s.subject or w in s.body or w in PEOPLE[s.sender][2] or w in PEOPLE[s.recipient][2],
            )
        ),
        st.tuples(st.sampled_from(SUBJECT_WORDS + BODY_WORDS), st.sampled_from(SUBJECT_WORDS + BODY_WORDS)).map(
            lambda ab: Q(
                f'"{ab[0]} {ab[1]}"',
                lambda s: _phrase_in(s.subject, *ab) or _phrase_in(s.body, *ab),
            )
        ),
        st.just(Q("label:work", lambda s: s.work)),
        st.just(Q("is:unread", lambda s: s.unread)),
        st.just(Q("is:read", lambda s: not s.unread)),
        st.just(Q("is:starred", lambda s: s.starred)),
        st.just(Q("has:attachment", lambda s: s.attachment)),
        st.just(Q("in:inbox", lambda s: s.inbox)),
        st.just(Q("in:trash", lambda s: s.trash, wants_trash=True)),
        st.just(Q("in:anywhere", lambda s: True, wants_trash=True)),
        st.integers(1, 70).map(lambda n: Q(f"newer_than:{n}d", lambda s: s.age_days < n)),
        st.integers(1, 70).map(lambda n: Q(f"older_than:{n}d", lambda s: s.age_days >= n)),
        st.integers(0, 70).map(
            lambda k: Q(
                f"after:{on_day(k):%Y/%m/%d}", lambda s: (NOW - timedelta(days=s.age_days, hours=3)).date() >= on_day(k)
            )
        ),
        st.integers(0, 70).map(
            lambda k: Q(
                f"before:{on_day(k):%Y-%m-%d}", lambda s: (NOW - timedelta(days=s.age_days, hours=3)).date() < on_day(k)
            )
        ),
    )


def _combine(children: st.SearchStrategy[Q]) -> st.SearchStrategy[Q]:
    def conj(items: list[Q]) -> Q:
        return Q(
            " ".join(q.wrapped() for q in items),
            lambda s: all(q.meaning(s) for q in items),
            any(q.wants_trash for q in items),
            compound=True,
            negated_wants_trash=any(q.negated_wants_trash for q in items),
        )

    def disj(items: list[Q]) -> Q:
        return Q(
            " OR ".join(q.wrapped() for q in items),
            lambda s: any(q.meaning(s) for q in items),
            any(q.wants_trash for q in items),
            compound=True,
            negated_wants_trash=any(q.negated_wants_trash for q in items),
        )

    def neg(q: Q) -> Q:
        return Q(
            f"-{q.wrapped()}",
            lambda s: not q.meaning(s),
            wants_trash=q.negated_wants_trash,
            negated_wants_trash=q.wants_trash,
        )

    return st.one_of(
        st.lists(children, min_size=2, max_size=3).map(conj),
        st.lists(children, min_size=2, max_size=3).map(disj),
        children.map(neg),
    )


queries = st.recursive(_atom_strategies(), _combine, max_leaves=5)


@pytest.mark.property(1)
@PROPERTY
@given(items=st.lists(specs, max_size=8), query=queries, limit=st.integers(1, 4))
def test_property_search_returns_exactly_the_matching_messages(
    new_mailbox: MailboxMaker, items: list[Spec], query: Q, limit: int
) -> None:
    h = Harness(*new_mailbox(clock := FakeClock(NOW)), clock)
    ids, _ = seed_specs(h, items)
    expected = {i for i, s in zip(ids, items, strict=True) if query.meaning(s) and (not s.trash or query.wants_trash)}
    found = all_pages(h.mailbox, query.text, limit=limit)
    assert [m.id for m in found if m.id in expected] == [m.id for m in found], f"extra results for {query.text!r}"
    assert {m.id for m in found} == expected, query.text
    assert len(found) == len(expected), "a message came twice"
    keys = [(m.internal_date, m.id) for m in found]
    assert keys == sorted(keys, reverse=True)
    assert h.mailbox.search(query.text, limit=limit).result_size_estimate == len(expected)


@pytest.mark.property(2)
@PROPERTY
@given(items=st.lists(specs, min_size=1, max_size=8))
def test_property_every_message_is_retrievable(new_mailbox: MailboxMaker, items: list[Spec]) -> None:
    h = Harness(*new_mailbox(clock := FakeClock(NOW)), clock)
    ids, work_id = seed_specs(h, items)
    assert sorted(m.id for m in all_pages(h.mailbox, "in:anywhere", limit=5)) == sorted(ids)
    for message_id, spec in zip(ids, items, strict=True):
        message = h.mailbox.get_message(message_id)
        assert message.subject == " ".join(spec.subject)
        assert message.from_ is not None and message.from_.address == PEOPLE[spec.sender][1]
        assert [a.address for a in message.to] == [PEOPLE[spec.recipient][1]]
        assert message.label_ids == frozenset(spec.labels(work_id))
        assert message.text_body.strip() == " ".join(spec.body)
        assert message.has_attachments is spec.attachment
        assert message.internal_date == spec.internal_date(NOW)
        assert message in h.mailbox.get_thread(message.thread_id).messages


any_outgoing = outgoing_messages()


def assert_same_content(message: Message, outgoing: OutgoingMessage) -> None:
    assert message.subject == outgoing.subject.strip()
    for got, sent in ((message.to, outgoing.to), (message.cc, outgoing.cc), (message.bcc, outgoing.bcc)):
        assert [(a.name, a.address) for a in got] == [(a.name, a.address) for a in sent]
    # with no text body, the text part is made from the HTML
    expected_text = outgoing.text_body or html_to_text(outgoing.html_body or "")
    assert message.text_body.rstrip("\n") == expected_text.rstrip("\n")
    if outgoing.html_body is None:
        assert message.html_body is None
    else:
        assert (message.html_body or "").rstrip("\n") == outgoing.html_body.rstrip("\n")
    assert [(a.filename, a.mime_type, a.size) for a in message.attachments] == [
        (a.filename, a.mime_type, a.size) for a in outgoing.attachments
    ]


@pytest.mark.property(3)
@PROPERTY
@given(first=any_outgoing, second=any_outgoing)
def test_property_drafts_keep_what_was_written(
    new_mailbox: MailboxMaker, first: OutgoingMessage, second: OutgoingMessage
) -> None:
    h = Harness(*new_mailbox(clock := FakeClock(NOW)), clock)
    draft = h.mailbox.create_draft(first)
    assert DRAFT in draft.message.label_ids
    stored = h.mailbox.get_draft(draft.id)
    assert stored.message == draft.message
    assert_same_content(stored.message, first)
    assert [d.id for d in h.mailbox.list_drafts().drafts] == [draft.id]
    updated = h.mailbox.update_draft(draft.id, second)
    assert updated.id == draft.id
    assert_same_content(h.mailbox.get_draft(draft.id).message, second)
    h.mailbox.delete_draft(draft.id)
    assert h.mailbox.list_drafts().drafts == ()


@pytest.mark.property(4, 66)
@PROPERTY
@given(outgoing=any_outgoing)
def test_property_send_round_trips_headers_bodies_and_attachments(
    new_mailbox: MailboxMaker, outgoing: OutgoingMessage
) -> None:
    h = Harness(*new_mailbox(clock := FakeClock(NOW)), clock)
    sent = h.mailbox.send(outgoing)
    message = h.mailbox.get_message(sent.id)
    assert message == sent
    assert SENT in message.label_ids
    assert_same_content(message, outgoing)
    for attachment, original in zip(message.attachments, outgoing.attachments, strict=True):
        assert h.mailbox.get_attachment(message.id, attachment.id) == original.content
    if outgoing.message_id:
        assert message.message_id_header == outgoing.message_id
    assert message.message_id_header is not None
    found = h.mailbox.find_by_message_id(message.message_id_header)
    assert found is not None and found.id == sent.id


label_names = st.text(st.characters(categories=["L", "N"], codec="utf-8"), min_size=1, max_size=12).filter(
    lambda n: (
        n.upper()
        not in {
            "INBOX",
            "SENT",
            "DRAFT",
            "TRASH",
            "SPAM",
            "UNREAD",
            "STARRED",
            "IMPORTANT",
            "CHAT",
            "DRAFTS",
            "CHATS",
            "SNOOZED",
            "WORK",  # seed_specs creates it for every mailbox
        }
    )
)


@pytest.mark.property(5)
@PROPERTY
@given(
    names=st.lists(label_names, min_size=1, max_size=3, unique_by=str.lower),
    items=st.lists(specs, min_size=1, max_size=6),
    data=st.data(),
)
def test_property_label_add_then_remove_round_trips(
    new_mailbox: MailboxMaker, names: list[str], items: list[Spec], data: st.DataObject
) -> None:
    h = Harness(*new_mailbox(clock := FakeClock(NOW)), clock)
    ids, _ = seed_specs(h, items)
    label_ids = [h.mailbox.create_label(name).id for name in names]
    targets = data.draw(st.lists(st.sampled_from(ids), unique=True))
    to_add = data.draw(st.lists(st.sampled_from([*label_ids, STARRED, UNREAD, INBOX]), min_size=1, unique=True))
    before = {i: h.mailbox.get_message(i).label_ids for i in ids}
    fresh = {i: set(to_add) - before[i] for i in targets}  # what adding really changed

    h.mailbox.modify_labels(targets, add=to_add)
    for i in ids:
        assert h.mailbox.get_message(i).label_ids == (before[i] | set(to_add) if i in targets else before[i])
    counts = {label.id: label.messages_total for label in h.mailbox.list_labels()}
    for label_id in label_ids:
        labelled = set(targets) if label_id in to_add else set()
        assert counts[label_id] == len(labelled)
        assert {m.id for m in all_pages(h.mailbox, "in:anywhere", label_ids=[label_id], limit=10)} == labelled

    for i in targets:
        if fresh[i]:
            h.mailbox.modify_labels([i], remove=sorted(fresh[i]))
    assert {i: h.mailbox.get_message(i).label_ids for i in ids} == before


@pytest.mark.property(6)
@PROPERTY
@given(offsets=st.lists(st.integers(1, 10_000), min_size=1, max_size=6), reply_last=st.booleans())
def test_property_threads_are_chronological(new_mailbox: MailboxMaker, offsets: list[int], reply_last: bool) -> None:
    h = Harness(*new_mailbox(clock := FakeClock(NOW)), clock)
    root_at = NOW - timedelta(days=10)
    root = h.seeder.deliver(
        incoming_raw(
            sender=EmailAddress(address="alice@example.com"), subject="Plan", date=root_at, message_id="<root@x.org>"
        ),
        [INBOX],
    )
    replies = [
        h.seeder.deliver(
            incoming_raw(
                sender=EmailAddress(address="bob@example.org"),
                subject="Re: Plan",
                date=root_at + timedelta(minutes=offset),
                in_reply_to="<root@x.org>",
                references=["<root@x.org>"],
            ),
            [INBOX, UNREAD],
        )
        for offset in offsets
    ]
    thread_id = h.mailbox.get_message(root).thread_id
    if reply_last:
        sent = h.mailbox.send(
            OutgoingMessage(to=to("alice@example.com"), subject="Re: Plan", in_reply_to="<root@x.org>")
        )
        replies.append(sent.id)
    thread = h.mailbox.get_thread(thread_id)
    assert {m.id for m in thread.messages} == {root, *replies}
    assert thread.messages[0].id == root
    dates = [m.internal_date for m in thread.messages]
    assert dates == sorted(dates)
    assert all(m.thread_id == thread_id for m in thread.messages)


# ---------------------------------------------------------------- the change feed (mailbox sync)


def feed(mailbox: Mailbox, cursor: str, *, limit: int = 500) -> tuple[list[MailChange], str]:
    """Every change after `cursor`, page after page; and the cursor to continue from."""
    changes: list[MailChange] = []
    for _ in range(1000):
        page = mailbox.history(cursor, limit=limit)
        assert cursor_value(page.cursor) >= cursor_value(cursor), "a cursor never moves back"
        changes.extend(page.changes)
        cursor = page.cursor
        if not page.has_more:
            return changes, cursor
    raise AssertionError("the change feed does not end")


def shape(changes: Sequence[MailChange]) -> list[tuple[str, str, frozenset[str], frozenset[str]]]:
    """What a change says, without its history id (adapters number records differently)."""
    return [(c.kind.value, c.message_id, c.label_ids, c.changed_label_ids) for c in changes]


def test_change_feed_reports_arrivals_label_changes_drafts_and_sends(harness: Harness) -> None:
    h = harness
    start = h.mailbox.current_cursor()
    assert h.mailbox.history(start).changes == ()
    received = h.deliver(subject="Fresh")
    h.mailbox.mark_read([received])
    h.mailbox.trash([received])
    h.mailbox.modify_labels([received], add=[STARRED], remove=[TRASH])
    draft = h.mailbox.create_draft(OutgoingMessage(to=to("pat@example.com"), subject="Draft"))
    h.mailbox.delete_draft(draft.id)
    sent = h.mailbox.send(OutgoingMessage(to=to("pat@example.com"), subject="Sent now"))

    changes, cursor = feed(h.mailbox, start)
    A, D = ChangeKind.MESSAGE_ADDED.value, ChangeKind.MESSAGE_DELETED.value
    LA, LR = ChangeKind.LABELS_ADDED.value, ChangeKind.LABELS_REMOVED.value
    f = frozenset
    assert shape(changes) == [
        (A, received, f({INBOX, UNREAD}), f()),
        (LR, received, f({INBOX}), f({UNREAD})),
        (LA, received, f({INBOX, TRASH}), f({TRASH})),
        (LA, received, f({INBOX, STARRED}), f({STARRED})),
        (LR, received, f({INBOX, STARRED}), f({TRASH})),
        (A, draft.message.id, f({DRAFT}), f()),
        (D, draft.message.id, f({DRAFT}), f()),
        (A, sent.id, f({SENT}), f()),
    ]
    ids = [cursor_value(c.history_id) for c in changes]
    assert ids == sorted(ids) and ids[0] > cursor_value(start)
    assert cursor == h.mailbox.current_cursor() and cursor_value(cursor) >= ids[-1]
    assert all(c.thread_id == h.mailbox.get_message(received).thread_id for c in changes[:5])
    # nothing new: nothing reported, the cursor stays
    assert h.mailbox.history(cursor) == MailHistory(cursor=cursor)
    # a change that changes nothing is not one
    h.mailbox.modify_labels([received], add=[INBOX])
    assert h.mailbox.history(cursor).changes == ()


def test_change_feed_pages_give_the_same_changes(harness: Harness) -> None:
    h = harness
    start = h.mailbox.current_cursor()
    ids = [h.deliver(subject=f"n{i}") for i in range(4)]
    h.mailbox.modify_labels(ids, add=[STARRED])
    whole, end = feed(h.mailbox, start)
    paged, paged_end = feed(h.mailbox, start, limit=1)
    assert paged == whole and paged_end == end
    first = h.mailbox.history(start, limit=2)
    assert first.has_more and len({c.history_id for c in first.changes}) == 2
    assert first.cursor == first.changes[-1].history_id  # continue after the last record returned


def test_change_feed_rejects_what_is_not_a_cursor_and_reports_expired_history(harness: Harness) -> None:
    h = harness
    for bad in ("", "abc", "-1", "1.5", "9" * 40):
        with pytest.raises(ValidationFailed):
            h.mailbox.history(bad)
    for limit in (0, 501):
        with pytest.raises(ValidationFailed):
            h.mailbox.history(h.mailbox.current_cursor(), limit=limit)
    old = h.mailbox.current_cursor()
    h.deliver(subject="gone from history")
    h.seeder.expire_history()  # type: ignore[attr-defined]  # every adapter's test hook
    with pytest.raises(HistoryExpired):
        h.mailbox.history(old)
    now = h.mailbox.current_cursor()
    assert cursor_value(now) > cursor_value(old)
    fresh = h.deliver(subject="after the reset")
    assert [c.message_id for c in h.mailbox.history(now).changes] == [fresh]


def test_summaries_have_headers_and_leave_out_missing_messages(harness: Harness) -> None:
    h = harness
    first = h.deliver(sender=EmailAddress(address="zoe@example.com", name="Zoë Z"), subject="Grüße", text="Hallo Welt")
    second = h.deliver(subject="Second")
    draft = h.mailbox.create_draft(OutgoingMessage(to=to("pat@example.com"), subject="gone"))
    gone = draft.message.id
    h.mailbox.delete_draft(draft.id)
    found = h.mailbox.summaries([second, gone, first])
    assert [s.id for s in found] == [second, first]
    summary = found[1]
    message = h.mailbox.get_message(first)
    assert summary.from_ == EmailAddress(address="zoe@example.com", name="Zoë Z")
    assert (summary.subject, summary.thread_id, summary.label_ids) == ("Grüße", message.thread_id, message.label_ids)
    assert summary.snippet == message.snippet and "Hallo" in summary.snippet
    assert summary.internal_date == message.internal_date
    assert h.mailbox.summaries([]) == []


def test_watch_is_push_or_not_configured(harness: Harness) -> None:
    try:
        expires = harness.mailbox.watch("projects/mailagent-test/topics/gmail-push")
    except NotConfigured:
        with pytest.raises(NotConfigured):
            harness.mailbox.stop_watch()
        return
    assert harness.clock.now < expires <= harness.clock.now + timedelta(days=7)
    harness.mailbox.stop_watch()


@dataclass(frozen=True)
class Op:
    kind: str  # deliver | label | trash | send | draft | undraft
    index: int = 0
    add: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()


ops = st.one_of(
    st.builds(Op, st.just("deliver")),
    st.builds(
        Op,
        st.just("label"),
        st.integers(0, 20),
        st.lists(st.sampled_from([STARRED, UNREAD, INBOX]), max_size=2, unique=True).map(tuple),
        st.lists(st.sampled_from([STARRED, UNREAD, INBOX]), max_size=2, unique=True).map(tuple),
    ),
    st.builds(Op, st.just("trash"), st.integers(0, 20)),
    st.builds(Op, st.just("send")),
    st.builds(Op, st.just("draft")),
    st.builds(Op, st.just("undraft"), st.integers(0, 20)),
)


@PROPERTY
@given(script=st.lists(ops, min_size=1, max_size=8))
def test_property_change_feed_is_exactly_what_happened(new_mailbox: MailboxMaker, script: list[Op]) -> None:
    h = Harness(*new_mailbox(clock := FakeClock(NOW)), clock)
    start = h.mailbox.current_cursor()
    expected: list[tuple[str, str, frozenset[str], frozenset[str]]] = []
    messages: list[str] = []
    drafts: list[tuple[str, str]] = []
    labels: dict[str, frozenset[str]] = {}
    A, D = ChangeKind.MESSAGE_ADDED.value, ChangeKind.MESSAGE_DELETED.value
    for op in script:
        if op.kind == "deliver":
            mid = h.deliver(subject=f"m{len(messages)}")
            messages.append(mid)
            labels[mid] = frozenset({INBOX, UNREAD})
            expected.append((A, mid, labels[mid], frozenset()))
        elif op.kind in ("label", "trash") and messages:
            mid = messages[op.index % len(messages)]
            add, remove = (
                (frozenset({TRASH}), frozenset())
                if op.kind == "trash"
                else (frozenset(op.add), frozenset(op.remove) - frozenset(op.add))
            )
            if not add and not remove:
                continue
            h.mailbox.modify_labels([mid], add=sorted(add), remove=sorted(remove))
            old, new = labels[mid], (labels[mid] | add) - remove
            labels[mid] = new
            if new - old:
                expected.append((ChangeKind.LABELS_ADDED.value, mid, new, new - old))
            if old - new:
                expected.append((ChangeKind.LABELS_REMOVED.value, mid, new, old - new))
        elif op.kind == "send":
            sent = h.mailbox.send(OutgoingMessage(to=to("pat@example.com"), subject="s"))
            expected.append((A, sent.id, frozenset({SENT}), frozenset()))
        elif op.kind == "draft":
            draft = h.mailbox.create_draft(OutgoingMessage(to=to("pat@example.com"), subject="d"))
            drafts.append((draft.id, draft.message.id))
            expected.append((A, draft.message.id, frozenset({DRAFT}), frozenset()))
        elif op.kind == "undraft" and drafts:
            draft_id, mid = drafts.pop(op.index % len(drafts))
            h.mailbox.delete_draft(draft_id)
            expected.append((D, mid, frozenset({DRAFT}), frozenset()))
    changes, cursor = feed(h.mailbox, start, limit=3)
    assert shape(changes) == expected
    assert cursor == h.mailbox.current_cursor()
    ids = [cursor_value(c.history_id) for c in changes]
    assert ids == sorted(ids)


# ---------------------------------------------------------------- the demo mailbox, seeded into every adapter


def test_demo_mailbox_seeds_once_and_is_searchable(new_mailbox: MailboxMaker) -> None:
    clock = FakeClock(NOW)
    mailbox, _ = new_mailbox(clock)
    assert isinstance(mailbox, DemoSeedable)
    demo = generate_demo_mailbox(NOW, owner_address=OWNER, size=300)
    assert len(demo) == 300
    assert seed_mailbox(mailbox, demo) == 300
    assert seed_mailbox(mailbox, demo) == 0  # already has mail: nothing is added twice

    def count(query: str) -> int:
        return mailbox.search(query, limit=1).result_size_estimate

    assert count("in:anywhere") == 300
    assert count("from:alice has:attachment") >= 3
    assert count("from:john") > 0 and count("from:smith") < count("from:john")  # two Johns
    assert count("from:bob") > 0 and count("from:carol") > 0
    assert count("offsite") >= 5
    assert 0 < count("is:unread") < 300 and count("is:starred") > 0
    assert count("in:sent") > 0 and count("label:newsletters") > 0 and count("label:receipts") > 0
    assert count("has:attachment newer_than:30d") > 0
    assert count("older_than:60d") > 0 and count("older_than:95d") == 0
    labels = {label.name: label for label in mailbox.list_labels()}
    assert {"Work", "Later", "Receipts", "Newsletters", "Travel"} <= set(labels)
    assert labels["Work"].messages_total > 0
    [offsite] = {m.thread_id for m in all_pages(mailbox, "subject:offsite", limit=50)}
    thread = mailbox.get_thread(offsite)
    assert len(thread.messages) >= 5
    assert [m.internal_date for m in thread.messages] == sorted(m.internal_date for m in thread.messages)
    newsletter = mailbox.search("label:newsletters", limit=1).messages[0]
    assert newsletter.html_body and "<h1>" in newsletter.html_body and newsletter.text_body
    invoice = mailbox.search("from:alice invoice", limit=1).messages[0]
    pdf = invoice.attachments[0]
    assert mailbox.get_attachment(invoice.id, pdf.id).startswith(b"%PDF-1.4")


def test_demo_mailbox_is_deterministic() -> None:
    first = generate_demo_mailbox(NOW, size=60)
    again = generate_demo_mailbox(NOW, size=60)
    assert [(m.raw, m.system_labels, m.user_labels, m.internal_date) for m in first] == [
        (m.raw, m.system_labels, m.user_labels, m.internal_date) for m in again
    ]
    assert all(NOW - timedelta(days=91) < m.internal_date < NOW for m in first)
    assert generate_demo_mailbox(NOW, size=0) == []


# ---------------------------------------------------------------- SqliteMailbox only: persistence and sharing


def test_sqlite_mailbox_survives_a_restart_and_isolates_accounts(tmp_path: Path) -> None:
    path = tmp_path / "demo.sqlite3"
    first = SqliteMailbox(path, "acct-1", address=OWNER)
    draft = first.create_draft(OutgoingMessage(to=to("a@example.com"), subject="keep me"))
    sent = first.send(OutgoingMessage(to=to("a@example.com"), subject="sent once"))
    label = first.create_label("Later")
    first.close()

    again = SqliteMailbox(path, "acct-1", address=OWNER)
    assert again.get_draft(draft.id).message.subject == "keep me"
    assert again.get_message(sent.id) == sent
    assert label in [lb for lb in again.list_labels() if lb.type is LabelType.USER] or any(
        lb.id == label.id for lb in again.list_labels()
    )
    other = SqliteMailbox(path, "acct-2", address="other@example.com")
    assert other.search("in:anywhere").messages == ()
    with pytest.raises(NotFound):
        other.get_message(sent.id)
    assert other.create_label("Later").name == "Later"  # names are per account


def test_sqlite_mailbox_is_shared_between_processes(tmp_path: Path) -> None:
    path = tmp_path / "shared.sqlite3"
    server = SqliteMailbox(path, "acct", address=OWNER)
    root = Path(__file__).resolve().parents[2]
    script = textwrap.dedent(
        f"""
        from adapters.sqlite_mailbox.mailbox import SqliteMailbox
        from domain.mail import EmailAddress, OutgoingMessage
        box = SqliteMailbox({str(path)!r}, "acct", address={OWNER!r})
        box.send(OutgoingMessage(to=(EmailAddress(address="cli@example.com"),), subject="from the CLI"))
        print(box.search("").messages[0].id)
        """
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=root, capture_output=True, text=True, check=True)
    sent_id = result.stdout.strip()
    assert server.get_message(sent_id).subject == "from the CLI"
    assert [m.id for m in server.search("from the CLI").messages] == [sent_id]
