"""Request and response bodies of the mail API."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from email.utils import parseaddr
from typing import Annotated, Literal

from pydantic import BaseModel, Field, WithJsonSchema, field_validator

from application.mail_compose import Compose, ReadableMessage, readable
from application.ports.html_sanitizer import HtmlSanitizer
from application.use_cases.mail.search_conversations import Conversation
from domain.mail import Attachment, Draft, EmailAddress, Label, Message, OutgoingAttachment, has_line_break
from domain.mail_account import MailAccount
from domain.mail_servers import ADDRESS_PATTERN, HOST_PATTERN, Endpoint, Security, ServerPreset
from entrypoints.email_syntax import EmailNotValidError, validate_email
from entrypoints.http.constraints import RECIPIENT_SCHEMA

MAX_BODY = 2_000_000
ATTACHMENT_IDS_HELP = "Uploads to attach, by the id POST /api/v1/attachments/upload answered (at most 20, 25 MB in all)"
MAX_ATTACHMENT_B64 = 34 * 1024 * 1024  # 25 MB of content, base64-encoded
# Header values: no line break (domain.mail.LINE_BREAKS: CR, LF and what else Python splits lines at), also checked
# with its own message.
ONE_LINE = r"^[^\r\n\x0b\x0c\x1c-\x1e\x85\u2028\u2029]*$"
BASE64_PATTERN = r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$"


def _check_recipient(value: str) -> str:
    if has_line_break(value):
        raise ValueError("must not contain line breaks")
    _, address = parseaddr(value)
    if not address:
        raise ValueError(f"'{value}' is not an e-mail address")
    try:
        validate_email(address, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(f"'{address}' is not a valid e-mail address: {exc}") from exc
    return value.strip()


def _recipient_list(values: list[str]) -> list[str]:
    return [_check_recipient(v) for v in values]


def _attachment_ids() -> list[str]:
    return Field(default_factory=list, max_length=20, description=ATTACHMENT_IDS_HELP)  # type: ignore[no-any-return]


AttachmentId = Annotated[str, Field(min_length=1, max_length=64)]
# A recipient, checked by _check_recipient; the schema says the same (constraints.RECIPIENT_SCHEMA).
Recipient = Annotated[str, WithJsonSchema(RECIPIENT_SCHEMA)]
MIME_TYPE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*$"


class AttachmentIn(BaseModel):
    """A file sent inline as base64 (older clients; prefer uploading and `attachment_ids`)."""

    filename: str = Field(min_length=1, max_length=255, json_schema_extra={"pattern": ONE_LINE})
    mime_type: str = Field("application/octet-stream", max_length=255, json_schema_extra={"pattern": MIME_TYPE_PATTERN})
    content_base64: str = Field(
        max_length=MAX_ATTACHMENT_B64, json_schema_extra={"format": "byte", "pattern": BASE64_PATTERN}
    )

    def to_domain(self) -> OutgoingAttachment:
        try:
            content = base64.b64decode(self.content_base64, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ValueError("content_base64 is not valid base64") from exc
        return OutgoingAttachment(filename=self.filename, mime_type=self.mime_type, content=content)

    @field_validator("content_base64")
    @classmethod
    def _b64(cls, value: str) -> str:
        try:
            base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ValueError("not valid base64") from exc
        return value


class ComposeIn(BaseModel):
    to: list[Recipient] = Field(
        default_factory=list,
        max_length=100,
        examples=[["Alice <alice@example.com>"]],
        description="At least one and at most 100 recipients in to, cc and bcc together (a draft may have none)",
    )
    cc: list[Recipient] = Field(default_factory=list, max_length=100)
    bcc: list[Recipient] = Field(default_factory=list, max_length=100)
    subject: str = Field("", max_length=998, json_schema_extra={"pattern": ONE_LINE})
    text_body: str = Field("", max_length=MAX_BODY)
    html_body: str | None = Field(None, max_length=MAX_BODY)
    attachments: list[AttachmentIn] = Field(default_factory=list, max_length=20)
    attachment_ids: list[AttachmentId] = _attachment_ids()

    @field_validator("to", "cc", "bcc")
    @classmethod
    def _recipients(cls, values: list[str]) -> list[str]:
        return _recipient_list(values)

    @field_validator("subject")
    @classmethod
    def _subject(cls, value: str) -> str:
        if has_line_break(value):
            raise ValueError("must not contain line breaks")
        return value

    def to_compose(self) -> Compose:
        return Compose(
            to=tuple(self.to),
            cc=tuple(self.cc),
            bcc=tuple(self.bcc),
            subject=self.subject,
            text_body=self.text_body,
            html_body=self.html_body,
            attachments=tuple(a.to_domain() for a in self.attachments),
            attachment_ids=tuple(self.attachment_ids),
        )


class DraftIn(ComposeIn):
    reply_to_message_id: str | None = Field(None, max_length=200)


class ReplyIn(BaseModel):
    text_body: str = Field(max_length=MAX_BODY)
    html_body: str | None = Field(None, max_length=MAX_BODY)
    reply_all: bool = False
    cc: list[Recipient] = Field(default_factory=list, max_length=100)
    attachment_ids: list[AttachmentId] = _attachment_ids()

    @field_validator("cc")
    @classmethod
    def _recipients(cls, values: list[str]) -> list[str]:
        return _recipient_list(values)


class ForwardIn(BaseModel):
    to: list[Recipient] = Field(min_length=1, max_length=100)
    cc: list[Recipient] = Field(default_factory=list, max_length=100)
    text_body: str = Field("", max_length=MAX_BODY)
    include_attachments: bool = True
    attachment_ids: list[AttachmentId] = _attachment_ids()

    @field_validator("to", "cc")
    @classmethod
    def _recipients(cls, values: list[str]) -> list[str]:
        return _recipient_list(values)


class LabelIn(BaseModel):
    name: str = Field(min_length=1, max_length=225)


class AddLabelsIn(BaseModel):
    label_ids: list[str] = Field(min_length=1, max_length=100, description="Label ids or names")


class BatchModifyIn(BaseModel):
    ids: list[str] = Field(min_length=1, max_length=1000)
    add: list[str] = Field(
        default_factory=list,
        max_length=100,
        description="Label ids or names to add (at least one to add or remove; none in both)",
    )
    remove: list[str] = Field(default_factory=list, max_length=100, description="Label ids or names to remove")


class MailAccountOut(BaseModel):
    id: str
    provider: str
    address: str
    status: str
    scopes: list[str]
    created_at: datetime
    last_error: str | None

    @classmethod
    def of(cls, a: MailAccount) -> MailAccountOut:
        return cls(
            id=a.id,
            provider=a.provider.value,
            address=a.address,
            status=a.status.value,
            scopes=list(a.scopes),
            created_at=a.created_at,
            last_error=a.last_error,
        )


class AuthorizeOut(BaseModel):
    url: str


class AddressOut(BaseModel):
    name: str
    address: str

    @classmethod
    def of(cls, a: EmailAddress) -> AddressOut:
        return cls(name=a.name, address=a.address)


class AttachmentOut(BaseModel):
    id: str
    filename: str
    mime_type: str
    size: int
    content_id: str | None
    inline: bool
    download_url: str

    @classmethod
    def of(cls, message_id: str, a: Attachment) -> AttachmentOut:
        return cls(
            id=a.id,
            filename=a.filename,
            mime_type=a.mime_type,
            size=a.size,
            content_id=a.content_id,
            inline=a.inline,
            download_url=f"/api/v1/emails/{message_id}/attachments/{a.id}",
        )


class MailboxRefOut(BaseModel):
    """The account a message belongs to: pass `id` as `account` to read, reply to or change that message."""

    id: str
    address: str
    provider: str

    @classmethod
    def of(cls, a: MailAccount) -> MailboxRefOut:
        return cls(id=a.id, address=a.address, provider=a.provider.value)


class MessageSummaryOut(BaseModel):
    id: str
    thread_id: str
    account: MailboxRefOut
    from_: AddressOut | None = Field(serialization_alias="from")
    to: list[AddressOut]
    subject: str
    snippet: str
    date: datetime
    label_ids: list[str]
    unread: bool
    starred: bool
    has_attachments: bool

    @classmethod
    def of(cls, m: Message, account: MailAccount) -> MessageSummaryOut:
        return cls(
            id=m.id,
            thread_id=m.thread_id,
            account=MailboxRefOut.of(account),
            from_=AddressOut.of(m.from_) if m.from_ else None,
            to=[AddressOut.of(a) for a in m.to],
            subject=m.subject,
            snippet=m.snippet,
            date=m.date,
            label_ids=sorted(m.label_ids),
            unread=m.is_unread,
            starred=m.is_starred,
            has_attachments=m.has_attachments,
        )


class MailConversationOut(MessageSummaryOut):
    """One conversation of the list: its newest matching message (id, subject, snippet, date...) and the thread."""

    count: int = Field(description="Messages in the conversation (outside Trash and Spam unless the search is there)")
    message_ids: list[str] = Field(
        description="Those messages, oldest first: what an archive or trash of the row moves"
    )
    participants: list[AddressOut] = Field(description="Who wrote in it, first appearance first, each once")

    @classmethod
    def of_conversation(cls, c: Conversation, account: MailAccount) -> MailConversationOut:
        people: dict[str, EmailAddress] = {}
        for m in c.messages:
            if m.from_ is not None:
                people.setdefault(m.from_.address.lower(), m.from_)
        summary = MessageSummaryOut.of(c.latest, account).model_dump()
        summary["unread"] = c.unread
        summary["has_attachments"] = any(m.has_attachments for m in c.messages)
        summary["label_ids"] = sorted({label for m in c.messages for label in m.label_ids})
        return cls(
            **summary,
            count=c.count,
            message_ids=[m.id for m in c.messages],
            participants=[AddressOut.of(a) for a in people.values()],
        )


class MessageOut(MessageSummaryOut):
    cc: list[AddressOut]
    bcc: list[AddressOut]
    reply_to: list[AddressOut]
    text_body: str
    html: str | None = Field(description="Sanitized HTML, safe to render (remote images still need blocking)")
    attachments: list[AttachmentOut]
    message_id_header: str | None
    in_reply_to: str | None

    @classmethod
    def of_readable(cls, r: ReadableMessage, account: MailAccount) -> MessageOut:
        m = r.message
        return cls(
            **MessageSummaryOut.of(m, account).model_dump(),
            cc=[AddressOut.of(a) for a in m.cc],
            bcc=[AddressOut.of(a) for a in m.bcc],
            reply_to=[AddressOut.of(a) for a in m.reply_to],
            text_body=m.text_body,
            html=r.safe_html,
            attachments=[AttachmentOut.of(m.id, a) for a in m.attachments],
            message_id_header=m.message_id_header,
            in_reply_to=m.in_reply_to,
        )


class ThreadOut(BaseModel):
    id: str
    messages: list[MessageOut]


class DraftOut(BaseModel):
    id: str
    message: MessageOut


def draft_out(draft: Draft, sanitizer: HtmlSanitizer, account: MailAccount) -> DraftOut:
    return DraftOut(id=draft.id, message=MessageOut.of_readable(readable(draft.message, sanitizer), account))


class LabelOut(BaseModel):
    id: str
    name: str
    type: str
    messages_total: int
    messages_unread: int

    @classmethod
    def of(cls, label: Label) -> LabelOut:
        return cls(
            id=label.id,
            name=label.name,
            type=label.type.value,
            messages_total=label.messages_total,
            messages_unread=label.messages_unread,
        )


class ModifiedOut(BaseModel):
    ids: list[str]


class ImapConnectIn(BaseModel):
    address: str = Field(max_length=254, json_schema_extra={"pattern": ADDRESS_PATTERN}, examples=["you@fastmail.com"])
    password: str = Field(
        min_length=1,
        max_length=1024,
        json_schema_extra={"format": "password", "pattern": r"^[^\r\n]+$"},
        description="The account's password; an app password where the provider offers one. Kept in the secret "
        "store only: never returned or logged.",
    )
    preset: Literal["outlook", "fastmail", "icloud", "yahoo", "gmx", "other"] = Field(
        description="The provider's servers; 'other' takes the imap_* and smtp_* fields"
    )
    username: str | None = Field(
        None, max_length=320, json_schema_extra={"pattern": r"^[^\r\n]+$"}, description="Default: the address"
    )
    imap_host: str | None = Field(None, max_length=253, json_schema_extra={"pattern": HOST_PATTERN})
    imap_port: int | None = Field(None, ge=1, le=65535)
    imap_security: Literal["tls", "starttls", "none"] | None = Field(
        None, description="'none' only for a server on this machine"
    )
    smtp_host: str | None = Field(None, max_length=253, json_schema_extra={"pattern": HOST_PATTERN})
    smtp_port: int | None = Field(None, ge=1, le=65535)
    smtp_security: Literal["tls", "starttls", "none"] | None = None

    def endpoints(self) -> tuple[Endpoint | None, Endpoint | None]:
        def one(host: str | None, port: int | None, security: str | None, default_port: int) -> Endpoint | None:
            if not host:
                return None
            return Endpoint(host, port or default_port, Security(security or "tls"))

        return (
            one(self.imap_host, self.imap_port, self.imap_security, 993),
            one(self.smtp_host, self.smtp_port, self.smtp_security, 465),
        )


class EndpointOut(BaseModel):
    host: str
    port: int
    security: str


class ImapPresetOut(BaseModel):
    id: str
    name: str
    imap: EndpointOut
    smtp: EndpointOut
    help: str

    @classmethod
    def of(cls, p: ServerPreset) -> ImapPresetOut:
        def endpoint(e: Endpoint) -> EndpointOut:
            return EndpointOut(host=e.host, port=e.port, security=e.security.value)

        return cls(id=p.id, name=p.name, imap=endpoint(p.imap), smtp=endpoint(p.smtp), help=p.help)
