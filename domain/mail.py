"""Mail value objects, provider-neutral: addresses, messages, threads, drafts, labels, outgoing messages."""

from __future__ import annotations

import base64
import enum
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.headerregistry import Address
from email.utils import getaddresses

from domain.errors import Conflict, ValidationFailed

# Gmail's system label ids; every provider adapter maps its own folders/flags onto these.
INBOX = "INBOX"
SENT = "SENT"
DRAFT = "DRAFT"
TRASH = "TRASH"
SPAM = "SPAM"
UNREAD = "UNREAD"
STARRED = "STARRED"
IMPORTANT = "IMPORTANT"
CHAT = "CHAT"
CATEGORY_PERSONAL = "CATEGORY_PERSONAL"
CATEGORY_SOCIAL = "CATEGORY_SOCIAL"
CATEGORY_PROMOTIONS = "CATEGORY_PROMOTIONS"
CATEGORY_UPDATES = "CATEGORY_UPDATES"
CATEGORY_FORUMS = "CATEGORY_FORUMS"

SYSTEM_LABEL_IDS: tuple[str, ...] = (
    INBOX,
    SENT,
    DRAFT,
    TRASH,
    SPAM,
    UNREAD,
    STARRED,
    IMPORTANT,
    CHAT,
    CATEGORY_PERSONAL,
    CATEGORY_SOCIAL,
    CATEGORY_PROMOTIONS,
    CATEGORY_UPDATES,
    CATEGORY_FORUMS,
)

# Labels a caller may not add or remove through modify_labels (Gmail refuses them too).
IMMUTABLE_LABEL_IDS: frozenset[str] = frozenset({SENT, DRAFT, CHAT})

MAX_PAGE_SIZE = 500

_SPECIALS = frozenset('()<>@,;:\\".[]')


class LabelType(enum.StrEnum):
    SYSTEM = "system"
    USER = "user"


# What `str.splitlines` counts as a line break, and so the stdlib's header code: any of them in a header value would
# end the header (CR and LF) or make the stdlib refuse to write it (the others, e.g. U+0085 or U+2028).
LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
_LINE_BREAK = re.compile(f"[{re.escape(LINE_BREAKS)}]")


def has_line_break(value: str) -> bool:
    return _LINE_BREAK.search(value) is not None


def _reject_line_breaks(value: str, what: str) -> None:
    if has_line_break(value):
        raise ValidationFailed(
            f"The {what} must not contain line breaks.", details=[{"field": what, "issue": "line_break"}]
        )


@dataclass(frozen=True, kw_only=True)
class EmailAddress:
    """One mailbox: `EmailAddress(address="alice@example.com", name="Alice")` (keyword-only on purpose)."""

    address: str
    name: str = ""

    def __str__(self) -> str:
        """`Name <address>` for people (quoted when needed, never RFC 2047-encoded)."""
        if not self.name:
            return self.address
        name = self.name
        if any(c in _SPECIALS for c in name):
            name = '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
        return f"{name} <{self.address}>" if self.address else name

    @property
    def domain(self) -> str:
        return self.address.rpartition("@")[2].lower()

    @classmethod
    def parse(cls, value: str) -> EmailAddress:
        """Parse `Name <addr>` or a bare address; never raises (garbage becomes an address-less name)."""
        parsed = parse_address_list(value)
        return parsed[0] if parsed else cls(address="", name=value.strip())

    def validate(self, what: str = "address") -> None:
        """Raise ValidationFailed unless this is a plausible outgoing address (no header injection)."""
        _reject_line_breaks(self.name, what)
        _reject_line_breaks(self.address, what)
        local, at, domain = self.address.partition("@")
        if not at or not local or not domain or any(c.isspace() for c in self.address) or "," in self.address:
            raise ValidationFailed(
                f"'{self.address}' is not a valid email address.",
                details=[{"field": what, "issue": "invalid_address"}],
            )
        try:
            Address(display_name=self.name, username=local, domain=domain)
        except (ValueError, TypeError) as exc:
            raise ValidationFailed(
                f"'{self.address}' is not a valid email address.",
                details=[{"field": what, "issue": "invalid_address"}],
            ) from exc


def parse_address_list(*values: str) -> tuple[EmailAddress, ...]:
    """Addresses of one or more header values (`To`, `Cc`...); tolerant of junk, never raises."""
    result: list[EmailAddress] = []
    try:
        pairs = getaddresses([v for v in values if v])
    except Exception:  # the stdlib parser on hostile input; fall back to plain splitting
        pairs = [("", part.strip()) for v in values for part in v.split(",")]
    for name, address in pairs:
        name, address = name.strip(), address.strip()
        if not name and not address:
            continue
        result.append(EmailAddress(address=address, name=name))
    return tuple(result)


@dataclass(frozen=True, kw_only=True)
class Attachment:
    """Attachment metadata; fetch the bytes with `Mailbox.get_attachment(message_id, id)`."""

    id: str
    filename: str
    mime_type: str
    size: int
    content_id: str | None = None  # without angle brackets; `cid:` references in HTML use it
    inline: bool = False


@dataclass(frozen=True, kw_only=True)
class Message:
    id: str
    thread_id: str
    label_ids: frozenset[str] = frozenset()
    snippet: str = ""
    subject: str = ""
    from_: EmailAddress | None = None
    to: tuple[EmailAddress, ...] = ()
    cc: tuple[EmailAddress, ...] = ()
    bcc: tuple[EmailAddress, ...] = ()
    reply_to: tuple[EmailAddress, ...] = ()
    date: datetime = field(default_factory=lambda: datetime.fromtimestamp(0, UTC))  # the Date header, aware
    headers: Mapping[str, str] = field(default_factory=dict)  # first value of each header, original casing
    text_body: str = ""
    html_body: str | None = None
    attachments: tuple[Attachment, ...] = ()
    message_id_header: str | None = None  # RFC 5322 Message-ID, with angle brackets
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    # when the provider received it (search order, after:/before:)
    internal_date: datetime = field(default_factory=lambda: datetime.fromtimestamp(0, UTC))
    size_estimate: int = 0

    @property
    def is_unread(self) -> bool:
        return UNREAD in self.label_ids

    @property
    def is_starred(self) -> bool:
        return STARRED in self.label_ids

    @property
    def is_draft(self) -> bool:
        return DRAFT in self.label_ids

    @property
    def is_trashed(self) -> bool:
        return TRASH in self.label_ids

    @property
    def has_attachments(self) -> bool:
        return any(a.filename for a in self.attachments)

    def header(self, name: str) -> str | None:
        """Case-insensitive header lookup."""
        wanted = name.lower()
        for key, value in self.headers.items():
            if key.lower() == wanted:
                return value
        return None

    def attachment(self, attachment_id: str) -> Attachment | None:
        return next((a for a in self.attachments if a.id == attachment_id), None)


@dataclass(frozen=True, kw_only=True)
class Thread:
    id: str
    messages: tuple[Message, ...]  # chronological, oldest first

    @property
    def subject(self) -> str:
        return self.messages[0].subject if self.messages else ""

    @property
    def snippet(self) -> str:
        return self.messages[-1].snippet if self.messages else ""

    @property
    def label_ids(self) -> frozenset[str]:
        return frozenset().union(*(m.label_ids for m in self.messages))


@dataclass(frozen=True, kw_only=True)
class Draft:
    id: str
    message: Message


@dataclass(frozen=True, kw_only=True)
class Label:
    id: str
    name: str
    type: LabelType = LabelType.USER
    messages_total: int = 0
    messages_unread: int = 0


@dataclass(frozen=True, kw_only=True)
class OutgoingAttachment:
    filename: str
    mime_type: str
    content: bytes
    content_id: str | None = None  # set (without angle brackets) for inline images referenced as cid:
    inline: bool = False

    @property
    def size(self) -> int:
        return len(self.content)


@dataclass(frozen=True, kw_only=True)
class OutgoingMessage:
    """A message to send or keep as a draft. Lists are accepted and stored as tuples.

    `message_id` is the RFC 5322 Message-ID to use (see `domain.mime.deterministic_message_id`); when None the
    adapter makes one before sending so the send can still be reconciled.
    """

    to: tuple[EmailAddress, ...] = ()
    cc: tuple[EmailAddress, ...] = ()
    bcc: tuple[EmailAddress, ...] = ()
    subject: str = ""
    text_body: str = ""
    html_body: str | None = None
    attachments: tuple[OutgoingAttachment, ...] = ()
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    thread_id: str | None = None
    from_: EmailAddress | None = None
    reply_to: tuple[EmailAddress, ...] = ()
    message_id: str | None = None

    def __post_init__(self) -> None:
        for name in ("to", "cc", "bcc", "attachments", "references", "reply_to"):
            value = getattr(self, name)
            if not isinstance(value, tuple):
                object.__setattr__(self, name, tuple(value))
        self.validate()

    @property
    def recipients(self) -> tuple[EmailAddress, ...]:
        return self.to + self.cc + self.bcc

    def validate(self) -> None:
        """Reject header injection (CR/LF in any header value) and malformed addresses."""
        _reject_line_breaks(self.subject, "subject")
        fields = (("to", self.to), ("cc", self.cc), ("bcc", self.bcc), ("reply_to", self.reply_to))
        for what, group in fields:
            for address in group:
                address.validate(what)
        if self.from_ is not None:
            self.from_.validate("from")
        for what, value in (("in_reply_to", self.in_reply_to), ("message_id", self.message_id)):
            if value is not None:
                _reject_line_breaks(value, what)
        for ref in self.references:
            _reject_line_breaks(ref, "references")
        for attachment in self.attachments:
            _reject_line_breaks(attachment.filename, "attachment filename")
            _reject_line_breaks(attachment.mime_type, "attachment type")
            if attachment.content_id is not None:
                _reject_line_breaks(attachment.content_id, "attachment content id")
            if attachment.mime_type.count("/") != 1:
                raise ValidationFailed(
                    f"'{attachment.mime_type}' is not a MIME type (expected e.g. application/pdf).",
                    details=[{"field": "attachments", "issue": "invalid_mime_type"}],
                )

    def require_recipients(self) -> None:
        if not self.recipients:
            raise ValidationFailed(
                "A message needs at least one recipient (to, cc or bcc).",
                details=[{"field": "to", "issue": "required"}],
            )


@dataclass(frozen=True, kw_only=True)
class SearchPage:
    messages: tuple[Message, ...]  # newest first
    next_page_token: str | None = None
    result_size_estimate: int = 0

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(m.id for m in self.messages)


@dataclass(frozen=True, kw_only=True)
class DraftPage:
    drafts: tuple[Draft, ...]  # newest first
    next_page_token: str | None = None


def addresses(values: Iterable[str]) -> tuple[EmailAddress, ...]:
    """Convenience: parse each string (`"Ann <a@x.org>"` or `"a@x.org"`) into an EmailAddress."""
    return tuple(EmailAddress.parse(v) for v in values)


MAX_LABEL_NAME_LENGTH = 225
MAX_MODIFY_BATCH = 1000


def validate_label_name(name: str) -> str:
    """The trimmed name of a new user label: ValidationFailed if empty, too long or multi-line; Conflict if it
    is a system label's name."""
    trimmed = name.strip()
    _reject_line_breaks(trimmed, "label name")
    if not trimmed:
        raise ValidationFailed("A label needs a name.", details=[{"field": "name", "issue": "required"}])
    if len(trimmed) > MAX_LABEL_NAME_LENGTH:
        raise ValidationFailed(
            f"A label name can have at most {MAX_LABEL_NAME_LENGTH} characters.",
            details=[{"field": "name", "issue": "too_long"}],
        )
    if trimmed.upper() in SYSTEM_LABEL_IDS or trimmed.lower() in ("drafts", "all mail", "chats", "snoozed"):
        raise Conflict(f"'{trimmed}' is a reserved label name.", details=[{"field": "name", "issue": "reserved"}])
    return trimmed


def validate_label_change(
    message_ids: Iterable[str], add: Iterable[str], remove: Iterable[str]
) -> tuple[tuple[str, ...], frozenset[str], frozenset[str]]:
    """Checks shared by every adapter's modify_labels (known labels are each adapter's job)."""
    ids = tuple(dict.fromkeys(message_ids))
    to_add, to_remove = frozenset(add), frozenset(remove)
    if len(ids) > MAX_MODIFY_BATCH:
        raise ValidationFailed(f"At most {MAX_MODIFY_BATCH} messages can be changed at once.")
    both = to_add & to_remove
    if both:
        raise ValidationFailed(f"A label cannot be added and removed at once: {', '.join(sorted(both))}.")
    fixed = (to_add | to_remove) & IMMUTABLE_LABEL_IDS
    if fixed:
        raise ValidationFailed(f"These labels cannot be added or removed: {', '.join(sorted(fixed))}.")
    return ids, to_add, to_remove


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MILLISECOND = timedelta(milliseconds=1)


def to_millis(when: datetime) -> int:
    """Milliseconds since the epoch, floored, in exact integer arithmetic (Gmail's internalDate unit)."""
    return (when - _EPOCH) // _MILLISECOND


def from_millis(millis: int) -> datetime:
    return _EPOCH + millis * _MILLISECOND


def truncate_to_millis(when: datetime) -> datetime:
    """`when` in UTC at millisecond precision, as providers keep internal dates."""
    return from_millis(to_millis(when))


def check_page_limit(limit: int) -> None:
    """Every Mailbox pages with 1..MAX_PAGE_SIZE items."""
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise ValidationFailed(
            f"limit must be between 1 and {MAX_PAGE_SIZE}.",
            details=[{"field": "limit", "issue": "out_of_range"}],
        )


def encode_page_token(internal_date: datetime, message_id: str) -> str:
    """An opaque keyset cursor: the (date, id) of the last message of the previous page."""
    text = f"{to_millis(internal_date)}:{message_id}"
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_page_token(token: str) -> tuple[int, str]:
    try:
        padded = token + "=" * (-len(token) % 4)
        millis, _, message_id = base64.urlsafe_b64decode(padded.encode()).decode().partition(":")
        if not message_id:
            raise ValueError(token)
        return int(millis), message_id
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValidationFailed(
            "The page token is not valid; start again from the first page.",
            details=[{"field": "page_token", "issue": "invalid"}],
        ) from exc
