"""A header value with a line break is refused with a sentence, whichever line break it is; one without any always
builds. Python's email code splits header values at more than CR and LF (U+0085, U+2028, form feed, ...): the
contract test once sent a subject with U+0085 that passed our check and then failed in the stdlib with its own
message ("Header values may not contain linefeed or carriage return characters")."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import ValidationFailed
from domain.mail import LINE_BREAKS, EmailAddress, OutgoingAttachment, OutgoingMessage, has_line_break
from domain.mime import build_mime, parse_mime
from entrypoints.http.mail_schemas import ONE_LINE

TO = (EmailAddress(address="bob@example.com"),)
WHEN = datetime(2026, 12, 7, 22, 0, tzinfo=UTC)


def test_line_breaks_are_exactly_what_python_splits_lines_at() -> None:
    splitting = {chr(c) for c in range(0x110000) if len(f"a{chr(c)}b".splitlines()) > 1}
    assert splitting == set(LINE_BREAKS)
    pattern = re.compile(ONE_LINE)  # the API schema's rule for header values says the same
    assert all(pattern.match(f"a{c}b") is None for c in LINE_BREAKS)
    assert pattern.match("Grüße – fine\tso far") is not None


@pytest.mark.parametrize("brk", list(LINE_BREAKS))
def test_a_subject_or_file_name_with_any_line_break_is_refused_with_a_sentence(brk: str) -> None:
    with pytest.raises(ValidationFailed, match="The subject must not contain line breaks"):
        build_mime(OutgoingMessage(to=TO, subject=f"Hi{brk}there", text_body="x"), message_id="<a@b>", date=WHEN)
    attachment = OutgoingAttachment(filename=f"a{brk}b.txt", mime_type="text/plain", content=b"x")
    with pytest.raises(ValidationFailed, match="The attachment filename must not contain line breaks"):
        build_mime(
            OutgoingMessage(to=TO, subject="Hi", text_body="x", attachments=(attachment,)),
            message_id="<a@b>",
            date=WHEN,
        )


# Text: any character but a lone surrogate (half of a UTF-16 pair, not text).
TEXT = st.characters(exclude_categories=("Cs",))


@given(
    subject=st.text(TEXT, max_size=120).filter(lambda s: not has_line_break(s)),
    filename=st.text(TEXT, min_size=1, max_size=60).filter(lambda s: not has_line_break(s)),
)
def test_a_subject_and_file_name_without_line_breaks_always_build(subject: str, filename: str) -> None:
    attachment = OutgoingAttachment(filename=filename, mime_type="text/plain", content=b"x")
    message = OutgoingMessage(to=TO, subject=subject, text_body="x", attachments=(attachment,))
    parsed = parse_mime(build_mime(message, message_id="<a@b>", date=WHEN))
    assert parsed.subject.split() == subject.split()  # folding may change the whitespace, never the words
