"""The periodic sweep: delete uploads nobody used within 24 hours (rows first, then bytes), and stray blobs."""

from __future__ import annotations

from dataclasses import dataclass

from application.ports.blob_store import BlobStore
from application.ports.clock import Clock
from application.ports.unit_of_work import UnitOfWork
from domain.attachments import UPLOAD_LIFETIME, UPLOAD_PREFIX, AttachmentAuditAction
from domain.audit import AuditContext, AuditDraft

BATCH = 500


@dataclass(frozen=True)
class Expired:
    uploads: int  # records (and their bytes) whose time ran out
    strays: int  # blobs without a record (an upload that crashed before its record was committed)


class ExpireUploads:
    def __init__(self, uow: UnitOfWork, blobs: BlobStore, clock: Clock) -> None:
        self.uow, self.blobs, self.clock = uow, blobs, clock

    def execute(self) -> Expired:
        now = self.clock.now()
        removed = 0
        while True:
            with self.uow as uow:
                batch = uow.attachments.expired(now, limit=BATCH)
                # A hold taken since the listing keeps an upload: check each again in this transaction.
                gone = [u for u in batch if (c := uow.attachments.get(u.id)) is not None and c.is_expired(now)]
                for upload in gone:
                    uow.attachments.delete(upload.id)
                if gone:
                    uow.audit.append(
                        AuditDraft(
                            AttachmentAuditAction.EXPIRED,
                            actor_id=None,
                            target=None,
                            context=AuditContext(),
                            details={"count": len(gone)},
                        ),
                        at=now,
                    )
                uow.commit()
            for upload in gone:  # after the commit: a failure here leaves a stray the next run removes
                self.blobs.delete(upload.blob_key)
            removed += len(gone)
            if len(batch) < BATCH:
                break
        strays = 0
        for info in self.blobs.list_older_than(UPLOAD_PREFIX, now - UPLOAD_LIFETIME):
            if not info.temporary:
                continue
            upload_id = info.key.rsplit("/", 1)[-1]
            with self.uow as uow:
                known = uow.attachments.get(upload_id) is not None
            if not known:
                self.blobs.delete(info.key)
                strays += 1
        return Expired(removed, strays)
