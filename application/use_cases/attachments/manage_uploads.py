"""Read, download and delete one's own uploads."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from application.ports.blob_store import BlobStore
from application.ports.clock import Clock
from application.ports.unit_of_work import UnitOfWork
from application.use_cases.attachments.common import owned_upload
from domain.attachments import AttachmentAuditAction, Upload
from domain.audit import AuditContext, AuditDraft
from domain.errors import Conflict
from domain.identity import Principal

PRESIGN_SECONDS = 300


@dataclass(frozen=True)
class UploadRef:
    principal: Principal
    upload_id: str
    context: AuditContext = AuditContext()


class GetUpload:
    def __init__(self, uow: UnitOfWork, clock: Clock) -> None:
        self.uow, self.clock = uow, clock

    def execute(self, inp: UploadRef) -> Upload:
        with self.uow as uow:
            return owned_upload(uow, inp.principal, inp.upload_id, self.clock.now())


class ListUploads:
    """The caller's uploads that can still be attached, newest first."""

    def __init__(self, uow: UnitOfWork, clock: Clock) -> None:
        self.uow, self.clock = uow, clock

    def execute(self, principal: Principal, limit: int = 50) -> list[Upload]:
        with self.uow as uow:
            return list(uow.attachments.list_for_user(principal.user_id, now=self.clock.now(), limit=limit))


@dataclass(frozen=True)
class Download:
    upload: Upload
    url: str | None  # a presigned URL that expires (S3), or None: stream `chunks`
    chunks: Iterator[bytes] | None


class DownloadUpload:
    """The owner's upload: a presigned URL when the store makes them (and `presign` is asked), else a stream."""

    def __init__(self, uow: UnitOfWork, blobs: BlobStore, clock: Clock, *, presign: bool = True) -> None:
        self.uow, self.blobs, self.clock, self.presign = uow, blobs, clock, presign

    def execute(self, inp: UploadRef) -> Download:
        with self.uow as uow:
            upload = owned_upload(uow, inp.principal, inp.upload_id, self.clock.now())
        if self.presign:
            url = self.blobs.presign_download(
                upload.blob_key, filename=upload.filename, expires_in_seconds=PRESIGN_SECONDS
            )
            if url is not None:
                return Download(upload, url, None)
        return Download(upload, None, self.blobs.get(upload.blob_key))


class DeleteUpload:
    def __init__(self, uow: UnitOfWork, blobs: BlobStore, clock: Clock) -> None:
        self.uow, self.blobs, self.clock = uow, blobs, clock

    def execute(self, inp: UploadRef) -> Upload:
        now = self.clock.now()
        with self.uow as uow:
            upload = owned_upload(uow, inp.principal, inp.upload_id, now)
            scheduled = sorted(h for h in upload.holders if h.startswith("scheduled:"))
            if scheduled:
                raise Conflict(
                    f"'{upload.filename}' is attached to a scheduled e-mail; cancel that first.",
                    details=[{"field": "attachment_id", "held_by": scheduled}],
                )
            uow.attachments.delete(upload.id)
            uow.audit.append(
                AuditDraft(
                    AttachmentAuditAction.DELETED,
                    actor_id=inp.principal.user_id,
                    target=f"attachment:{upload.id}",
                    context=inp.context,
                ),
                at=now,
            )
            uow.commit()
        self.blobs.delete(upload.blob_key)
        return upload
