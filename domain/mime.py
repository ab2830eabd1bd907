"""RFC 5322/MIME: build outgoing messages and parse any incoming one (tolerantly) with the stdlib `email`."""

from __future__ import annotations

import hashlib
import html
import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from email import policy
from email.header import Header, decode_header
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import format_datetime, formataddr, getaddresses, parsedate_to_datetime
from typing import Any, TypeVar, cast

from domain.errors import ValidationFailed
from domain.mail import Attachment, EmailAddress, OutgoingAttachment, OutgoingMessage, has_line_break
from domain.mail import Message as MailMessage

SNIPPET_LENGTH = 200
MAX_PART_DEPTH = 30
DEFAULT_MESSAGE_ID_DOMAIN = "mailagent.local"

T = TypeVar("T")

# 7bit transfer encodings everywhere: any relay (and Gmail's raw upload) takes it unchanged.
# refold_source="none": headers we encode ourselves (addresses) are written exactly as given.
_BUILD_POLICY = policy.SMTP.clone(cte_type="7bit", refold_source="none")
_PARSE_POLICY = policy.compat32

_SURROGATES = re.compile("[\udc80-\udcff]")
_MSGID_RE = re.compile(r"<[^<>\s]+>")
_DOMAIN_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$")


# ---------------------------------------------------------------- Message-IDs


def deterministic_message_id(seed: str, domain: str = DEFAULT_MESSAGE_ID_DOMAIN) -> str:
    """`<sha256(seed)[:40]@domain>`: the same seed always gives the same id, so a send can be reconciled."""
    domain = domain.strip().lower() or DEFAULT_MESSAGE_ID_DOMAIN
    if not _DOMAIN_RE.match(domain):
        raise ValidationFailed(f"'{domain}' cannot be used as a Message-ID domain.")
    digest = hashlib.sha256(seed.encode("utf-8")).hexdigest()[:40]
    return f"<{digest}@{domain}>"


def normalize_message_id(value: str) -> str:
    """`abc@x` or ` <abc@x> ` -> `<abc@x>`."""
    value = value.strip()
    match = _MSGID_RE.search(value)
    if match:
        return match.group(0)
    return f"<{value.strip('<>')}>"


def ensure_message_id(message: OutgoingMessage, *, sender: str, seed: str | None = None) -> OutgoingMessage:
    """The message with a Message-ID (kept if it has one; else derived from `seed` or a fresh uuid)."""
    if message.message_id:
        return replace(message, message_id=normalize_message_id(message.message_id))
    domain = sender.rpartition("@")[2] or DEFAULT_MESSAGE_ID_DOMAIN
    if not _DOMAIN_RE.match(domain):
        domain = DEFAULT_MESSAGE_ID_DOMAIN
    return replace(message, message_id=deterministic_message_id(seed or uuid.uuid4().hex, domain))


def reply_threading(original: MailMessage) -> tuple[str | None, tuple[str, ...]]:
    """(In-Reply-To, References) for a reply to `original`."""
    if not original.message_id_header:
        return None, original.references
    references = tuple(r for r in original.references if r != original.message_id_header)
    return original.message_id_header, (*references, original.message_id_header)


# ---------------------------------------------------------------- building


def build_mime(message: OutgoingMessage, *, message_id: str, date: datetime) -> bytes:
    """The RFC 5322 bytes of `message` (CRLF line ends, 7bit-safe). Bcc is kept, as Gmail's send expects;
    Gmail strips it from what recipients get. Raises ValidationFailed on header injection."""
    message.validate()
    if has_line_break(message_id):
        raise ValidationFailed("The Message-ID must not contain line breaks.")
    if date.tzinfo is None:
        raise ValidationFailed("The Date of a message must carry a time zone.")
    mime = EmailMessage(policy=_BUILD_POLICY)
    try:
        if message.from_ is not None:
            mime.set_raw("From", _address_header([message.from_]))
        groups = (
            ("To", message.to),
            ("Cc", message.cc),
            ("Bcc", message.bcc),
            ("Reply-To", message.reply_to),
        )
        for header, group in groups:
            if group:
                mime.set_raw(header, _address_header(group))
        mime["Subject"] = message.subject
        # plain ASCII values, already checked for line breaks: written as they are (the header parser is slow)
        mime.set_raw("Date", format_datetime(date))
        mime.set_raw("Message-ID", normalize_message_id(message_id))
        if message.in_reply_to:
            mime.set_raw("In-Reply-To", normalize_message_id(message.in_reply_to))
        if message.references:
            mime.set_raw("References", "\r\n ".join(normalize_message_id(r) for r in message.references))
        mime.set_raw("MIME-Version", "1.0")
        _set_bodies(mime, message)
        _set_boundaries(mime, message_id)
        return mime.as_bytes(policy=_BUILD_POLICY)
    except (ValueError, TypeError, IndexError) as exc:
        # the stdlib refuses some values our own validation lets through (e.g. odd address syntax)
        raise ValidationFailed(f"The message cannot be encoded: {exc}") from exc


def build_and_parse(message: OutgoingMessage, *, message_id: str, date: datetime) -> tuple[bytes, ParsedMessage]:
    """`build_mime` and what `parse_mime` reads back from those bytes, without parsing them when the message is a
    plain-text one whose bytes we can write directly (the usual scheduled or agent-written mail): a mailbox that
    stores what it sends (the demo and in-memory ones) otherwise spends most of a send in the stdlib's MIME classes,
    building the bytes and then parsing what it just built. Anything else takes the stdlib's way. The fast way
    gives the same bytes and the same ParsedMessage (tests/unit/test_mime_fast_path.py checks both)."""
    fast = _plain_fast_path(message, message_id=message_id, date=date)
    if fast is not None:
        return fast
    raw = build_mime(message, message_id=message_id, date=date)
    return raw, parse_mime(raw)


_MAX_LINE = _BUILD_POLICY.max_line_length or 78
_PLAIN_SUBJECT = re.compile(r"[\x21-\x7e]+(?: [\x21-\x7e]+)*")  # printable ASCII words, single spaces


def _plain_fast_path(
    message: OutgoingMessage, *, message_id: str, date: datetime
) -> tuple[bytes, ParsedMessage] | None:
    """The bytes `build_mime` writes for a text/plain-only message with a 7bit body and a subject the stdlib leaves
    as it is, and the ParsedMessage `parse_mime` makes of them (the same extraction functions, applied to the header
    values as written); None for any other message."""
    if message.attachments or message.html_body is not None:
        return None
    body = message.text_body.encode("utf-8").splitlines()
    if not message.text_body.isascii() or any(len(line) > _MAX_LINE for line in body):
        return None  # quoted-printable or base64: the stdlib decides which
    subject = message.subject
    if subject and (
        not subject.isascii()
        or "=?" in subject
        or len(subject) + len("Subject: ") > _MAX_LINE
        or not _PLAIN_SUBJECT.fullmatch(subject)
    ):
        return None  # the stdlib would encode or fold it
    message.validate()
    if has_line_break(message_id):
        raise ValidationFailed("The Message-ID must not contain line breaks.")
    if date.tzinfo is None:
        raise ValidationFailed("The Date of a message must carry a time zone.")
    try:
        headers: list[tuple[str, str]] = []
        if message.from_ is not None:
            headers.append(("From", _address_header([message.from_])))
        groups = (("To", message.to), ("Cc", message.cc), ("Bcc", message.bcc), ("Reply-To", message.reply_to))
        headers += [(name, _address_header(group)) for name, group in groups if group]
    except (ValueError, TypeError, IndexError):
        return None  # the stdlib's way raises the error build_mime raises
    headers.append(("Subject", subject))
    headers.append(("Date", format_datetime(date)))
    headers.append(("Message-ID", normalize_message_id(message_id)))
    if message.in_reply_to:
        headers.append(("In-Reply-To", normalize_message_id(message.in_reply_to)))
    if message.references:
        headers.append(("References", "\r\n ".join(normalize_message_id(r) for r in message.references)))
    headers += [("MIME-Version", "1.0"), ("Content-Type", 'text/plain; charset="utf-8"')]
    headers.append(("Content-Transfer-Encoding", "7bit"))
    if any(not value.isascii() for _, value in headers):
        return None
    head = "".join(f"{name}: {value}\r\n" if value else f"{name}:\r\n" for name, value in headers)
    raw = head.encode("ascii") + b"\r\n" + b"".join(line + b"\r\n" for line in body or [b""])
    written = {name: _raw_text(v) for name, v in headers}  # each name is written once
    decoded = tuple((name, _decode_header_value(v)) for name, v in headers)
    from_list = _addresses(written.get("From"))
    parsed = ParsedMessage(
        headers=decoded,
        subject=dict(decoded)["Subject"],
        from_=from_list[0] if from_list else None,
        to=_addresses(written.get("To")),
        cc=_addresses(written.get("Cc")),
        bcc=_addresses(written.get("Bcc")),
        reply_to=_addresses(written.get("Reply-To")),
        date=_parse_date(written["Date"]),
        message_id=_first_msgid(written["Message-ID"]),
        in_reply_to=_first_msgid(written.get("In-Reply-To")),
        references=tuple(_MSGID_RE.findall(written.get("References") or "")),
        text_body="\n".join(line.decode("ascii") for line in body) + "\n",
    )
    return raw, parsed


def _set_boundaries(mime: EmailMessage, message_id: str) -> None:
    """Boundaries derived from the Message-ID instead of random ones, so the same message gives the same bytes.
    `=_` cannot occur in base64 or quoted-printable text, and the digest makes a clash in 7bit text implausible."""
    digest = hashlib.sha256(message_id.encode("utf-8")).hexdigest()[:24]
    for index, part in enumerate(p for p in mime.walk() if p.is_multipart()):
        part.set_boundary(f"=_mailagent_{digest}_{index}")


def _address_header(group: Sequence[EmailAddress]) -> str:
    """An address-list header value, encoded and folded by us, one address per line.

    The stdlib folder can RFC 2047-encode the comma between two addresses when a long non-ASCII name is
    followed by another address (the result parses as one bogus address), so address headers bypass it."""
    return ",\r\n ".join(_encode_address(address) for address in group)


def _encode_address(address: EmailAddress) -> str:
    local, _, domain = address.address.rpartition("@")
    try:
        domain = domain.encode("idna").decode("ascii") if not domain.isascii() else domain
    except UnicodeError as exc:
        raise ValidationFailed(f"'{address.address}' has a domain that cannot be encoded.") from exc
    if not local.isascii():
        raise ValidationFailed(f"'{address.address}': non-ASCII mailbox names are not supported.")
    addr_spec = f"{local}@{domain}"
    name = address.name
    if not name:
        return addr_spec
    if name.isascii():
        return formataddr((name, addr_spec))
    words = Header(name, "utf-8", maxlinelen=76).encode(linesep="\r\n")
    return f"{words} <{addr_spec}>"


def _set_bodies(mime: EmailMessage, message: OutgoingMessage) -> None:
    text = message.text_body
    if not text and message.html_body:
        text = html_to_text(message.html_body)
    mime.set_content(text, subtype="plain", charset="utf-8")
    if message.html_body is not None:
        mime.add_alternative(message.html_body, subtype="html", charset="utf-8")
    related = [a for a in message.attachments if a.inline and a.content_id and message.html_body is not None]
    if related:
        html_part = mime.get_body(preferencelist=("html",))
        assert isinstance(html_part, EmailMessage)
        for attachment in related:
            maintype, _, subtype = attachment.mime_type.partition("/")
            html_part.add_related(
                attachment.content,
                maintype=maintype,
                subtype=subtype,
                cid=normalize_message_id(attachment.content_id or ""),
                filename=attachment.filename or None,
                disposition="inline",
            )
    for attachment in message.attachments:
        if attachment in related:
            continue
        maintype, _, subtype = attachment.mime_type.partition("/")
        kwargs: dict[str, Any] = {}
        subtype, *parameters = (p.strip() for p in subtype.split(";"))
        if parameters:  # e.g. text/calendar; method=REQUEST (iMIP needs the method on the part)
            kwargs["params"] = dict(p.partition("=")[::2] for p in parameters if "=" in p)
        if attachment.content_id:
            kwargs["cid"] = normalize_message_id(attachment.content_id)
        mime.add_attachment(
            attachment.content,
            maintype=maintype,
            subtype=subtype,
            filename=attachment.filename or "attachment",
            disposition="inline" if attachment.inline else "attachment",
            **kwargs,
        )


# ---------------------------------------------------------------- parsing


@dataclass(frozen=True, kw_only=True)
class ParsedPart:
    """A non-body leaf of the MIME tree (an attachment, an inline image, a forwarded message...)."""

    part_id: str  # dotted position in the MIME tree, stable for the same bytes: "2", "1.2"
    filename: str
    mime_type: str
    content: bytes
    content_id: str | None = None
    inline: bool = False

    @property
    def size(self) -> int:
        return len(self.content)

    def metadata(self) -> Attachment:
        return Attachment(
            id=self.part_id,
            filename=self.filename,
            mime_type=self.mime_type,
            size=self.size,
            content_id=self.content_id,
            inline=self.inline,
        )


@dataclass(frozen=True, kw_only=True)
class ParsedMessage:
    headers: tuple[tuple[str, str], ...]  # every header in order, decoded to text
    subject: str = ""
    from_: EmailAddress | None = None
    to: tuple[EmailAddress, ...] = ()
    cc: tuple[EmailAddress, ...] = ()
    bcc: tuple[EmailAddress, ...] = ()
    reply_to: tuple[EmailAddress, ...] = ()
    date: datetime | None = None  # aware; None when missing or unparseable
    message_id: str | None = None
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    text_body: str = ""  # the text/plain body, or text made from the HTML one when there is none
    html_body: str | None = None
    attachments: tuple[ParsedPart, ...] = ()
    defects: tuple[str, ...] = ()

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        return next((v for k, v in self.headers if k.lower() == wanted), None)

    def header_map(self) -> dict[str, str]:
        """The first value of each header (original casing of its first occurrence)."""
        result: dict[str, str] = {}
        seen: set[str] = set()
        for key, value in self.headers:
            if key.lower() not in seen:
                seen.add(key.lower())
                result[key] = value
        return result

    @property
    def snippet(self) -> str:
        return make_snippet(self.text_body)

    def attachment(self, part_id: str) -> ParsedPart | None:
        return next((p for p in self.attachments if p.part_id == part_id), None)

    def to_message(
        self,
        *,
        id: str,
        thread_id: str,
        label_ids: frozenset[str],
        internal_date: datetime,
        size_estimate: int,
        headers: Mapping[str, str] | None = None,
    ) -> MailMessage:
        return MailMessage(
            id=id,
            thread_id=thread_id,
            label_ids=label_ids,
            snippet=self.snippet,
            subject=self.subject,
            from_=self.from_,
            to=self.to,
            cc=self.cc,
            bcc=self.bcc,
            reply_to=self.reply_to,
            date=self.date or internal_date,
            headers=dict(headers) if headers is not None else self.header_map(),
            text_body=self.text_body,
            html_body=self.html_body,
            attachments=tuple(p.metadata() for p in self.attachments),
            message_id_header=self.message_id,
            in_reply_to=self.in_reply_to,
            references=self.references,
            internal_date=internal_date,
            size_estimate=size_estimate,
        )


def outgoing_from_parsed(parsed: ParsedMessage, *, thread_id: str | None = None) -> OutgoingMessage:
    """The OutgoingMessage that would rebuild `parsed` (e.g. to send a stored draft again with a new Date)."""
    return OutgoingMessage(
        to=tuple(a for a in parsed.to if a.address),
        cc=tuple(a for a in parsed.cc if a.address),
        bcc=tuple(a for a in parsed.bcc if a.address),
        subject=parsed.subject,
        text_body=parsed.text_body,
        html_body=parsed.html_body,
        attachments=tuple(
            OutgoingAttachment(
                filename=p.filename,
                mime_type=p.mime_type if p.mime_type.count("/") == 1 else "application/octet-stream",
                content=p.content,
                content_id=p.content_id,
                inline=p.inline,
            )
            for p in parsed.attachments
        ),
        in_reply_to=parsed.in_reply_to,
        references=parsed.references,
        thread_id=thread_id,
        from_=parsed.from_ if parsed.from_ and parsed.from_.address else None,
        reply_to=tuple(a for a in parsed.reply_to if a.address),
        message_id=parsed.message_id,
    )


def parse_mime(raw: bytes) -> ParsedMessage:
    """Parse any bytes into a ParsedMessage. Never raises on malformed mail: whatever cannot be decoded falls
    back to a lossy decoding, and parser complaints are listed in `defects`."""
    raw = _strip_preamble(raw)
    try:
        root = BytesParser(policy=_PARSE_POLICY).parsebytes(raw)
    except Exception as exc:  # the stdlib parser is meant to be total; be safe anyway
        text = _decode_bytes(raw, None)
        return ParsedMessage(headers=(), text_body=text, defects=(f"unparseable: {type(exc).__name__}",))

    headers = tuple((_clean(str(name)), _decode_header_value(value)) for name, value in _raw_items(root))

    def raw_header(name: str) -> str | None:
        wanted = name.lower()
        return next((_raw_text(v) for k, v in _raw_items(root) if str(k).lower() == wanted), None)

    def decoded(name: str) -> str:
        wanted = name.lower()
        return next((v for k, v in headers if k.lower() == wanted), "")

    leaves: list[tuple[str, Message]] = []
    defects: list[str] = [type(d).__name__ for d in getattr(root, "defects", [])]
    _collect_leaves(root, "", 0, leaves, defects)

    text_parts: list[str] = []
    html_body: str | None = None
    attachments: list[ParsedPart] = []
    for part_id, part in leaves:
        content_type = _safe(part.get_content_type, "application/octet-stream")
        if content_type.startswith("multipart/"):  # no usable boundary: the parser kept the body as text
            content_type = "text/plain"
        disposition = _safe(_param_view(part).get_content_disposition, None)
        filename = _part_filename(part)
        is_body = content_type in ("text/plain", "text/html") and disposition != "attachment" and not filename
        if is_body and content_type == "text/plain":
            text_parts.append(_part_text(part))
            continue
        if is_body and content_type == "text/html" and html_body is None:
            html_body = _part_text(part)
            continue
        content_id = _content_id(part)
        attachments.append(
            ParsedPart(
                part_id=part_id,
                filename=filename,
                mime_type=content_type,
                content=_part_bytes(part),
                content_id=content_id,
                inline=disposition == "inline" or (disposition is None and content_id is not None),
            )
        )

    text_body = "\n".join(t for t in text_parts if t) if text_parts else ""
    if not text_body and html_body:
        text_body = html_to_text(html_body)

    from_list = _addresses(raw_header("From"))
    message_id = raw_header("Message-ID")
    in_reply_to = raw_header("In-Reply-To")
    return ParsedMessage(
        headers=headers,
        subject=decoded("Subject"),
        from_=from_list[0] if from_list else None,
        to=_addresses(raw_header("To")),
        cc=_addresses(raw_header("Cc")),
        bcc=_addresses(raw_header("Bcc")),
        reply_to=_addresses(raw_header("Reply-To")),
        date=_parse_date(raw_header("Date")),
        message_id=_first_msgid(message_id),
        in_reply_to=_first_msgid(in_reply_to),
        references=tuple(_MSGID_RE.findall(raw_header("References") or "")),
        text_body=text_body,
        html_body=html_body,
        attachments=tuple(attachments),
        defects=tuple(defects),
    )


def _strip_preamble(raw: bytes) -> bytes:
    """Drop what precedes the headers in files people save: a UTF-8 BOM, blank lines, an mbox `From ` line."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    raw = raw.lstrip(b"\r\n")
    if raw.startswith(b"From "):
        first, newline, rest = raw.partition(b"\n")
        if newline and b":" not in first.split(b" ", 2)[1]:
            raw = rest
    return raw


def _raw_items(message: Message) -> list[tuple[str, str]]:
    try:
        return [(str(k), v if isinstance(v, str) else str(v)) for k, v in message.raw_items()]
    except Exception:
        return []


def _collect_leaves(part: Message, path: str, depth: int, out: list[tuple[str, Message]], defects: list[str]) -> None:
    if depth > MAX_PART_DEPTH:
        defects.append("TooDeeplyNested")
        return
    content_type = _safe(part.get_content_type, "application/octet-stream")
    if content_type.startswith("multipart/"):
        payload = _safe(lambda: part.get_payload(), None)
        if isinstance(payload, list):
            for index, sub in enumerate(payload, start=1):
                if isinstance(sub, Message):
                    defects.extend(type(d).__name__ for d in getattr(sub, "defects", []))
                    _collect_leaves(sub, f"{path}.{index}" if path else str(index), depth + 1, out, defects)
            return
    out.append((path or "1", part))


def _safe(call: Callable[[], T], default: T) -> T:
    try:
        return call()
    except Exception:
        return default


def _clean(value: str) -> str:
    """Undo the parser's surrogate escapes of 8-bit bytes: UTF-8 if it decodes, else Windows-1252."""
    if value.isascii() or not _SURROGATES.search(value):
        return value
    return _decode_8bit(value.encode("utf-8", "surrogateescape"))


def _decode_8bit(data: bytes) -> str:
    """Bytes of unknown charset: UTF-8 when they mostly are (a cut-off name keeps its valid part), else cp1252."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    text = data.decode("utf-8", "replace")
    broken = text.count("\ufffd")
    valid = sum(1 for c in text if ord(c) > 127 and c != "\ufffd")
    if valid >= 2 * broken:
        return text
    return data.decode("cp1252", "replace")


def _raw_text(value: str) -> str:
    """Unfolded (a fold is CRLF + whitespace: drop the line break, keep the whitespace) and trimmed."""
    return re.sub(r"\r?\n(?=[ \t])", "", _clean(value)).replace("\r", "").replace("\n", " ").strip()


def _decode_words(value: str) -> str:
    """Decode RFC 2047 encoded words leniently (unknown charsets and bad base64 degrade, never raise)."""
    try:
        chunks = decode_header(value)
    except Exception:
        return value
    out: list[str] = []
    previous_encoded = False
    for chunk, charset in chunks:
        if isinstance(chunk, str):
            out.append(chunk)
            previous_encoded = False
            continue
        text = _decode_bytes(chunk, charset)
        # decode_header drops the whitespace between an encoded word and the plain text after it
        if out and charset is None and previous_encoded and not text.startswith((" ", "\t")):
            text = " " + text
        if out and charset is not None and not previous_encoded and not out[-1].endswith((" ", "\t")):
            out[-1] += " "
        out.append(text)
        previous_encoded = charset is not None
    return "".join(out)


def _decode_header_value(value: str) -> str:
    value = _raw_text(value)
    text = _decode_words(value) if "=?" in value else value
    return _clean(text)


def _decode_bytes(data: bytes, charset: str | None) -> str:
    for candidate in (charset, "utf-8"):
        if not candidate:
            continue
        try:
            return data.decode(candidate)
        except (LookupError, UnicodeDecodeError, ValueError):
            continue
    if charset and charset.lower().replace("-", "") not in ("utf8", "usascii", "ascii"):
        try:
            return data.decode(charset, "replace")
        except (LookupError, ValueError):
            pass
    return _decode_8bit(data)


def _addresses(value: str | None) -> tuple[EmailAddress, ...]:
    if not value:
        return ()
    try:
        pairs = getaddresses([value])
    except Exception:
        pairs = [("", part.strip()) for part in value.split(",")]
    result: list[EmailAddress] = []
    for name, address in pairs:
        name = _decode_words(name).strip() if "=?" in name else name.strip()
        address = address.strip()
        if "=?" in address and not name:  # a broken encoded-word swallowed by the parser as an address
            address = _decode_words(address).strip()
        if name or address:
            result.append(EmailAddress(address=_clean(address), name=_clean(name)))
    if not result and value.strip():
        result.append(EmailAddress(address="", name=_decode_words(value).strip()))
    return tuple(result)


def _parse_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def _first_msgid(value: str | None) -> str | None:
    if not value:
        return None
    match = _MSGID_RE.search(value)
    if match:
        return match.group(0)
    value = value.strip()
    return f"<{value}>" if value and " " not in value else None


def _param_view(part: Message) -> Message:
    """Content-Type/Disposition with 8-bit bytes decoded, so parameters (filenames) come out as text."""
    view = Message()
    for name, value in _raw_items(part):
        if name.lower() in ("content-type", "content-disposition"):
            view[name] = _clean(value).replace("\r", "").replace("\n", " ")
    return view


def _part_filename(part: Message) -> str:
    view = _param_view(part)
    name: object = _safe(lambda: view.get_filename(), None)
    if not name:
        name = _safe(lambda: view.get_param("name"), None)
    if isinstance(name, tuple):  # an undecodable RFC 2231 value
        name = str(name[2]) if len(name) == 3 else ""
    if not isinstance(name, str):
        return ""
    name = _clean(name)
    if "=?" in name:
        name = _decode_words(name)
    return name.replace("\r", "").replace("\n", "").strip()


def _content_id(part: Message) -> str | None:
    value = next((v for k, v in _raw_items(part) if k.lower() == "content-id"), None)
    if value is None:
        return None
    text = _raw_text(value).strip().strip("<>").strip()
    return text or None


def _part_bytes(part: Message) -> bytes:
    if _safe(lambda: part.get_content_type(), "") == "message/rfc822" or part.is_multipart():
        payload = _safe(lambda: part.get_payload(), None)
        inner = payload[0] if isinstance(payload, list) and payload else payload
        if isinstance(inner, Message):
            return _safe(lambda: inner.as_bytes(policy=policy.compat32), b"")
    data = _safe(lambda: part.get_payload(decode=True), None)
    if isinstance(data, bytes):
        return data
    text = _safe(lambda: cast(object, part.get_payload()), cast(object, ""))
    if isinstance(text, str):
        return text.encode("utf-8", "surrogateescape")
    return b""


def _part_text(part: Message) -> str:
    data = _part_bytes(part)
    charset = _safe(lambda: part.get_content_charset(), None)
    return _decode_bytes(data, charset).replace("\r\n", "\n").replace("\r", "\n")


# ---------------------------------------------------------------- text helpers

_DROP_BLOCKS = re.compile(r"<(script|style|head|title)\b[^>]*>.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_COMMENTS = re.compile(r"<!--.*?-->", re.DOTALL)
_BREAKS = re.compile(r"<\s*(br|/p|/div|/tr|/h[1-6]|/li|/table|/blockquote|hr)\b[^>]*>", re.IGNORECASE)
_CELLS = re.compile(r"<\s*/t[dh]\s*>", re.IGNORECASE)
_TAGS = re.compile(r"<[^>]*>")
_SPACES = re.compile(r"[ \t\f\v\u00a0]+")
_MANY_NEWLINES = re.compile(r"\n{3,}")


def html_to_text(markup: str) -> str:
    """A readable plain-text rendering of HTML mail (no layout, just the words and line breaks)."""
    text = _COMMENTS.sub("", markup)
    text = _DROP_BLOCKS.sub("", text)
    text = _BREAKS.sub("\n", text)
    text = _CELLS.sub(" ", text)
    text = _TAGS.sub("", text)
    text = html.unescape(text)
    lines = [_SPACES.sub(" ", line).strip() for line in text.replace("\r", "").split("\n")]
    return _MANY_NEWLINES.sub("\n\n", "\n".join(lines)).strip()


def make_snippet(text: str, length: int = SNIPPET_LENGTH) -> str:
    """Gmail-like snippet: the start of the body on one line."""
    collapsed = " ".join(text.split())
    return collapsed[:length]
