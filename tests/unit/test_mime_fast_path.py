"""domain.mime.build_and_parse: the plain-text fast path writes the bytes build_mime writes and reads back what
parse_mime reads from them, without the stdlib's MIME classes; every other message takes the stdlib's way."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.errors import ValidationFailed
from domain.mail import EmailAddress, OutgoingMessage
from domain.mime import _plain_fast_path, build_and_parse, build_mime, parse_mime
from tests.support.mail_strategies import addresses, message_ids, outgoing_messages, tricky_names

WHEN = datetime(2026, 12, 7, 18, 30, 5, tzinfo=UTC)
PROPERTY = settings(max_examples=300, deadline=None)

# ASCII as people type it, plus what sits on the fast path's edges: tabs, runs of spaces, "=?", CR, long lines
_ASCII = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,;:!?'\"()<>@-_=/\\"
ascii_lines = st.one_of(
    st.text(st.sampled_from(_ASCII), max_size=90),
    st.sampled_from(["", " ", "  two  spaces  ", "\ttab", "=?utf-8?q?x?=", "From me", ".", "x" * 78, "y" * 79]),
)
ascii_subjects = st.one_of(ascii_lines, st.text(st.sampled_from(_ASCII), min_size=60, max_size=75))
ascii_bodies = st.lists(ascii_lines, max_size=8).flatmap(
    lambda lines: st.sampled_from(["\n", "\r\n", "\r"]).map(lambda sep: sep.join(lines))
)
plain_messages = st.builds(
    OutgoingMessage,
    to=st.lists(addresses(tricky_names), min_size=1, max_size=3).map(tuple),
    cc=st.lists(addresses(), max_size=2).map(tuple),
    bcc=st.lists(addresses(), max_size=1).map(tuple),
    reply_to=st.lists(addresses(), max_size=1).map(tuple),
    from_=st.one_of(st.none(), addresses(tricky_names)),
    subject=ascii_subjects,
    text_body=ascii_bodies,
    in_reply_to=st.one_of(st.none(), message_ids),
    references=st.lists(message_ids, max_size=4).map(tuple),
)
dates = st.integers(-12 * 60, 14 * 60).map(lambda m: WHEN.astimezone(timezone(timedelta(minutes=m))))


def the_stdlib_way(message: OutgoingMessage, message_id: str, date: datetime) -> tuple[bytes, object]:
    raw = build_mime(message, message_id=message_id, date=date)
    return raw, parse_mime(raw)


@pytest.mark.property(2)
@PROPERTY
@given(message=st.one_of(plain_messages, outgoing_messages(tricky_names)), message_id=message_ids, date=dates)
def test_property_fast_path_gives_the_stdlib_bytes_and_parse(
    message: OutgoingMessage, message_id: str, date: datetime
) -> None:
    assert build_and_parse(message, message_id=message_id, date=date) == the_stdlib_way(message, message_id, date)


def test_the_usual_scheduled_mail_takes_the_fast_path() -> None:
    """Without this the property above could pass with the fast path never taken."""
    message = OutgoingMessage(
        from_=EmailAddress(address="me@example.com", name="Me, Myself"),
        to=(EmailAddress(address="friend1@example.com"), EmailAddress(address="b@example.org", name="Bé")),
        subject="Scheduled 1",
        text_body="See you soon.\n\nMe",
        references=("<a@x>", "<b@x>"),
        in_reply_to="<b@x>",
    )
    fast = _plain_fast_path(message, message_id="<m@example.com>", date=WHEN)
    assert fast is not None
    assert fast == the_stdlib_way(message, "<m@example.com>", WHEN)
    _raw, parsed = fast
    assert parsed.subject == "Scheduled 1" and parsed.text_body == "See you soon.\n\nMe\n"
    assert parsed.to[1] == EmailAddress(address="b@example.org", name="Bé")


@pytest.mark.parametrize(
    "message",
    [
        OutgoingMessage(to=(EmailAddress(address="a@b.co"),), subject="Grüße", text_body="x"),
        OutgoingMessage(to=(EmailAddress(address="a@b.co"),), subject="x", text_body="Grüße"),
        OutgoingMessage(to=(EmailAddress(address="a@b.co"),), subject="x", text_body="y" * 79),
        OutgoingMessage(to=(EmailAddress(address="a@b.co"),), subject="s" * 70, text_body="x"),
        OutgoingMessage(to=(EmailAddress(address="a@b.co"),), subject="x", text_body="x", html_body="<p>x</p>"),
    ],
)
def test_other_mail_takes_the_stdlib_way(message: OutgoingMessage) -> None:
    assert _plain_fast_path(message, message_id="<m@x>", date=WHEN) is None
    assert build_and_parse(message, message_id="<m@x>", date=WHEN) == the_stdlib_way(message, "<m@x>", WHEN)


def test_fast_path_refuses_what_build_mime_refuses() -> None:
    message = OutgoingMessage(to=(EmailAddress(address="a@b.co"),), subject="x", text_body="x")
    with pytest.raises(ValidationFailed):
        build_and_parse(message, message_id="<a@b>\r\nBcc: x@y.z", date=WHEN)
    with pytest.raises(ValidationFailed):
        build_and_parse(message, message_id="<a@b>", date=datetime(2026, 1, 1))  # naive on purpose
