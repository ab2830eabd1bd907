"""The demo mailbox's search indexes (FTS5 for words, label counts for the planner) give exactly the answers of
`domain.mail_query.matches`, whichever way a search is run, for any words, and survive an upgrade of an old file."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import adapters.sqlite_mailbox.mailbox as sqlite_mailbox
from adapters.demo.generator import iter_demo_mailbox
from adapters.sqlite_mailbox.mailbox import SqliteMailbox
from domain.mail import INBOX, STARRED, TRASH, UNREAD, EmailAddress, OutgoingMessage
from domain.mail_query import TEXT_FIELDS, CompiledQuery, parse_query, token_string, words

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
OWNER = "you@demo.mailagent.local"
# Word characters the tokenizer of FTS5 would read its own way (case folding, the long s, final sigma, dotted I,
# digits of other scripts, '_' and '-'), so that the hex form of the index is what keeps the results exact.
ALPHABET = st.sampled_from("abcxyzABZ019_-.@ \tſσςİiıßéÉ٣ñΣ\u0301")


def _raw(subject: str, body: str, sender: str) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = OWNER
    message["Subject"] = subject
    message["Date"] = "Sun, 01 Mar 2026 10:00:00 +0000"
    message.set_content(body)
    return message.as_bytes()


def _all_ids(mailbox: SqliteMailbox, query: str) -> tuple[list[str], int]:
    ids: list[str] = []
    token = None
    total = -1
    while True:
        page = mailbox.search(query, page_token=token, limit=7)
        total = page.result_size_estimate if total < 0 else total
        ids += [m.id for m in page.messages]
        token = page.next_page_token
        if token is None:
            return ids, total


def _expected(mailbox: SqliteMailbox, query: str) -> list[str]:
    names = {label.id: label.name for label in mailbox.list_labels()}
    compiled = CompiledQuery(parse_query(query), NOW, label_names=names, owner=OWNER)
    found = [m for m in (mailbox.get_message(i) for i in _every_id(mailbox)) if compiled(m)]
    return [m.id for m in sorted(found, key=lambda m: (m.internal_date, m.id), reverse=True)]


def _every_id(mailbox: SqliteMailbox) -> list[str]:
    return [m.id for m in _unfiltered(mailbox)]


def _unfiltered(mailbox: SqliteMailbox) -> list:  # type: ignore[type-arg]
    out, token = [], None
    while True:
        page = mailbox.search("in:anywhere", page_token=token, limit=50)
        out += page.messages
        token = page.next_page_token
        if token is None:
            return out


texts = st.text(ALPHABET, min_size=1, max_size=24)


@pytest.mark.property(1)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(subjects=st.lists(texts, min_size=1, max_size=6), data=st.data())
def test_word_and_phrase_search_matches_the_domain_rule_for_any_words(
    tmp_path: Path, subjects: list[str], data: st.DataObject
) -> None:
    path = tmp_path / f"{abs(hash(tuple(subjects)))}.db"
    mailbox = SqliteMailbox(path, "acct-words", address=OWNER, clock=lambda: NOW)
    other = SqliteMailbox(path, "acct-other", address=OWNER, clock=lambda: NOW)  # the same words elsewhere
    for n, subject in enumerate(subjects):
        for box in (mailbox, other):
            box.deliver(_raw(subject, f"body {n}", f"Sender {n} <s{n}@example.com>"), [INBOX])
    vocabulary = sorted({w for s in subjects for w in words(s)}) or ["nothing"]
    picked = data.draw(st.lists(st.sampled_from(vocabulary), min_size=1, max_size=3))
    phrase = " ".join(picked)
    for query in (picked[0], f'"{phrase}"', f"subject:({picked[0]})", f"-{picked[0]}", f"{picked[0]} OR body"):
        ids, total = _all_ids(mailbox, query)
        assert ids == _expected(mailbox, query), query
        assert total == len(ids), query
    mailbox.close()
    other.close()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> SqliteMailbox:
    path = tmp_path_factory.mktemp("index") / "demo.db"
    mailbox = SqliteMailbox(path, "acct-demo", address=OWNER, clock=lambda: NOW)
    messages = list(iter_demo_mailbox(NOW, OWNER, 260))
    mailbox.seed([(m.raw, m.system_labels, m.user_labels, m.internal_date) for m in messages])
    first = _unfiltered(mailbox)[:12]
    mailbox.modify_labels([m.id for m in first[:4]], add=[TRASH])
    mailbox.modify_labels([m.id for m in first[4:9]], add=[STARRED], remove=[UNREAD])
    return mailbox


QUERIES = [
    "",
    "from:bob",
    "from:alice OR from:dana",
    "label:Work is:unread",
    "invoice",
    '"project update"',
    "has:attachment newer_than:30d",
    "is:starred -is:unread",
    "in:trash",
    "in:anywhere invoice",
    "-label:Work",
    "category:promotions",
    "subject:(meeting) -from:me",
    "from:me",
    "to:me is:unread",
    "larger:20k",
]


@pytest.mark.parametrize("lookup_cost", [0.0, 6.0, 1e9])
def test_every_way_of_running_a_search_gives_the_same_answer(
    demo: SqliteMailbox, monkeypatch: pytest.MonkeyPatch, lookup_cost: float
) -> None:
    """0: always visit the driver's messages; 1e9: never; 6: the planner's own choice. All equal the rule."""
    monkeypatch.setattr(sqlite_mailbox, "_LOOKUP_COST", lookup_cost)
    for query in QUERIES:
        ids, total = _all_ids(demo, query)
        assert ids == _expected(demo, query), query
        assert total == len(ids), query
    for label in (INBOX, UNREAD):
        page = demo.search("", label_ids=[label], limit=500)
        assert page.result_size_estimate == len(page.messages) == len(_expected(demo, f"label:{label.lower()}"))


def test_the_counts_follow_every_change(tmp_path: Path) -> None:
    box = SqliteMailbox(tmp_path / "counts.db", "acct-c", address=OWNER, clock=lambda: NOW)
    ids = [box.deliver(_raw(f"note {n}", "text", "a@example.com"), [INBOX, UNREAD]) for n in range(6)]
    box.modify_labels(ids[:3], remove=[UNREAD], add=[STARRED])
    draft = box.create_draft(OutgoingMessage(subject="d"))
    box.delete_draft(draft.id)
    box.send(OutgoingMessage(to=(EmailAddress(address="b@example.com"),), subject="sent", text_body="x"))
    db = sqlite3.connect(tmp_path / "counts.db")
    counted = dict(db.execute("SELECT label_id, messages FROM mb_counts WHERE account = 'acct-c'").fetchall())
    real = dict(
        db.execute(
            "SELECT label_id, COUNT(*) FROM mb_message_labels WHERE account = 'acct-c' GROUP BY label_id"
        ).fetchall()
    )
    (messages,) = db.execute("SELECT COUNT(*) FROM mb_messages WHERE account = 'acct-c'").fetchone()
    assert counted.pop("*") == messages == 7
    assert {k: v for k, v in counted.items() if v} == real
    assert box.search("note", limit=10).result_size_estimate == 6
    assert box.search("is:starred", limit=10).result_size_estimate == 3


def test_a_file_from_before_the_index_is_upgraded_on_open(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    box = SqliteMailbox(path, "acct-old", address=OWNER, clock=lambda: NOW)
    for n, subject in enumerate(["Lisbon trip", "Invoice İstanbul", "straße plans"]):
        box.deliver(_raw(subject, f"body {n}", f"Ana Łopez <ana{n}@example.com>"), [INBOX])
    box.close()
    # What version 2 of the file held: no index, no counts, the token columns as `token_string` wrote them.
    db = sqlite3.connect(path)
    for name in ("mb_fts_insert", "mb_fts_delete", "mb_fts_update"):
        db.execute(f"DROP TRIGGER {name}")
    for name in ("mb_counts_message_in", "mb_counts_message_out", "mb_counts_label_in", "mb_counts_label_out"):
        db.execute(f"DROP TRIGGER {name}")
    db.execute("DROP TABLE mb_fts")
    db.execute("DROP TABLE mb_counts")
    for rowid, message_id in db.execute("SELECT rowid, id FROM mb_messages").fetchall():
        meta = db.execute("SELECT meta FROM mb_contents WHERE id = ?", (message_id,)).fetchone()[0]
        message = sqlite_mailbox._row_message((message_id, " INBOX ", meta))
        db.execute(
            "UPDATE mb_messages SET " + ", ".join(f"{f}_tokens = ?" for f in TEXT_FIELDS) + " WHERE rowid = ?",
            (*(token_string(message, f) for f in TEXT_FIELDS), rowid),
        )
    db.execute("PRAGMA user_version = 2")
    db.commit()
    db.close()
    box = SqliteMailbox(path, "acct-old", address=OWNER, clock=lambda: NOW)
    assert _all_ids(box, "lisbon")[1] == 1
    assert _all_ids(box, "istanbul")[0] == _expected(box, "istanbul")  # what `words` makes of İ, exactly
    assert _all_ids(box, "from:łopez")[1] == 3
    assert box.search("", limit=10).result_size_estimate == 3
    box.modify_labels([box.search("straße").messages[0].id], add=[TRASH])
    assert box.search("", limit=10).result_size_estimate == 2 and box.search("straße").result_size_estimate == 0


def test_old_messages_stay_searchable_after_the_index_was_rebuilt_twice(tmp_path: Path) -> None:
    path = tmp_path / "twice.db"
    box = SqliteMailbox(path, "acct-t", address=OWNER, clock=lambda: NOW - timedelta(days=1))
    box.deliver(_raw("quarterly report", "numbers", "c@example.com"), [INBOX])
    box.close()
    for _ in range(2):  # reopening never re-encodes or re-indexes a current file
        box = SqliteMailbox(path, "acct-t", address=OWNER, clock=lambda: NOW)
        assert box.search("quarterly").result_size_estimate == 1
        box.close()
