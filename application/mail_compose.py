"""What a person writes (recipients as text, subject, bodies, files) turned into a checked OutgoingMessage."""

from __future__ import annotations

from dataclasses import dataclass, field

from application.ports.html_sanitizer import HtmlSanitizer
from domain.attachments import MAX_ATTACHMENT_BYTES as ATTACHMENT_LIMIT
from domain.attachments import too_large
from domain.errors import ValidationFailed
from domain.mail import EmailAddress, Message, OutgoingAttachment, OutgoingMessage

MAX_RECIPIENTS = 100
MAX_ATTACHMENT_BYTES = ATTACHMENT_LIMIT  # per message, all attachments together (domain.attachments)
MAX_SUBJECT = 998
MAX_BODY_CHARS = 2_000_000


@dataclass(frozen=True)
class Compose:
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    bcc: tuple[str, ...] = ()
    subject: str = ""
    text_body: str = ""
    html_body: str | None = None
    attachments: tuple[OutgoingAttachment, ...] = field(default_factory=tuple)
    # Uploads (POST /attachments/upload) by id; OutgoingAttachments.collect turns them into `attachments`.
    attachment_ids: tuple[str, ...] = ()


def _addresses(values: tuple[str, ...], what: str) -> tuple[EmailAddress, ...]:
    parsed = tuple(EmailAddress.parse(v) for v in values if v.strip())
    for address in parsed:
        address.validate(what)
    return parsed


def to_outgoing(
    compose: Compose,
    *,
    sender: EmailAddress,
    sanitizer: HtmlSanitizer,
    in_reply_to: str | None = None,
    references: tuple[str, ...] = (),
    thread_id: str | None = None,
    message_id: str | None = None,
) -> OutgoingMessage:
    to, cc, bcc = _addresses(compose.to, "to"), _addresses(compose.cc, "cc"), _addresses(compose.bcc, "bcc")
    if len(to) + len(cc) + len(bcc) > MAX_RECIPIENTS:
        raise ValidationFailed(f"At most {MAX_RECIPIENTS} recipients per message.", details=[{"field": "to"}])
    if len(compose.subject) > MAX_SUBJECT:
        raise ValidationFailed(f"The subject is longer than {MAX_SUBJECT} characters.", details=[{"field": "subject"}])
    if len(compose.text_body) + len(compose.html_body or "") > MAX_BODY_CHARS:
        raise ValidationFailed("The message body is too large.", details=[{"field": "text_body"}])
    if compose.attachment_ids:
        raise ValidationFailed(
            "Attachments by id are not resolved here.", details=[{"field": "attachment_ids"}]
        )  # a use case forgot OutgoingAttachments.collect: never send without them
    if sum(a.size for a in compose.attachments) > MAX_ATTACHMENT_BYTES:
        raise too_large("Together, the attachments are", "attachments")
    return OutgoingMessage(
        to=to,
        cc=cc,
        bcc=bcc,
        subject=compose.subject,
        text_body=compose.text_body,
        html_body=sanitizer.sanitize(compose.html_body) if compose.html_body else None,
        attachments=compose.attachments,
        from_=sender,
        in_reply_to=in_reply_to,
        references=references,
        thread_id=thread_id,
        message_id=message_id,
    )


@dataclass(frozen=True)
class ReadableMessage:
    """A message as shown to a person: the raw text body beside HTML that is safe to render."""

    message: Message
    safe_html: str | None


def readable(message: Message, sanitizer: HtmlSanitizer) -> ReadableMessage:
    return ReadableMessage(message, sanitizer.sanitize(message.html_body) if message.html_body else None)
