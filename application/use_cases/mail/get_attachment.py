"""Download one attachment of a message, after the malware scanner let it through."""

from __future__ import annotations

from dataclasses import dataclass

from application.mail_access import MailAccess
from application.ports.mailbox import Mailbox
from application.ports.malware_scanner import MalwareScanner
from application.use_cases.attachments.common import audit_blocked
from domain.attachments import ScanVerdict, malware_found
from domain.audit import AuditContext, MailAuditAction
from domain.errors import NotFound
from domain.identity import Principal, Scope
from domain.mail import Attachment
from domain.mail_account import MailAccount


@dataclass(frozen=True)
class GetAttachmentInput:
    principal: Principal
    message_id: str
    attachment_id: str
    account_id: str | None = None
    context: AuditContext = AuditContext()


class GetAttachment:
    def __init__(self, access: MailAccess, scanner: MalwareScanner | None = None) -> None:
        self.access, self.scanner = access, scanner

    def execute(self, inp: GetAttachmentInput) -> tuple[Attachment, bytes]:
        meta, content, _ = self.scanned(inp)
        return meta, content

    def scanned(self, inp: GetAttachmentInput) -> tuple[Attachment, bytes, ScanVerdict]:
        """The attachment, its bytes and the scanner's verdict; MalwareDetected (audited) when infected."""

        def fetch(mb: Mailbox, _: MailAccount) -> tuple[Attachment, bytes]:
            meta = mb.get_message(inp.message_id).attachment(inp.attachment_id)
            if meta is None:
                raise NotFound("No attachment with that id on this message.")
            return meta, mb.get_attachment(inp.message_id, inp.attachment_id)

        account, (meta, content) = self.access.run(inp.principal, inp.account_id, Scope.MAIL_READ, fetch)
        target = f"attachment:{account.id}/{inp.message_id}/{inp.attachment_id}"
        verdict = ScanVerdict.NOT_SCANNED
        if self.scanner is not None:
            report = self.scanner.scan([content])
            verdict = report.verdict
            if report.infected:
                with self.access.uow as uow:
                    audit_blocked(
                        uow,
                        inp.principal,
                        filename=meta.filename,
                        signature=report.signature,
                        when="download",
                        context=inp.context,
                        now=self.access.clock.now(),
                        target=target,
                    )
                raise malware_found(meta.filename or "attachment", report.signature, "for download")
        self.access.audit(
            inp.principal,
            MailAuditAction.READ,
            target=target,
            context=inp.context,
        )
        return meta, content, verdict
