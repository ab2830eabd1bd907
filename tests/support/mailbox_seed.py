"""Seeding a Mailbox under test: the `MailboxSeeder` each adapter's harness implements; raw-mail builders."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Protocol

from domain.mail import EmailAddress, OutgoingAttachment, OutgoingMessage
from domain.mime import build_mime, deterministic_message_id

OWNER = "owner@mailagent.test"


class MailboxSeeder(Protocol):
    """Puts a received message into the mailbox under test, as Gmail's `messages.insert` would
    (internalDateSource=dateHeader: the internal date is the Date header). Returns the provider's id.

    InMemoryMailbox and SqliteMailbox implement it with their `deliver` method; a Gmail fake server's harness
    implements it by storing the message in the fake (or calling `messages.insert` on it)."""

    def deliver(self, raw_mime: bytes, label_ids: Sequence[str], /) -> str: ...


class FakeClock:
    """A settable clock: adapters take it as their `clock` callable."""

    def __init__(self, now: datetime | None = None) -> None:
        self.now = now or datetime(2025, 6, 15, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


def incoming_raw(
    *,
    sender: EmailAddress,
    to: Sequence[EmailAddress] = (EmailAddress(address=OWNER),),
    cc: Sequence[EmailAddress] = (),
    reply_to: Sequence[EmailAddress] = (),
    subject: str = "",
    text: str = "",
    html: str | None = None,
    attachments: Sequence[OutgoingAttachment] = (),
    date: datetime,
    message_id: str | None = None,
    in_reply_to: str | None = None,
    references: Sequence[str] = (),
) -> bytes:
    """RFC 5322 bytes of a message someone sent to the owner."""
    message = OutgoingMessage(
        from_=sender,
        to=tuple(to),
        cc=tuple(cc),
        reply_to=tuple(reply_to),
        subject=subject,
        text_body=text,
        html_body=html,
        attachments=tuple(attachments),
        in_reply_to=in_reply_to,
        references=tuple(references),
    )
    seed = message_id or uuid.uuid4().hex
    return build_mime(message, message_id=message_id or deterministic_message_id(seed, "sender.test"), date=date)
