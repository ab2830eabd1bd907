"""Upload a file: size-checked, hashed and scanned as it streams, its type sniffed, then kept in the blob store."""

from __future__ import annotations

from dataclasses import dataclass
from typing import BinaryIO

from application.ports.blob_store import BlobStore
from application.ports.clock import Clock
from application.ports.content_sniffer import ContentSniffer
from application.ports.malware_scanner import MalwareScanner
from application.ports.unit_of_work import UnitOfWork
from application.use_cases.attachments.common import MeasuringReader, audit_blocked, require_compose_scope
from domain.attachments import (
    MAX_ATTACHMENT_BYTES,
    UPLOAD_LIFETIME,
    AttachmentAuditAction,
    Upload,
    blob_key_for,
    malware_found,
    safe_filename,
)
from domain.audit import AuditContext, AuditDraft
from domain.identity import Principal, new_id


@dataclass(frozen=True)
class UploadAttachmentInput:
    principal: Principal
    filename: str
    stream: BinaryIO  # seekable (a file, or the HTTP layer's spool): read once to scan, once to store
    context: AuditContext = AuditContext()


class UploadAttachment:
    def __init__(
        self,
        uow: UnitOfWork,
        blobs: BlobStore,
        scanner: MalwareScanner,
        sniffer: ContentSniffer,
        clock: Clock,
        *,
        max_bytes: int = MAX_ATTACHMENT_BYTES,
    ) -> None:
        self.uow, self.blobs, self.scanner, self.sniffer, self.clock = uow, blobs, scanner, sniffer, clock
        self.max_bytes = max_bytes

    def execute(self, inp: UploadAttachmentInput) -> Upload:
        require_compose_scope(inp.principal)
        filename = safe_filename(inp.filename)
        start = inp.stream.tell()
        reader = MeasuringReader(inp.stream, self.max_bytes)
        report = self.scanner.scan(reader.chunks())
        reader.drain()  # a scanner that stopped early still leaves the hash and size complete
        now = self.clock.now()
        if report.infected:
            with self.uow as uow:
                audit_blocked(
                    uow,
                    inp.principal,
                    filename=filename,
                    signature=report.signature,
                    when="upload",
                    context=inp.context,
                    now=now,
                )
            raise malware_found(filename, report.signature, "on upload")
        upload_id = new_id()
        upload = Upload(
            id=upload_id,
            user_id=inp.principal.user_id,
            filename=filename,
            content_type=self.sniffer.sniff(reader.head),
            size=reader.size,
            sha256=reader.sha256,
            verdict=report.verdict,
            blob_key=blob_key_for(inp.principal.user_id, upload_id),
            created_at=now,
            expires_at=now + UPLOAD_LIFETIME,
        )
        inp.stream.seek(start)
        self.blobs.put(upload.blob_key, inp.stream, content_type=upload.content_type, temporary=True)
        try:
            with self.uow as uow:
                uow.attachments.add(upload)
                uow.audit.append(
                    AuditDraft(
                        AttachmentAuditAction.UPLOADED,
                        actor_id=inp.principal.user_id,
                        target=f"attachment:{upload.id}",
                        context=inp.context,
                        details={"size": upload.size, "sha256": upload.sha256, "verdict": upload.verdict.value},
                    ),
                    at=now,
                )
                uow.commit()
        except BaseException:
            self.blobs.delete(upload.blob_key)
            raise
        return upload
