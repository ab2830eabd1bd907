"""What the attachment use cases share: a measuring reader, the owner check, holds, and the blocked-file audit."""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable, Iterator
from datetime import datetime
from typing import BinaryIO

from application.ports.blob_store import CHUNK_BYTES
from application.ports.content_sniffer import SNIFF_BYTES
from application.ports.unit_of_work import UnitOfWork
from domain.attachments import MAX_ATTACHMENT_BYTES, AttachmentAuditAction, Upload, too_large
from domain.audit import AuditContext, AuditDraft
from domain.errors import NotFound, PermissionDenied
from domain.identity import Principal, Scope

NOT_FOUND = "No attachment with that id."
EXPIRED = (
    "This attachment has expired: uploads are kept 24 hours unless a draft or a scheduled e-mail uses them. "
    "Upload it again."
)


class MeasuringReader:
    """Reads a stream once in chunks while hashing (SHA-256), counting and keeping the first bytes for sniffing;
    raises PayloadTooLarge as soon as more than `limit` bytes came through."""

    def __init__(self, stream: BinaryIO, limit: int = MAX_ATTACHMENT_BYTES) -> None:
        self.stream, self.limit = stream, limit
        self.size = 0
        self.head = b""
        self._hash = hashlib.sha256()

    def chunks(self, chunk_bytes: int = CHUNK_BYTES) -> Iterator[bytes]:
        while chunk := self.stream.read(chunk_bytes):
            self.size += len(chunk)
            if self.size > self.limit:
                raise too_large()
            if len(self.head) < SNIFF_BYTES:
                self.head += chunk[: SNIFF_BYTES - len(self.head)]
            self._hash.update(chunk)
            yield chunk

    def drain(self) -> None:
        for _ in self.chunks():
            pass

    @property
    def sha256(self) -> str:
        return self._hash.hexdigest()


def sha256_of(chunks: Iterable[bytes]) -> tuple[bytes, str]:
    data = b"".join(chunks)
    return data, hashlib.sha256(data).hexdigest()


def require_compose_scope(principal: Principal) -> None:
    """Uploading is part of writing mail: a credential that may send or keep drafts may upload."""
    if not (principal.has_scope(Scope.MAIL_SEND) or principal.has_scope(Scope.MAIL_MODIFY)):
        raise PermissionDenied("This credential lacks the 'mail:send' or 'mail:modify' scope.")


def owned_upload(uow: UnitOfWork, principal: Principal, upload_id: str, now: datetime) -> Upload:
    """The caller's own, unexpired upload; anybody else's id is simply not found."""
    upload = uow.attachments.get(upload_id)
    if upload is None or upload.user_id != principal.user_id:
        raise NotFound(NOT_FOUND, details=[{"field": "attachment_ids", "id": upload_id[:64]}])
    if upload.is_expired(now):
        raise NotFound(EXPIRED, details=[{"field": "attachment_ids", "id": upload_id}])
    return upload


def release_holds(uow: UnitOfWork, holder: str, now: datetime) -> None:
    """The draft or scheduled e-mail `holder` no longer needs its uploads: each expires 24 h from now unless
    something else still holds it. Runs inside the caller's transaction."""
    for upload in uow.attachments.held_by(holder):
        uow.attachments.update(upload.release(holder, now))


def release_holds_many(uow: UnitOfWork, holders: Collection[str], now: datetime) -> None:
    """`release_holds` for several holders (a batch of scheduled sends) with one read."""
    wanted = frozenset(holders)
    for upload in uow.attachments.held_by_any(wanted):
        released = upload
        for holder in sorted(upload.holders & wanted):
            released = released.release(holder, now)
        uow.attachments.update(released)


def audit_blocked(
    uow: UnitOfWork,
    principal: Principal,
    *,
    filename: str,
    signature: str | None,
    when: str,
    context: AuditContext,
    now: datetime,
    target: str | None = None,
) -> None:
    uow.audit.append(
        AuditDraft(
            AttachmentAuditAction.BLOCKED,
            actor_id=principal.user_id,
            target=target,
            context=context,
            details={"filename": filename[:255], "signature": (signature or "")[:200], "when": when},
        ),
        at=now,
    )
    uow.commit()
