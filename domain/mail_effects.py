"""The mail effects an approval can bind to: a message to send (new, a draft, a reply, a forward), one to schedule, a
scheduled one to cancel, a label change on exact messages (trash, archive, read state, labels), and a draft to save.

Each is fully resolved when it is held: recipients after Reply-To and reply-all, bodies, attachments by size and
SHA-256 with the reference the send reads their bytes from, threading headers, the instant and zone of a schedule,
the exact message ids with their subjects and senders."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar

from domain.approval import Card, CardAttachment, CardItem, Effect, Recipient, RecipientFlag, register_effect
from domain.errors import ValidationFailed
from domain.mail import EmailAddress, OutgoingAttachment, OutgoingMessage
from domain.scheduled_email import zone_for_label


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _address_dict(a: EmailAddress) -> dict[str, str]:
    return {"address": a.address, "name": a.name}


def _address(raw: Mapping[str, Any]) -> EmailAddress:
    return EmailAddress(address=str(raw["address"]), name=str(raw.get("name") or ""))


# ---- attachments --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AttachmentSource:
    """Where the send reads an attachment's bytes; they must still hash to the frozen SHA-256 or nothing is sent.

    Kinds: `mail_part` — a MIME part of a message in the same mailbox (ref: message_id, part_id). Further kinds
    (e.g. `blob`: an uploaded file in the BlobStore, ref: blob_id) are added by registering a reader for the kind
    in application/agent/effects/attachments.py; the snapshot itself does not change shape."""

    kind: str
    ref: Mapping[str, str]

    MAIL_PART: ClassVar[str] = "mail_part"
    UPLOAD: ClassVar[str] = "upload"  # a file the user uploaded (attachments context), read from the blob store

    @classmethod
    def mail_part(cls, message_id: str, part_id: str) -> AttachmentSource:
        return cls(cls.MAIL_PART, {"message_id": message_id, "part_id": part_id})

    @classmethod
    def upload(cls, upload_id: str, blob_key: str, filename: str) -> AttachmentSource:
        return cls(cls.UPLOAD, {"upload_id": upload_id, "blob_key": blob_key, "filename": filename})

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "ref": dict(self.ref)}

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> AttachmentSource:
        return cls(str(raw["kind"]), {str(k): str(v) for k, v in dict(raw["ref"]).items()})


@dataclass(frozen=True)
class FrozenAttachment:
    filename: str
    mime_type: str
    size: int
    sha256: str
    source: AttachmentSource
    content_id: str | None = None
    inline: bool = False

    def content(self) -> dict[str, Any]:
        """What the recipients get (the source is only where the bytes are read from)."""
        return {
            "filename": self.filename,
            "mime_type": self.mime_type,
            "size": self.size,
            "sha256": self.sha256,
            "content_id": self.content_id,
            "inline": self.inline,
        }

    def to_dict(self) -> dict[str, Any]:
        return {**self.content(), "source": self.source.to_dict()}

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> FrozenAttachment:
        return cls(
            filename=str(raw["filename"]),
            mime_type=str(raw["mime_type"]),
            size=int(raw["size"]),
            sha256=str(raw["sha256"]),
            source=AttachmentSource.from_dict(raw["source"]),
            content_id=raw.get("content_id"),
            inline=bool(raw.get("inline")),
        )

    @classmethod
    def of(cls, a: OutgoingAttachment, source: AttachmentSource) -> FrozenAttachment:
        return cls(a.filename, a.mime_type, a.size, sha256_hex(a.content), source, a.content_id, a.inline)

    def matches(self, data: bytes) -> bool:
        return len(data) == self.size and sha256_hex(data) == self.sha256

    def card(self) -> CardAttachment:
        return CardAttachment(self.filename, self.mime_type, self.size, self.sha256)


# ---- sending a message ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MailOrigin:
    """What the message was made from, to explain it on the card (not part of what is hashed)."""

    action: str  # new | draft | reply | reply_all | forward
    message_id: str | None = None  # the provider id of the mail replied to or forwarded
    subject: str = ""
    sender: str = ""  # its From, as shown to people
    reply_to: str = ""  # its Reply-To, when it had one
    draft_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "message_id": self.message_id,
            "subject": self.subject,
            "sender": self.sender,
            "reply_to": self.reply_to,
            "draft_id": self.draft_id,
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> MailOrigin:
        return cls(
            action=str(raw["action"]),
            message_id=raw.get("message_id"),
            subject=str(raw.get("subject") or ""),
            sender=str(raw.get("sender") or ""),
            reply_to=str(raw.get("reply_to") or ""),
            draft_id=raw.get("draft_id"),
        )


def _quoted(subject: str) -> str:
    return f"'{subject or '(no subject)'}'"


@register_effect
@dataclass(frozen=True)
class MailEffect(Effect):
    """One message, exactly as it will be sent from `account_id`."""

    kind: ClassVar[str] = "mail.send"
    account_id: str
    sender: EmailAddress
    people: tuple[Recipient, ...]
    subject: str
    text_body: str
    message_id: str  # the Message-ID header: deterministic, so a retried send finds the first one
    origin: MailOrigin
    html_body: str | None = None
    attachments: tuple[FrozenAttachment, ...] = ()
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    thread_id: str | None = None

    def __post_init__(self) -> None:
        if not self.people:
            raise ValidationFailed("A message needs at least one recipient (to, cc or bcc).")

    def content(self) -> dict[str, Any]:
        return {
            "account_id": self.account_id,
            "from": _address_dict(self.sender),
            "recipients": [r.content() for r in self.people],
            "subject": self.subject,
            "text_body": self.text_body,
            "html_body": self.html_body,
            "attachments": [a.content() for a in self.attachments],
            "message_id": self.message_id,
            "in_reply_to": self.in_reply_to,
            "references": list(self.references),
            "thread_id": self.thread_id,
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.content(),
            "recipients": [r.to_dict() for r in self.people],
            "attachments": [a.to_dict() for a in self.attachments],
            "origin": self.origin.to_dict(),
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> MailEffect:
        return cls(
            account_id=str(raw["account_id"]),
            sender=_address(raw["from"]),
            people=tuple(Recipient.from_dict(r) for r in raw["recipients"]),
            subject=str(raw.get("subject") or ""),
            text_body=str(raw.get("text_body") or ""),
            html_body=raw.get("html_body"),
            attachments=tuple(FrozenAttachment.from_dict(a) for a in raw.get("attachments") or ()),
            message_id=str(raw["message_id"]),
            in_reply_to=raw.get("in_reply_to"),
            references=tuple(str(r) for r in raw.get("references") or ()),
            thread_id=raw.get("thread_id"),
            origin=MailOrigin.from_dict(raw["origin"]),
        )

    def recipients(self) -> tuple[Recipient, ...]:
        return self.people

    def group(self, field_name: str) -> tuple[EmailAddress, ...]:
        return tuple(r.email for r in self.people if r.field == field_name)

    def outgoing(self, contents: Sequence[bytes] = ()) -> OutgoingMessage:
        """The message to hand to the mailbox; `contents` are the attachments' bytes in order, each checked against
        its frozen size and SHA-256."""
        if len(contents) != len(self.attachments):
            raise ValidationFailed("Every attachment's content is needed to send this message.")
        files = []
        for frozen, data in zip(self.attachments, contents, strict=True):
            if not frozen.matches(data):
                raise ValidationFailed(
                    f"The attachment {frozen.filename!r} changed after this was prepared; nothing was sent."
                )
            files.append(
                OutgoingAttachment(
                    filename=frozen.filename,
                    mime_type=frozen.mime_type,
                    content=data,
                    content_id=frozen.content_id,
                    inline=frozen.inline,
                )
            )
        return OutgoingMessage(
            to=self.group("to"),
            cc=self.group("cc"),
            bcc=self.group("bcc"),
            subject=self.subject,
            text_body=self.text_body,
            html_body=self.html_body,
            attachments=tuple(files),
            in_reply_to=self.in_reply_to,
            references=self.references,
            thread_id=self.thread_id,
            from_=self.sender,
            message_id=self.message_id,
        )

    def title(self) -> str:
        o = self.origin
        original = f"{_quoted(o.subject)} from {o.sender or 'unknown'}"
        match o.action:
            case "reply":
                return f"Reply to {original}"
            case "reply_all":
                return f"Reply to all on {original}"
            case "forward":
                return f"Forward {original}"
            case "draft":
                return f"Send the draft {_quoted(self.subject)}"
        return f"Send an email: {_quoted(self.subject)}"

    def card(self) -> Card:
        fields: list[tuple[str, str]] = [("From", str(self.sender)), ("Subject", self.subject or "(no subject)")]
        notes: list[str] = []
        o = self.origin
        if o.action in ("reply", "reply_all", "forward"):
            fields.append(("Original", f"{_quoted(o.subject)} from {o.sender or 'unknown'}"))
        if o.reply_to and o.action in ("reply", "reply_all"):
            fields.append(("Its Reply-To", o.reply_to))
            if any(RecipientFlag.REPLY_TO in r.flags for r in self.people):
                notes.append(
                    f"The mail you are replying to asks for answers to go to {o.reply_to} (its Reply-To), "
                    f"not to its sender {o.sender or 'unknown'}."
                )
        if self.group("bcc"):
            notes.append("Bcc recipients get the message without the others seeing them.")
        return Card(
            title=self.title(),
            recipients=self.people,
            fields=tuple(fields),
            body=self.text_body,
            html_body=self.html_body,
            attachments=tuple(a.card() for a in self.attachments),
            notes=tuple(notes),
        )


def _utc_iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat()


@register_effect
@dataclass(frozen=True)
class ScheduledMailEffect(Effect):
    """A message to send at an exact instant (UTC), shown in the zone the person gave."""

    kind: ClassVar[str] = "mail.schedule"
    mail: MailEffect
    send_at: datetime  # aware
    timezone: str
    adjustment: str | None = None  # how a DST gap or overlap was resolved

    def __post_init__(self) -> None:
        if self.send_at.utcoffset() is None:
            raise ValidationFailed("The time to send at must carry a timezone.")

    def content(self) -> dict[str, Any]:
        return {**self.mail.content(), "send_at": _utc_iso(self.send_at), "timezone": self.timezone}

    def to_dict(self) -> dict[str, Any]:
        return {
            "mail": self.mail.to_dict(),
            "send_at": _utc_iso(self.send_at),
            "timezone": self.timezone,
            "adjustment": self.adjustment,
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> ScheduledMailEffect:
        return cls(
            mail=MailEffect.from_dict(raw["mail"]),
            send_at=datetime.fromisoformat(str(raw["send_at"])),
            timezone=str(raw["timezone"]),
            adjustment=raw.get("adjustment"),
        )

    def recipients(self) -> tuple[Recipient, ...]:
        return self.mail.people

    @property
    def local(self) -> datetime:
        return self.send_at.astimezone(zone_for_label(self.timezone))

    def when_text(self) -> str:
        return f"{self.local:%a %d %b %Y, %H:%M} {self.timezone} ({self.send_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC)"

    def card(self) -> Card:
        base = self.mail.card()
        notes = (*base.notes, self.adjustment) if self.adjustment else base.notes
        return Card(
            title=f"Schedule an email {_quoted(self.mail.subject)} for {self.local:%a %d %b %Y, %H:%M} {self.timezone}",
            recipients=base.recipients,
            fields=(("Send at", self.when_text()), *base.fields),
            body=base.body,
            html_body=base.html_body,
            attachments=base.attachments,
            notes=tuple(notes),
        )


@register_effect
@dataclass(frozen=True)
class CancelScheduledEffect(Effect):
    kind: ClassVar[str] = "mail.cancel_scheduled"
    scheduled_id: str
    subject: str
    to: tuple[str, ...]
    send_at: datetime
    timezone: str

    def content(self) -> dict[str, Any]:
        return {"scheduled_id": self.scheduled_id}

    def to_dict(self) -> dict[str, Any]:
        return {
            "scheduled_id": self.scheduled_id,
            "subject": self.subject,
            "to": list(self.to),
            "send_at": _utc_iso(self.send_at),
            "timezone": self.timezone,
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> CancelScheduledEffect:
        return cls(
            str(raw["scheduled_id"]),
            str(raw.get("subject") or ""),
            tuple(str(a) for a in raw.get("to") or ()),
            datetime.fromisoformat(str(raw["send_at"])),
            str(raw.get("timezone") or "UTC"),
        )

    def card(self) -> Card:
        local = self.send_at.astimezone(zone_for_label(self.timezone))
        return Card(
            title=f"Cancel the scheduled email {_quoted(self.subject)}",
            fields=(
                ("To", ", ".join(self.to) or "(nobody)"),
                ("Was due", f"{local:%a %d %b %Y, %H:%M} {self.timezone}"),
            ),
            notes=("It will not be sent.",),
        )


# ---- changes on exact messages ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class MessageRef:
    id: str
    subject: str = ""
    sender: str = ""
    date: str = ""  # ISO date it arrived: tells two mails with one subject apart on a card (ids never show)

    def to_dict(self) -> dict[str, str]:
        out = {"id": self.id, "subject": self.subject, "sender": self.sender}
        return {**out, "date": self.date} if self.date else out

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> MessageRef:
        return cls(
            str(raw["id"]), str(raw.get("subject") or ""), str(raw.get("sender") or ""), str(raw.get("date") or "")
        )

    def detail(self) -> str:
        when = ""
        if self.date:
            try:
                when = f" · {datetime.fromisoformat(self.date):%a %d %b %Y}"
            except ValueError:
                when = ""
        return f"from {self.sender or 'unknown'}{when}"


LABEL_VERBS = ("trash", "spam", "archive", "mark_read", "mark_unread", "apply_label", "remove_label")


@register_effect
@dataclass(frozen=True)
class LabelChangeEffect(Effect):
    """Labels added and removed on exact messages (trash, spam, archive, read state and labels are all this)."""

    kind: ClassVar[str] = "mail.labels"
    account_id: str
    verb: str
    messages: tuple[MessageRef, ...]
    add: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()
    label_name: str = ""  # the label as the person knows it, for apply_label / remove_label

    def __post_init__(self) -> None:
        if self.verb not in LABEL_VERBS:
            raise ValidationFailed(f"Unknown label change {self.verb!r}.")

    def content(self) -> dict[str, Any]:
        return {
            "account_id": self.account_id,
            "message_ids": sorted(m.id for m in self.messages),
            "add": sorted(self.add),
            "remove": sorted(self.remove),
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "account_id": self.account_id,
            "verb": self.verb,
            "messages": [m.to_dict() for m in self.messages],
            "add": list(self.add),
            "remove": list(self.remove),
            "label_name": self.label_name,
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> LabelChangeEffect:
        return cls(
            account_id=str(raw["account_id"]),
            verb=str(raw["verb"]),
            messages=tuple(MessageRef.from_dict(m) for m in raw["messages"]),
            add=tuple(str(x) for x in raw.get("add") or ()),
            remove=tuple(str(x) for x in raw.get("remove") or ()),
            label_name=str(raw.get("label_name") or ""),
        )

    def units(self) -> int:
        return len(self.messages)

    def title(self) -> str:
        n = len(self.messages)
        what = f"{n} message{'s' if n != 1 else ''}"
        return {
            "trash": f"Move {what} to the trash",
            "spam": f"Mark {what} as spam",
            "archive": f"Archive {what}",
            "mark_read": f"Mark {what} read",
            "mark_unread": f"Mark {what} unread",
            "apply_label": f"Add the label '{self.label_name}' to {what}",
            "remove_label": f"Remove the label '{self.label_name}' from {what}",
        }[self.verb]

    def card(self) -> Card:
        items = tuple(CardItem(m.subject or "(no subject)", m.detail()) for m in self.messages)
        return Card(title=self.title(), items=items)


@register_effect
@dataclass(frozen=True)
class DraftEffect(Effect):
    """A draft to create (draft_id None) or to replace: nothing leaves the mailbox."""

    kind: ClassVar[str] = "mail.draft"
    account_id: str
    draft_id: str | None
    people: tuple[Recipient, ...]
    subject: str
    text_body: str
    reply_to_message_id: str | None = None
    previous_subject: str = field(default="", compare=False)

    def content(self) -> dict[str, Any]:
        return {
            "account_id": self.account_id,
            "draft_id": self.draft_id,
            "recipients": [r.content() for r in self.people],
            "subject": self.subject,
            "text_body": self.text_body,
            "reply_to_message_id": self.reply_to_message_id,
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.content(),
            "recipients": [r.to_dict() for r in self.people],
            "previous_subject": self.previous_subject,
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> DraftEffect:
        return cls(
            account_id=str(raw["account_id"]),
            draft_id=raw.get("draft_id"),
            people=tuple(Recipient.from_dict(r) for r in raw.get("recipients") or ()),
            subject=str(raw.get("subject") or ""),
            text_body=str(raw.get("text_body") or ""),
            reply_to_message_id=raw.get("reply_to_message_id"),
            previous_subject=str(raw.get("previous_subject") or ""),
        )

    def group(self, field_name: str) -> tuple[str, ...]:
        return tuple(str(r.email) for r in self.people if r.field == field_name)

    def card(self) -> Card:
        title = (
            f"Create a draft {_quoted(self.subject)}"
            if self.draft_id is None
            else f"Replace the draft {_quoted(self.previous_subject or self.subject)}"
        )
        return Card(
            title=title,
            recipients=self.people,
            fields=(("Subject", self.subject or "(no subject)"),),
            body=self.text_body,
            notes=("Nothing is sent: the draft stays in your mailbox.",),
        )
