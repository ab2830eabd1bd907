"""OutgoingAttachments: what every sending use case (send, draft, reply, forward, schedule, the agent's tools) does
with attachments — resolve upload ids into the very bytes uploaded (SHA-256 checked), scan everything that is about
to leave (uploads, files sent inline, forwarded originals), refuse an infected file by name and audit the attempt,
and hold uploads for drafts and scheduled e-mails."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from application.mail_compose import Compose
from application.ports.blob_store import BlobStore
from application.ports.clock import Clock
from application.ports.malware_scanner import MalwareScanner
from application.ports.unit_of_work import UnitOfWork
from application.use_cases.attachments.common import audit_blocked, owned_upload, release_holds, sha256_of
from domain.attachments import MAX_ATTACHMENTS_PER_MESSAGE, Upload, malware_found
from domain.audit import AuditContext
from domain.errors import Conflict, NotFound, ValidationFailed
from domain.identity import Principal
from domain.mail import OutgoingAttachment


@dataclass(frozen=True)
class Collected:
    compose: Compose  # attachments = the ones sent inline + the uploads' bytes, in that order; no ids left
    uploads: tuple[Upload, ...]


class OutgoingAttachments:
    def __init__(self, uow: UnitOfWork, blobs: BlobStore, scanner: MalwareScanner, clock: Clock) -> None:
        self.uow, self.blobs, self.scanner, self.clock = uow, blobs, scanner, clock

    def uploads(self, principal: Principal, ids: Sequence[str]) -> tuple[Upload, ...]:
        """The caller's own unexpired uploads for these ids (NotFound names none of anybody else's)."""
        unique = list(dict.fromkeys(ids))
        now = self.clock.now()
        with self.uow as uow:
            return tuple(owned_upload(uow, principal, upload_id, now) for upload_id in unique)

    def collect(self, principal: Principal, compose: Compose, context: AuditContext, *, when: str) -> Collected:
        """`when` reads in a sentence: "on send", "in a draft", "when scheduled"."""
        uploads = self.uploads(principal, compose.attachment_ids)
        if len(uploads) + len(compose.attachments) > MAX_ATTACHMENTS_PER_MESSAGE:
            raise ValidationFailed(
                f"A message can carry at most {MAX_ATTACHMENTS_PER_MESSAGE} attachments.",
                details=[{"field": "attachment_ids", "issue": "too_many"}],
            )
        files = [*compose.attachments, *(self._load(u) for u in uploads)]
        self.scan(principal, files, context, when=when)
        return Collected(replace(compose, attachments=tuple(files), attachment_ids=()), uploads)

    def _load(self, upload: Upload) -> OutgoingAttachment:
        try:
            content, digest = sha256_of(self.blobs.get(upload.blob_key))
        except NotFound:
            raise NotFound(
                f"The file of '{upload.filename}' is gone (it expired); upload it again.",
                details=[{"field": "attachment_ids", "id": upload.id}],
            ) from None
        if digest != upload.sha256:
            raise Conflict(
                f"'{upload.filename}' changed in storage since it was uploaded; upload it again.",
                details=[{"field": "attachment_ids", "id": upload.id, "issue": "hash_mismatch"}],
            )
        return OutgoingAttachment(filename=upload.filename, mime_type=upload.content_type, content=content)

    def scan(
        self, principal: Principal, files: Sequence[OutgoingAttachment], context: AuditContext, *, when: str
    ) -> None:
        for file in files:
            report = self.scanner.scan([file.content])
            if report.infected:
                with self.uow as uow:
                    audit_blocked(
                        uow,
                        principal,
                        filename=file.filename,
                        signature=report.signature,
                        when=when,
                        context=context,
                        now=self.clock.now(),
                    )
                raise malware_found(file.filename, report.signature, when)

    def hold(self, uploads: Sequence[Upload], holder: str, *, replace_previous: bool = True) -> None:
        """`holder` keeps exactly these uploads from expiring (releasing what it held before, when asked)."""
        now = self.clock.now()
        for upload in uploads:
            self.blobs.set_temporary(upload.blob_key, False)  # before the record: never a held blob left temporary
        wanted = {u.id for u in uploads}
        with self.uow as uow:
            if replace_previous:
                for previous in uow.attachments.held_by(holder):
                    if previous.id not in wanted:
                        uow.attachments.update(previous.release(holder, now))
            for upload in uploads:
                current = uow.attachments.get(upload.id)
                if current is not None:
                    uow.attachments.update(current.hold(holder))
            uow.commit()

    def release(self, holder: str) -> None:
        with self.uow as uow:
            release_holds(uow, holder, self.clock.now())
            uow.commit()
