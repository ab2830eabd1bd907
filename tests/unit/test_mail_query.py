"""domain.mail_query: Gmail search syntax, parsed and matched with Gmail's semantics."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.errors import ValidationFailed
from domain.mail import (
    CATEGORY_SOCIAL,
    IMPORTANT,
    INBOX,
    SENT,
    SPAM,
    STARRED,
    TRASH,
    UNREAD,
    Attachment,
    EmailAddress,
    Message,
)
from domain.mail_query import (
    MATCH_ALL,
    And,
    Not,
    Or,
    Term,
    matches,
    normalize_label_name,
    parse_query,
    phrase_key,
    scope_labels,
    token_string,
)

NOW = datetime(2025, 6, 15, 12, 0, tzinfo=UTC)
OWNER = "me@example.com"
LABELS = {"Label_1": "Work", "Label_2": "Projects/Offsite 2025", "Label_3": "later"}


def message(**fields: object) -> Message:
    base: dict[str, object] = {
        "id": "m1",
        "thread_id": "t1",
        "label_ids": frozenset({INBOX}),
        "subject": "Quarterly budget review",
        "from_": EmailAddress(address="alice.archer@example.com", name="Alice Archer"),
        "to": (EmailAddress(address=OWNER, name="Me"),),
        "cc": (EmailAddress(address="bob@example.org", name="Bob Baker"),),
        "bcc": (),
        "text_body": "Please bring the Q3 numbers. Meeting room 4, Tuesday.",
        "snippet": "Please bring the Q3 numbers.",
        "internal_date": NOW - timedelta(days=3),
        "size_estimate": 20_000,
        "message_id_header": "<abc123@example.com>",
    }
    base.update(fields)
    return Message(**base)  # type: ignore[arg-type]


def hit(query: str, msg: Message | None = None) -> bool:
    return matches(parse_query(query), msg or message(), NOW, label_names=LABELS, owner=OWNER)


# ---------------------------------------------------------------- parsing


def test_empty_query_matches_everything() -> None:
    assert parse_query("") == MATCH_ALL
    assert parse_query("   ") == MATCH_ALL
    assert hit("")


def test_parse_shapes() -> None:
    assert parse_query("from:alice") == Term("from", "alice")
    assert parse_query("FROM:Alice") == Term("from", "Alice")
    assert parse_query('"budget review"') == Term("text", "budget review", exact=True)
    assert parse_query("a b") == And((Term("text", "a"), Term("text", "b")))
    assert parse_query("a AND b") == And((Term("text", "a"), Term("text", "b")))
    assert parse_query("a OR b c") == And((Or((Term("text", "a"), Term("text", "b"))), Term("text", "c")))
    assert parse_query("-a") == Not(Term("text", "a"))
    assert parse_query("-(a OR b)") == Not(Or((Term("text", "a"), Term("text", "b"))))
    assert parse_query("{a b}") == Or((Term("text", "a"), Term("text", "b")))
    assert parse_query("subject:(a b)") == And((Term("subject", "a"), Term("subject", "b")))
    assert parse_query("subject:{a b}") == Or((Term("subject", "a"), Term("subject", "b")))
    assert parse_query('label:"My Label"') == Term("label", "my label", exact=True)
    assert parse_query("is:UNREAD") == Term("is", "unread")
    assert parse_query("re:hello") == Term("text", "re:hello")  # not an operator: free text
    assert parse_query("a - b") == And((Term("text", "a"), Term("text", "-"), Term("text", "b")))


@pytest.mark.parametrize(
    ("query", "fragment"),
    [
        ('"unclosed', "quote"),
        ("from:", "needs a value"),
        ("(a b", "missing ')'"),
        ("a)", "unexpected ')'"),
        ("{a b", "missing '}'"),
        ("OR a", "OR"),
        ("a OR", "OR"),
        ("a OR OR b", "OR"),
        ("is:bogus", "is:bogus"),
        ("has:drive", "has:drive"),
        ("category:stuff", "category:stuff"),
        ("after:yesterday", "not a date"),
        ("before:2025-02-30", "not a valid date"),
        ("older_than:3w", "7d"),
        ("newer_than:d", "7d"),
        ("larger:big", "size"),
        ("(" * 30 + "a" + ")" * 30, "nested"),
    ],
)
def test_invalid_syntax_is_a_clear_validation_error(query: str, fragment: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        parse_query(query)
    assert fragment in caught.value.message
    assert caught.value.message.startswith("Invalid search query")


def test_overlong_query_is_rejected() -> None:
    with pytest.raises(ValidationFailed):
        parse_query("a " * 1500)


@settings(max_examples=100, deadline=None)
@given(query=st.text(st.sampled_from('ab :-"(){}|ORANDfromis:unreadlabel'), max_size=40))
def test_property_parser_only_ever_raises_validation_failed(query: str) -> None:
    try:
        node = parse_query(query)
    except ValidationFailed:
        return
    matches(node, message(), NOW, label_names=LABELS, owner=OWNER)  # and what parses can be evaluated


# ---------------------------------------------------------------- matching, one operator at a time


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("from:alice", True),
        ("from:archer", True),
        ("from:alice.archer@example.com", True),
        ("from:example.com", True),
        ("from:bob", False),
        ("from:ali", False),  # whole words, like Gmail
        ("to:bob", True),  # to: covers cc
        ("cc:bob", True),
        ("cc:me", False),
        ("bcc:bob", False),
        ("to:me", True),
        ("from:me", False),
        ("subject:budget", True),
        ("subject:Budget", True),
        ("subject:numbers", False),
        ('subject:"budget review"', True),
        ('subject:"review budget"', False),
        ("numbers", True),
        ("NUMBERS", True),
        ("alice", True),
        ("bob", True),
        ("q3 tuesday", True),
        ('"q3 numbers"', True),
        ('"numbers q3"', False),
        ('"budget alice"', False),  # a phrase never spans two fields
        ("budget -numbers", False),
        ("missing", False),
        ("rfc822msgid:abc123@example.com", True),
        ("rfc822msgid:<ABC123@example.com>", True),
        ("rfc822msgid:other@example.com", False),
    ],
)
def test_text_operators(query: str, expected: bool) -> None:
    assert hit(query) is expected


def test_label_and_state_operators() -> None:
    msg = message(label_ids=frozenset({INBOX, UNREAD, STARRED, IMPORTANT, CATEGORY_SOCIAL, "Label_1", "Label_2"}))
    for query in [
        "is:unread",
        "is:starred",
        "is:important",
        "in:inbox",
        "label:inbox",
        "label:unread",
        "label:work",
        "label:WORK",
        "label:Label_1",
        "label:projects-offsite-2025",
        "label:projects/offsite-2025",
        'label:"Projects/Offsite 2025"',
        "in:work",
        "category:social",
        "has:userlabels",
        "in:anywhere",
    ]:
        assert hit(query, msg), query
    for query in ["is:read", "in:sent", "label:later", "label:nosuchlabel", "has:nouserlabels", "category:forums"]:
        assert not hit(query, msg), query
    assert hit("has:nouserlabels", message())
    assert hit("is:read", message())


def test_attachment_operators() -> None:
    with_pdf = message(
        attachments=(Attachment(id="2", filename="Invoice-2025.pdf", mime_type="application/pdf", size=9),)
    )
    inline_only = message(attachments=(Attachment(id="2", filename="", mime_type="image/png", size=9, inline=True),))
    assert hit("has:attachment", with_pdf)
    assert not hit("has:attachment", inline_only)
    assert not hit("has:attachment")
    assert hit("filename:pdf", with_pdf)
    assert hit("filename:invoice", with_pdf)
    assert hit("invoice", with_pdf)  # free text covers attachment names
    assert not hit("filename:csv", with_pdf)


@pytest.mark.parametrize(
    ("query", "days_ago", "expected"),
    [
        ("newer_than:2d", 1, True),
        ("newer_than:2d", 3, False),
        ("older_than:2d", 3, True),
        ("older_than:2d", 1, False),
        ("newer_than:1m", 29, True),
        ("newer_than:1m", 31, False),
        ("older_than:1y", 366, True),
        ("older_than:1y", 364, False),
        ("after:2025/06/10", 3, True),  # 2025-06-12
        ("after:2025-06-13", 3, False),
        ("after:2025/6/12", 3, True),  # the day itself counts
        ("before:2025/06/13", 3, True),
        ("before:2025/06/12", 3, False),
        ("newer:2025/06/01", 3, True),
        ("older:2025/06/01", 3, False),
        (f"after:{int((NOW - timedelta(days=4)).timestamp())}", 3, True),
        (f"before:{int((NOW - timedelta(days=4)).timestamp())}", 3, False),
    ],
)
def test_date_operators(query: str, days_ago: int, expected: bool) -> None:
    assert hit(query, message(internal_date=NOW - timedelta(days=days_ago))) is expected


def test_size_operators() -> None:
    assert hit("larger:10k")
    assert not hit("larger:1M")
    assert hit("smaller:1m")
    assert not hit("smaller:100")


def test_boolean_structure() -> None:
    assert hit("from:bob OR subject:budget")
    assert not hit("from:bob OR subject:travel")
    assert hit("{from:bob subject:budget}")
    assert hit("-(from:bob OR subject:travel)")
    assert hit("(from:alice OR from:bob) (subject:budget OR subject:travel) -is:unread")
    assert not hit("from:alice -(subject:budget)")
    assert hit("--from:alice")


# ---------------------------------------------------------------- trash and spam


def test_trash_and_spam_are_excluded_unless_asked_for() -> None:
    trashed = message(label_ids=frozenset({INBOX, TRASH}))
    spam = message(label_ids=frozenset({SPAM}))
    assert not hit("", trashed)
    assert not hit("budget", trashed)
    assert not hit("in:inbox", trashed)
    assert hit("in:trash", trashed)
    assert hit("label:trash budget", trashed)
    assert hit("in:anywhere budget", trashed)
    assert hit("in:trash OR is:starred", trashed)
    assert not hit("-in:trash", trashed)
    assert not hit("in:trash", spam)
    assert hit("in:spam", spam)
    assert hit("in:anywhere", spam)
    node = parse_query("")
    assert matches(node, trashed, NOW, scope_label_ids=[TRASH])
    assert scope_labels(parse_query("in:trash -in:spam")) == {TRASH}
    assert scope_labels(parse_query("in:anywhere")) == {TRASH, SPAM}


def test_sent_mail_is_searchable_and_from_me() -> None:
    sent = message(
        from_=EmailAddress(address=OWNER), to=(EmailAddress(address="carol@example.com"),), label_ids=frozenset({SENT})
    )
    assert hit("in:sent from:me", sent)
    assert hit("to:carol", sent)
    assert not hit("to:me", sent)


def test_helpers() -> None:
    assert normalize_label_name(" Projects/Offsite 2025 ") == "projects-offsite-2025"
    assert phrase_key("Budget  REVIEW!") == " budget review "
    assert phrase_key("!!") is None
    tokens = token_string(message(), "to")
    assert " me me example com " in tokens and " bob baker bob example org " in tokens
    assert "\x1f" in tokens  # recipients are kept apart
