"""Hypothesis strategies for mail: addresses, subjects, bodies and outgoing messages, non-ASCII included."""

from __future__ import annotations

from hypothesis import strategies as st

from domain.mail import EmailAddress, OutgoingAttachment, OutgoingMessage
from domain.mime import deterministic_message_id

# Explicit alphabets (fast to draw): ASCII plus Latin accents, Cyrillic, Greek, CJK, Hebrew/Arabic (RTL),
# an astral-plane emoji and a combining mark, so encoders meet multi-byte and right-to-left text.
_NON_ASCII = "éüßøñçÅŁЖдλΩ中文日本語한国עבריתعربي😀𝄞\u0301ﬁ"
_ASCII_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
letters = st.sampled_from(_ASCII_LETTERS + _NON_ASCII)
# what a person can type on one line: letters, digits, punctuation, symbols, spaces (no control characters)
text_chars = st.one_of(letters, st.sampled_from(" .,;:!?'\"()[]{}<>@#$%^&*-_=+/\\|~`€£\u00a0\u2009"))
names = st.lists(st.text(letters, min_size=1, max_size=8), min_size=0, max_size=3).map(" ".join)
# display names with the characters that need quoting or escaping in a header
tricky_names = st.lists(
    st.text(st.one_of(letters, st.sampled_from(list(",.'\"()@;:<>[]\\-_!?&"))), min_size=1, max_size=8),
    min_size=0,
    max_size=3,
).map(" ".join)
_ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789"
local_parts = st.builds(
    lambda head, middle, tail: head + middle + tail,
    st.sampled_from(_ALNUM),
    st.lists(st.sampled_from(_ALNUM + "._+-"), max_size=8).map("".join).filter(lambda s: ".." not in s),
    st.sampled_from(_ALNUM),
).filter(lambda s: ".." not in s)
domains = st.builds(
    lambda label, tld: f"{label}.{tld}",
    st.text(st.sampled_from(_ALNUM), min_size=1, max_size=8),
    st.sampled_from(["com", "org", "net", "de"]),
)


def addresses(name_strategy: st.SearchStrategy[str] = names) -> st.SearchStrategy[EmailAddress]:
    return st.builds(
        lambda name, local, domain: EmailAddress(address=f"{local}@{domain}", name=name),
        name_strategy,
        local_parts,
        domains,
    )


subjects = st.text(text_chars, max_size=120).map(str.strip)
bodies = st.lists(st.text(text_chars, max_size=60), max_size=6).map("\n".join)
filenames = st.builds(
    lambda stem, ext: f"{stem}.{ext}",
    st.text(letters, min_size=1, max_size=20),
    st.sampled_from(["pdf", "csv", "png", "txt", "bin"]),
)
attachments = st.builds(
    OutgoingAttachment,
    filename=filenames,
    mime_type=st.sampled_from(["application/pdf", "text/csv", "image/png", "text/plain", "application/octet-stream"]),
    content=st.binary(max_size=1500),
)
inline_images = st.builds(
    OutgoingAttachment,
    filename=filenames,
    mime_type=st.just("image/png"),
    content=st.binary(min_size=1, max_size=500),
    content_id=st.integers(0, 9999).map(lambda n: f"img{n}@mailagent.test"),
    inline=st.just(True),
)
message_ids = st.text(letters, min_size=1, max_size=10).map(lambda s: deterministic_message_id(s))


def outgoing_messages(
    name_strategy: st.SearchStrategy[str] = names, *, with_inline: bool = False
) -> st.SearchStrategy[OutgoingMessage]:
    parts = st.one_of(attachments, inline_images) if with_inline else attachments
    return st.builds(
        OutgoingMessage,
        to=st.lists(addresses(name_strategy), min_size=1, max_size=3).map(tuple),
        cc=st.lists(addresses(name_strategy), max_size=2).map(tuple),
        bcc=st.lists(addresses(name_strategy), max_size=2).map(tuple),
        subject=subjects,
        text_body=bodies,
        html_body=st.one_of(st.none(), bodies.map(lambda b: f"<p>{b.replace('&', '&amp;').replace('<', '&lt;')}</p>")),
        attachments=st.lists(parts, max_size=3, unique_by=lambda a: a.content_id or id(a)).map(tuple),
        in_reply_to=st.one_of(st.none(), message_ids),
        references=st.lists(message_ids, max_size=3).map(tuple),
        message_id=st.one_of(st.none(), message_ids),
    )
