"""Uploaded attachments: the entity, its 24-hour lifetime and holds, scan verdicts, limits and safe file names."""

from __future__ import annotations

import enum
import re
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from domain.errors import DomainError, ValidationFailed

MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024  # per file and per message (what Gmail and most mail servers accept)
MAX_ATTACHMENTS_PER_MESSAGE = 20
UPLOAD_LIFETIME = timedelta(hours=24)
UPLOAD_PREFIX = "uploads/"
MAX_FILENAME_BYTES = 200
DEFAULT_FILENAME = "attachment"

LIMIT_TEXT = "25 MB"


class ScanVerdict(enum.StrEnum):
    CLEAN = "clean"
    INFECTED = "infected"
    NOT_SCANNED = "not_scanned"  # no malware scanner is configured (the embedded default without clamd)


@dataclass(frozen=True)
class ScanReport:
    verdict: ScanVerdict
    signature: str | None = None  # what the scanner found, when infected

    @property
    def infected(self) -> bool:
        return self.verdict is ScanVerdict.INFECTED


class AttachmentAuditAction:
    UPLOADED = "attachment.uploaded"
    BLOCKED = "attachment.blocked"  # malware found on upload, send or download
    DELETED = "attachment.deleted"
    EXPIRED = "attachment.expired"


class PayloadTooLarge(DomainError):
    code = "payload_too_large"


class MalwareDetected(DomainError):
    code = "malware_detected"


def too_large(what: str = "A file", field: str = "file") -> PayloadTooLarge:
    return PayloadTooLarge(
        f"{what} is larger than {LIMIT_TEXT}, the most a message may carry. Share large files as a link instead.",
        details=[{"field": field, "issue": "too_large", "limit_bytes": MAX_ATTACHMENT_BYTES}],
    )


def malware_found(filename: str, signature: str | None, when: str) -> MalwareDetected:
    found = f" ({signature})" if signature else ""
    return MalwareDetected(
        f"'{filename}' was refused {when}: the malware scanner found a threat in it{found}.",
        details=[{"field": "attachments", "issue": "malware", "filename": filename, "signature": signature}],
    )


@dataclass(frozen=True, kw_only=True)
class Upload:
    """A file uploaded once and attachable to any message of its owner. It expires UPLOAD_LIFETIME after upload
    (or after its last hold ended) unless a draft or a scheduled e-mail holds it; `holders` names them
    (`draft:<account>/<draft id>`, `scheduled:<id>`)."""

    id: str
    user_id: str
    filename: str
    content_type: str  # sniffed from the bytes, never the client's word
    size: int
    sha256: str
    verdict: ScanVerdict
    blob_key: str
    created_at: datetime
    expires_at: datetime | None
    holders: frozenset[str] = field(default_factory=frozenset)

    def is_expired(self, now: datetime) -> bool:
        return not self.holders and self.expires_at is not None and now >= self.expires_at

    def hold(self, holder: str) -> Upload:
        return replace(self, holders=self.holders | {holder}, expires_at=None)

    def release(self, holder: str, now: datetime) -> Upload:
        rest = self.holders - {holder}
        if rest:
            return replace(self, holders=rest)
        return replace(self, holders=frozenset(), expires_at=max(self.expires_at or now, now + UPLOAD_LIFETIME))


def blob_key_for(user_id: str, upload_id: str) -> str:
    return f"{UPLOAD_PREFIX}{user_id}/{upload_id}"


def draft_holder(account_id: str, draft_id: str) -> str:
    return f"draft:{account_id}/{draft_id}"


def scheduled_holder(scheduled_id: str) -> str:
    return f"scheduled:{scheduled_id}"


# ------------------------------------------------------------------------------------------------ file names
_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]')
_SPACES = re.compile(r"\s+")
_RESERVED = re.compile(r"^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$", re.IGNORECASE)


def _cut_utf8(text: str, limit: int) -> str:
    encoded = text.encode("utf-8")
    if len(encoded) <= limit:
        return text
    return encoded[:limit].decode("utf-8", errors="ignore")


def safe_filename(name: str | None) -> str:
    """A name safe in a header, a file system and a browser: NFC, the last path component only, no control or
    reserved characters, no leading dots, whitespace collapsed, at most MAX_FILENAME_BYTES of UTF-8 (the extension
    kept), never empty and never a Windows device name."""
    text = unicodedata.normalize("NFC", name or "")
    text = re.split(r"[/\\]", text)[-1]
    text = _UNSAFE.sub("_", text)
    text = "".join(ch for ch in text if unicodedata.category(ch) not in ("Cf", "Co", "Cs", "Zl", "Zp"))
    text = _SPACES.sub(" ", text).strip().lstrip(".").strip()
    text = text.rstrip(". ")
    if not text or not any(ch.isalnum() for ch in text):
        return DEFAULT_FILENAME
    if _RESERVED.match(text):
        text = f"_{text}"
    stem, dot, ext = text.rpartition(".")
    if dot and stem and 0 < len(ext.encode("utf-8")) <= 16:
        room = MAX_FILENAME_BYTES - len(ext.encode("utf-8")) - 1
        return f"{_cut_utf8(stem, room).rstrip('. ') or DEFAULT_FILENAME}.{ext}"
    return _cut_utf8(text, MAX_FILENAME_BYTES).rstrip(". ") or DEFAULT_FILENAME


_KEY_SEGMENT = re.compile(r"^[A-Za-z0-9_.-]{1,200}$")


def check_blob_key(key: str) -> str:
    """Blob keys are `/`-separated segments of letters, digits, `_`, `-` and `.` (no `.`/`..` segments)."""
    parts = key.split("/")
    if len(key) > 1000 or not all(_KEY_SEGMENT.match(p) and p not in (".", "..") for p in parts):
        raise ValidationFailed(f"'{key[:100]}' is not a valid blob key.")
    return key
