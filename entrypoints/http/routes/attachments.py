"""Attachments API: upload a file once (streamed, size-limited, scanned), download or delete it; attach it to any
message by its id (`attachment_ids` in send, draft, reply, forward and schedule)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, StreamingResponse
from pydantic import BaseModel, Field

from application.use_cases.attachments.manage_uploads import UploadRef
from application.use_cases.attachments.upload_attachment import UploadAttachmentInput
from domain.attachments import MAX_ATTACHMENT_BYTES, ScanVerdict, Upload
from entrypoints.http.deps import AuditContextDep, ContainerDep, PrincipalDep
from entrypoints.http.envelope import Envelope, ErrorEnvelope, ok
from entrypoints.http.upload_stream import receive_file

router = APIRouter(prefix="/attachments", tags=["attachments"])

VERDICT_HELP = (
    "clean: the malware scanner found nothing; not_scanned: this installation has no scanner configured (the "
    "embedded default without clamd); infected files are refused and never stored"
)


class AttachmentUploadOut(BaseModel):
    id: str = Field(description="Give it in `attachment_ids` when sending, saving a draft, replying, forwarding")
    filename: str = Field(description="The name, made safe (no paths, no control characters)")
    size: int = Field(ge=0, le=MAX_ATTACHMENT_BYTES)
    sha256: str = Field(pattern="^[0-9a-f]{64}$")
    content_type: str = Field(description="Sniffed from the bytes, not taken from the client")
    verdict: ScanVerdict = Field(description=VERDICT_HELP)
    created_at: datetime
    expires_at: datetime | None = Field(description="Deleted then unless a draft or scheduled e-mail uses it")
    in_use: bool = Field(description="A draft or a scheduled e-mail holds it (it does not expire meanwhile)")

    @classmethod
    def of(cls, u: Upload) -> AttachmentUploadOut:
        return cls(
            id=u.id,
            filename=u.filename,
            size=u.size,
            sha256=u.sha256,
            content_type=u.content_type,
            verdict=u.verdict,
            created_at=u.created_at,
            expires_at=u.expires_at,
            in_use=bool(u.holders),
        )


def _error(description: str) -> dict[str, object]:
    return {"model": ErrorEnvelope, "description": description}


UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {"file": {"type": "string", "format": "binary", "description": "At most 25 MB"}},
                }
            }
        },
    }
}


@router.post(
    "/upload",
    status_code=status.HTTP_201_CREATED,
    response_model=Envelope[AttachmentUploadOut],
    openapi_extra=UPLOAD_BODY,
    responses={
        413: _error("The file is larger than 25 MB (the body is not read further)"),
        422: _error("Not multipart/form-data with one `file` part, or malware was found (code malware_detected)"),
        501: _error("Production without a malware scanner configured (MAILAGENT_CLAMD_ADDRESS)"),
        502: _error("The malware scanner failed"),
        503: _error("The malware scanner or the file store cannot be reached"),
    },
)
async def upload(
    request: Request, principal: PrincipalDep, container: ContainerDep, ctx: AuditContextDep
) -> Envelope[AttachmentUploadOut]:
    """Upload one file (multipart part `file`): streamed to disk, never whole in memory; refused with 413 past 25 MB,
    scanned for malware (infected: 422 naming the file, audited), its type sniffed from its bytes, kept 24 hours
    unless a draft or scheduled e-mail uses it. `curl -F file=@report.pdf -H 'Authorization: Bearer …' …/upload`"""
    received = await receive_file(request, limit=MAX_ATTACHMENT_BYTES)
    try:
        use_case = container.upload_attachment()
        stored = await run_in_threadpool(
            use_case.execute, UploadAttachmentInput(principal, received.filename, received.spool, ctx)
        )
    finally:
        received.spool.close()
    return ok(AttachmentUploadOut.of(stored))


@router.get("", response_model=Envelope[list[AttachmentUploadOut]])
def list_attachments(
    principal: PrincipalDep,
    container: ContainerDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Envelope[list[AttachmentUploadOut]]:
    """Your uploads that can still be attached (not expired), newest first."""
    return ok([AttachmentUploadOut.of(u) for u in container.list_uploads().execute(principal, limit)])


@router.get("/{attachment_id}", response_model=Envelope[AttachmentUploadOut])
def get_attachment(
    attachment_id: str, principal: PrincipalDep, container: ContainerDep
) -> Envelope[AttachmentUploadOut]:
    """One of your uploads: name, size, SHA-256, type, scan verdict and when it expires."""
    return ok(AttachmentUploadOut.of(container.get_upload().execute(UploadRef(principal, attachment_id))))


@router.get(
    "/{attachment_id}/download",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"application/octet-stream": {}}, "description": "The file's bytes, streamed"},
        307: {"description": "A presigned S3 URL that expires in 5 minutes (blob_backend=s3)"},
    },
)
def download(attachment_id: str, principal: PrincipalDep, container: ContainerDep, ctx: AuditContextDep) -> object:
    """Download one of your uploads: streamed, or a redirect to a short-lived presigned URL on S3. Only its owner
    can; anyone else gets 404."""
    found = container.download_upload().execute(UploadRef(principal, attachment_id, ctx))
    if found.url is not None:
        return RedirectResponse(found.url, status_code=status.HTTP_307_TEMPORARY_REDIRECT)
    assert found.chunks is not None
    return StreamingResponse(
        found.chunks,
        media_type="application/octet-stream",  # never rendered by the browser, whatever was uploaded
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(found.upload.filename)}",
            "Content-Length": str(found.upload.size),
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.delete(
    "/{attachment_id}",
    response_model=Envelope[AttachmentUploadOut],
    responses={409: _error("A scheduled e-mail uses it: cancel that first")},
)
def delete(
    attachment_id: str, principal: PrincipalDep, container: ContainerDep, ctx: AuditContextDep
) -> Envelope[AttachmentUploadOut]:
    """Delete one of your uploads now (drafts that carry it keep their own copy)."""
    return ok(AttachmentUploadOut.of(container.delete_upload().execute(UploadRef(principal, attachment_id, ctx))))
