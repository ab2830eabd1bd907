"""domain.mime: every real-world sample parses, and what we build parses back to what we meant."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.errors import ValidationFailed
from domain.mail import EmailAddress, Message, OutgoingAttachment, OutgoingMessage
from domain.mime import (
    ParsedMessage,
    build_mime,
    deterministic_message_id,
    ensure_message_id,
    html_to_text,
    make_snippet,
    normalize_message_id,
    outgoing_from_parsed,
    parse_mime,
    reply_threading,
)
from tests.support.mail_strategies import bodies, outgoing_messages, subjects, tricky_names

SAMPLES = Path(__file__).resolve().parents[2].parent / "shared/data/mime"
SAMPLE_FILES = sorted(p for p in SAMPLES.rglob("*") if p.is_file())
MESSAGE_FILES = [p for p in SAMPLE_FILES if p.suffix in (".eml", ".txt") and p.name != "NOTICE.txt"]
WHEN = datetime(2025, 6, 15, 12, 30, tzinfo=UTC)
PROPERTY = settings(max_examples=100, deadline=None)


def ids(path: Path) -> str:
    return str(path.relative_to(SAMPLES))


def build(message: OutgoingMessage, message_id: str = "<t@mailagent.test>") -> bytes:
    return build_mime(message, message_id=message_id, date=WHEN)


def assert_clean_text(value: str) -> None:
    value.encode("utf-8")  # no lone surrogates: every string can be stored and sent as JSON


def assert_well_formed(parsed: ParsedMessage) -> None:
    for name, value in parsed.headers:
        assert "\n" not in value and "\r" not in value, name
        assert_clean_text(name)
        assert_clean_text(value)
    for text in (parsed.subject, parsed.text_body, parsed.html_body or ""):
        assert_clean_text(text)
    assert "\n" not in parsed.subject
    for address in (*parsed.to, *parsed.cc, *parsed.bcc, *parsed.reply_to, *([parsed.from_] if parsed.from_ else [])):
        assert_clean_text(address.name)
        assert_clean_text(address.address)
    assert parsed.date is None or parsed.date.tzinfo is not None
    for msgid in (parsed.message_id, parsed.in_reply_to, *parsed.references):
        assert msgid is None or (msgid.startswith("<") and msgid.endswith(">"))
    part_ids = [p.part_id for p in parsed.attachments]
    assert len(part_ids) == len(set(part_ids))
    for part in parsed.attachments:
        assert_clean_text(part.filename)
        assert part.size == len(part.content)
        assert "/" in part.mime_type
        assert part.content_id is None or not part.content_id.startswith("<")
    message = parsed.to_message(id="m1", thread_id="t1", label_ids=frozenset(), internal_date=WHEN, size_estimate=1)
    assert isinstance(message, Message)
    assert len(message.snippet) <= 200


# ---------------------------------------------------------------- every sample file


def test_the_sample_corpus_is_there() -> None:
    assert len(SAMPLE_FILES) >= 90, f"expected the shared MIME samples under {SAMPLES}"


@pytest.mark.parametrize("path", SAMPLE_FILES, ids=ids)
def test_every_sample_parses_without_errors(path: Path) -> None:
    parsed = parse_mime(path.read_bytes())
    assert_well_formed(parsed)
    if path in MESSAGE_FILES and path.read_bytes()[:1] not in (b" ", b"\t"):
        assert parsed.headers, "a message file yields headers"


@pytest.mark.parametrize("path", MESSAGE_FILES, ids=ids)
def test_sample_headers_are_sensible(path: Path) -> None:
    raw = path.read_bytes()
    parsed = parse_mime(raw)
    head = raw.split(b"\n\n", 1)[0].lower()
    if b"\nsubject:" in b"\n" + head and parsed.subject:
        assert "=?" not in parsed.subject or "?=" not in parsed.subject, "encoded words are decoded"
    if parsed.from_ is not None and parsed.from_.address:
        assert "@" in parsed.from_.address or parsed.from_.address.isalnum()
    if b"\ndate:" in b"\n" + head and parsed.date is not None:
        assert 1970 < parsed.date.year < 2100


EXPECTED = {
    "mimekit/japanese.txt": {"subject": "日本語メールテスト (testing Japanese emails)", "from": "x@x.com"},
    "flanker/bilingual-simple.eml": {"subject": "Simple text. How are you? Как ты поживаешь?"},
    "flanker/from-encoding.eml": {"from_name": "Ingo Lütkebohle"},
    "flanker/encoded-header.eml": {"from_name": "Foo, Bar", "from": "foo.bar@example.com"},
    "flanker/attached-pdf.eml": {"attachments": [("test.pdf", "application/pdf")]},
    "flanker/mailgun-pic.eml": {"attachments": [("mailgun.png", "image/png")], "html": True},
    "flanker/russian-attachment-yahoo.eml": {"attachment_prefix": "Картинка с очень"},
    "flanker/iphone.eml": {"attachments": [("photo.JPG", "image/jpeg")]},
    "cpython/msg_08.txt": {"subject": "Lyrics", "from": "barry@python.org"},
    "mimekit/simple-multipart.eml": {"attachments": [("attachment.txt", "application/octet-stream")]},
    "flanker/long-header.eml": {"subject_prefix": "Die heiße Zypernsonne quälte Max und Victoria"},
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_known_samples_decode_to_the_expected_values(name: str) -> None:
    parsed = parse_mime((SAMPLES / name).read_bytes())
    expected = EXPECTED[name]
    if "subject" in expected:
        assert parsed.subject == expected["subject"]
    if "subject_prefix" in expected:
        assert parsed.subject.startswith(str(expected["subject_prefix"]))
    if "from" in expected:
        assert parsed.from_ is not None and parsed.from_.address == expected["from"]
    if "from_name" in expected:
        assert parsed.from_ is not None and parsed.from_.name == expected["from_name"]
    if "attachments" in expected:
        assert [(p.filename, p.mime_type) for p in parsed.attachments] == expected["attachments"]
    if "attachment_prefix" in expected:
        assert parsed.attachments[0].filename.startswith(str(expected["attachment_prefix"]))
    if expected.get("html"):
        assert parsed.html_body
    assert parsed.text_body or parsed.html_body is not None or parsed.attachments


def test_pathological_nesting_is_bounded_and_fast() -> None:
    raw = (SAMPLES / "flanker/enclosed-endless.eml").read_bytes()
    start = datetime.now(UTC)
    parsed = parse_mime(raw)
    assert (datetime.now(UTC) - start) < timedelta(seconds=10)
    assert parsed.subject == "Wow"


# ---------------------------------------------------------------- never raises


@PROPERTY
@given(raw=st.binary(max_size=2000))
def test_parse_never_raises_on_arbitrary_bytes(raw: bytes) -> None:
    assert_well_formed(parse_mime(raw))


@PROPERTY
@given(
    index=st.integers(0, len(MESSAGE_FILES) - 1),
    cut=st.floats(0, 1),
    flips=st.lists(st.tuples(st.floats(0, 1), st.integers(0, 255)), max_size=8),
)
def test_parse_never_raises_on_damaged_real_mail(index: int, cut: float, flips: list[tuple[float, int]]) -> None:
    raw = bytearray(MESSAGE_FILES[index].read_bytes()[:20_000])
    raw = raw[: max(1, int(len(raw) * cut))]
    for where, byte in flips:
        raw[int(where * (len(raw) - 1))] = byte
    assert_well_formed(parse_mime(bytes(raw)))


# ---------------------------------------------------------------- building


def test_text_and_html_become_multipart_alternative_with_attachments() -> None:
    message = OutgoingMessage(
        from_=EmailAddress(address="me@example.com", name="Zoë Ångström"),
        to=(EmailAddress(address="a@example.com", name="Doe, John"),),
        cc=(EmailAddress(address="c@example.com"),),
        bcc=(EmailAddress(address="b@example.com"),),
        subject="Réunion — ordre du jour",
        text_body="Bonjour à tous,\nvoici l'ordre du jour.",
        html_body='<p>Bonjour à tous</p><img src="cid:logo@x">',
        attachments=(
            OutgoingAttachment(filename="ordre du jour é.pdf", mime_type="application/pdf", content=b"%PDF-1.4"),
            OutgoingAttachment(
                filename="logo.png", mime_type="image/png", content=b"\x89PNG", content_id="logo@x", inline=True
            ),
        ),
    )
    raw = build(message)
    assert raw.isascii(), "7bit-clean output"
    assert b"multipart/alternative" in raw and b"multipart/related" in raw and b"multipart/mixed" in raw
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")
    parsed = parse_mime(raw)
    assert parsed.subject == "Réunion — ordre du jour"
    assert parsed.from_ == EmailAddress(address="me@example.com", name="Zoë Ångström")
    assert parsed.to == (EmailAddress(address="a@example.com", name="Doe, John"),)
    assert [a.address for a in parsed.bcc] == ["b@example.com"]
    assert parsed.text_body.rstrip("\n") == message.text_body
    assert (parsed.html_body or "").rstrip("\n") == message.html_body
    assert parsed.date == WHEN
    by_name = {p.filename: p for p in parsed.attachments}
    assert by_name["ordre du jour é.pdf"].content == b"%PDF-1.4"
    assert not by_name["ordre du jour é.pdf"].inline
    assert by_name["logo.png"].content_id == "logo@x" and by_name["logo.png"].inline


def test_html_only_gets_a_text_alternative() -> None:
    parsed = parse_mime(
        build(OutgoingMessage(to=(EmailAddress(address="a@b.co"),), html_body="<h1>Hi</h1><p>A &amp; B</p>"))
    )
    assert parsed.html_body is not None
    assert parsed.text_body.strip() == "Hi\nA & B"


def test_reply_headers_round_trip() -> None:
    message = OutgoingMessage(
        to=(EmailAddress(address="a@b.co"),),
        subject="Re: plan",
        in_reply_to="<two@x>",
        references=("<one@x>", "two@x"),
    )
    parsed = parse_mime(build(message, message_id="<three@x>"))
    assert parsed.message_id == "<three@x>"
    assert parsed.in_reply_to == "<two@x>"
    assert parsed.references == ("<one@x>", "<two@x>")


def test_reply_threading_extends_the_chain() -> None:
    original = Message(id="m", thread_id="t", message_id_header="<b@x>", references=("<a@x>",))
    assert reply_threading(original) == ("<b@x>", ("<a@x>", "<b@x>"))
    assert reply_threading(Message(id="m", thread_id="t")) == (None, ())


def test_building_is_deterministic() -> None:
    message = OutgoingMessage(
        to=(EmailAddress(address="a@b.co"),),
        text_body="x",
        html_body="<p>x</p>",
        attachments=(OutgoingAttachment(filename="a.txt", mime_type="text/plain", content=b"a"),),
    )
    assert build(message) == build(message)


def test_deterministic_message_id() -> None:
    first = deterministic_message_id("send-123", "example.com")
    assert first == deterministic_message_id("send-123", "example.com")
    assert first != deterministic_message_id("send-124", "example.com")
    assert first.startswith("<") and first.endswith("@example.com>")
    assert deterministic_message_id("x", "").endswith("@mailagent.local>")
    with pytest.raises(ValidationFailed):
        deterministic_message_id("x", "bad domain>\r\n")


def test_ensure_message_id_keeps_or_derives() -> None:
    plain = OutgoingMessage(to=(EmailAddress(address="a@b.co"),))
    assert ensure_message_id(plain, sender="me@example.org", seed="s").message_id == deterministic_message_id(
        "s", "example.org"
    )
    kept = OutgoingMessage(to=(EmailAddress(address="a@b.co"),), message_id="abc@x")
    assert ensure_message_id(kept, sender="me@example.org").message_id == "<abc@x>"
    assert normalize_message_id(" <abc@x> ") == "<abc@x>"


@pytest.mark.parametrize(
    "make",
    [
        lambda: OutgoingMessage(subject="a\nb"),
        lambda: OutgoingMessage(subject="a\rBcc: x@y.z"),
        lambda: OutgoingMessage(to=(EmailAddress(address="a@b.co", name="A\nB"),)),
        lambda: OutgoingMessage(to=(EmailAddress(address="a@b.co\r\nBcc: x@y.z"),)),
        lambda: OutgoingMessage(from_=EmailAddress(address="a@b.co\n")),
        lambda: OutgoingMessage(in_reply_to="<a@b>\r\nX: y"),
        lambda: OutgoingMessage(references=("<a@b>\nX: y",)),
        lambda: OutgoingMessage(message_id="<a@b>\nX: y"),
        lambda: OutgoingMessage(
            attachments=(OutgoingAttachment(filename="a\r\n.txt", mime_type="text/plain", content=b""),)
        ),
        lambda: OutgoingMessage(attachments=(OutgoingAttachment(filename="a", mime_type="nonsense", content=b""),)),
        lambda: OutgoingMessage(to=(EmailAddress(address="no-at-sign"),)),
        lambda: OutgoingMessage(to=(EmailAddress(address="two words@example.com"),)),
    ],
)
def test_header_injection_is_rejected(make: object) -> None:
    with pytest.raises(ValidationFailed):
        make()  # type: ignore[operator]


def test_build_rejects_naive_dates_and_bad_message_ids() -> None:
    message = OutgoingMessage(to=(EmailAddress(address="a@b.co"),))
    with pytest.raises(ValidationFailed):
        build_mime(message, message_id="<a@b>", date=datetime(2025, 1, 1))
    with pytest.raises(ValidationFailed):
        build_mime(message, message_id="<a@b>\r\nX: y", date=WHEN)


def test_html_to_text_and_snippet() -> None:
    markup = "<html><head><style>p{}</style><script>alert(1)</script></head><body><p>One&nbsp;two</p>"
    markup += "<table><tr><td>a</td><td>b</td></tr></table><!-- hidden --><br>three</body></html>"
    assert html_to_text(markup) == "One two\na b\n\nthree"
    assert "alert" not in html_to_text(markup)
    assert make_snippet("  a\n\n b  " + "x" * 300) == ("a b " + "x" * 300)[:200]


# ---------------------------------------------------------------- round-trip properties


@pytest.mark.property(2)
@PROPERTY
@given(message=outgoing_messages(tricky_names, with_inline=True))
def test_property_build_then_parse_round_trips(message: OutgoingMessage) -> None:
    sender = EmailAddress(address="me@example.com", name="Mé")
    message_id = message.message_id or deterministic_message_id("p", "example.com")
    raw = build_mime(OutgoingMessage(**{**message.__dict__, "from_": sender}), message_id=message_id, date=WHEN)
    assert raw.isascii()
    parsed = parse_mime(raw)
    assert parsed.subject == message.subject.strip()
    assert parsed.from_ == sender
    for got, sent in ((parsed.to, message.to), (parsed.cc, message.cc), (parsed.bcc, message.bcc)):
        assert [(a.name, a.address) for a in got] == [(a.name, a.address) for a in sent]
    expected_text = message.text_body or html_to_text(message.html_body or "")
    assert parsed.text_body.rstrip("\n") == expected_text.rstrip("\n")
    assert (parsed.html_body or "").rstrip("\n") == (message.html_body or "").rstrip("\n")
    if message.html_body is None:
        assert parsed.html_body is None
    assert parsed.message_id == normalize_message_id(message_id)
    assert parsed.in_reply_to == message.in_reply_to
    assert parsed.references == message.references
    assert parsed.date == WHEN
    expected_parts = sorted((a.filename, a.mime_type, a.content, a.inline) for a in message.attachments)
    got_parts = sorted((p.filename, p.mime_type, p.content, p.inline) for p in parsed.attachments)
    assert got_parts == expected_parts
    # what we parse can be built again into the same content
    again = parse_mime(build_mime(outgoing_from_parsed(parsed), message_id=message_id, date=WHEN))
    assert (again.subject, again.to, again.text_body, again.html_body) == (
        parsed.subject,
        parsed.to,
        parsed.text_body,
        parsed.html_body,
    )


@pytest.mark.property(2)
@PROPERTY
@given(subject=subjects, body=bodies, offset_minutes=st.integers(-12 * 60, 14 * 60))
def test_property_dates_subjects_and_bodies_survive(subject: str, body: str, offset_minutes: int) -> None:
    when = datetime(2024, 2, 29, 23, 59, 59, tzinfo=timezone(timedelta(minutes=offset_minutes)))
    raw = build_mime(
        OutgoingMessage(to=(EmailAddress(address="a@b.co"),), subject=subject, text_body=body),
        message_id="<d@x>",
        date=when,
    )
    parsed = parse_mime(raw)
    assert parsed.date == when
    assert parsed.subject == subject
    assert parsed.text_body.rstrip("\n") == body.rstrip("\n")
