"""Attachments: the blob store (local files or S3), the malware scanner (clamd, or none in the embedded default),
content sniffing, and the use cases that upload, read, delete, expire and attach uploads. boto3 and libmagic are
imported only when first used."""

from __future__ import annotations

from typing import Any

from dependency_injector import containers, providers

from application.use_cases.attachments.expire_uploads import ExpireUploads
from application.use_cases.attachments.manage_uploads import DeleteUpload, DownloadUpload, GetUpload, ListUploads
from application.use_cases.attachments.outgoing import OutgoingAttachments
from application.use_cases.attachments.upload_attachment import UploadAttachment
from entrypoints.settings import Settings


def _blob_store(settings: Settings) -> Any:
    if settings.blob_backend == "s3":
        from adapters.s3.blob_store import build_s3_blob_store

        return build_s3_blob_store(
            bucket=settings.s3_bucket or "",
            region=settings.aws_region,
            endpoint_url=settings.s3_endpoint_url or settings.aws_endpoint_url,
        )
    from adapters.local_fs.blob_store import LocalBlobStore

    return LocalBlobStore(settings.attachments_dir)


def _malware_scanner(settings: Settings) -> Any:
    """clamd when configured; otherwise the embedded default scans nothing (and says so), production refuses."""
    if settings.clamd_address:
        from adapters.clamav.malware_scanner import ClamdScanner

        return ClamdScanner(settings.clamd_address, timeout_seconds=settings.clamd_timeout_seconds)
    from adapters.in_memory.malware_scanner import MissingMalwareScanner, UnscannedMalwareScanner

    return UnscannedMalwareScanner() if settings.profile == "local" else MissingMalwareScanner()


def _content_sniffer() -> Any:
    from adapters.libmagic.content_sniffer import LibmagicContentSniffer

    return LibmagicContentSniffer()


class AttachmentsContainer(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=Settings)
    uow = providers.Dependency()
    clock = providers.Dependency()

    blob_store = providers.Singleton(_blob_store, settings)
    malware_scanner = providers.Singleton(_malware_scanner, settings)
    content_sniffer = providers.Singleton(_content_sniffer)
    outgoing_attachments = providers.Factory(OutgoingAttachments, uow, blob_store, malware_scanner, clock)
    upload_attachment = providers.Factory(UploadAttachment, uow, blob_store, malware_scanner, content_sniffer, clock)
    get_upload = providers.Factory(GetUpload, uow, clock)
    list_uploads = providers.Factory(ListUploads, uow, clock)
    download_upload = providers.Factory(
        DownloadUpload, uow, blob_store, clock, presign=settings.provided.attachment_presigned_downloads
    )
    delete_upload = providers.Factory(DeleteUpload, uow, blob_store, clock)
    expire_uploads = providers.Factory(ExpireUploads, uow, blob_store, clock)
