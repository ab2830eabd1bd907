"""S3BlobStore: blobs as S3 objects — multipart uploads from a stream, ranged streaming reads, presigned downloads,
and an object tag the bucket's lifecycle rule uses to expire forgotten uploads (see docs/attachments.md)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any, BinaryIO, NoReturn
from urllib.parse import quote

from boto3.s3.transfer import TransferConfig
from botocore.exceptions import BotoCoreError, ClientError

from application.ports.blob_store import CHUNK_BYTES, BlobInfo, BlobStore
from domain.attachments import check_blob_key
from domain.errors import NotFound, ServiceUnavailable

TEMPORARY_TAG = "mailagent-temporary"
_MISSING = "There is no such file (it may have expired)."
_UNAVAILABLE = "The file store (S3) cannot be reached right now; try again shortly."

# Parts of 8 MiB, two at a time: a 25 MB file goes up in 4 parts and never sits whole in memory.
TRANSFER = TransferConfig(
    multipart_threshold=8 * 1024 * 1024,
    multipart_chunksize=8 * 1024 * 1024,
    max_concurrency=2,
    io_chunksize=256 * 1024,
)


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _unavailable(exc: Exception) -> NoReturn:
    raise ServiceUnavailable(_UNAVAILABLE, service="s3") from exc


class _Counting:
    """A read-only view of a stream that counts what was read (upload_fileobj reports no size)."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream, self.count = stream, 0

    def read(self, size: int = -1) -> bytes:
        data = self.stream.read(size)
        self.count += len(data)
        return data


class S3BlobStore(BlobStore):
    def __init__(self, client: Any, bucket: str, *, transfer: TransferConfig = TRANSFER) -> None:
        self.client, self.bucket, self.transfer = client, bucket, transfer

    def put(self, key: str, stream: BinaryIO, *, content_type: str, temporary: bool = True) -> int:
        check_blob_key(key)
        counting = _Counting(stream)
        try:
            self.client.upload_fileobj(
                counting,
                self.bucket,
                key,
                ExtraArgs={"ContentType": content_type, "Tagging": f"{TEMPORARY_TAG}={str(temporary).lower()}"},
                Config=self.transfer,
            )
        except (ClientError, BotoCoreError) as exc:
            _unavailable(exc)
        return counting.count

    def get(self, key: str, *, chunk_bytes: int = CHUNK_BYTES) -> Iterator[bytes]:
        check_blob_key(key)
        try:
            body = self.client.get_object(Bucket=self.bucket, Key=key)["Body"]
        except ClientError as exc:
            if _code(exc) in ("NoSuchKey", "404", "NotFound"):
                raise NotFound(_MISSING) from None
            _unavailable(exc)
        except BotoCoreError as exc:
            _unavailable(exc)

        def chunks() -> Iterator[bytes]:
            try:
                yield from body.iter_chunks(chunk_bytes)
            finally:
                body.close()

        return chunks()

    def _head(self, key: str) -> None:
        try:
            self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if _code(exc) in ("NoSuchKey", "404", "NotFound"):
                raise NotFound(_MISSING) from None
            _unavailable(exc)
        except BotoCoreError as exc:
            _unavailable(exc)

    def presign_download(self, key: str, *, filename: str, expires_in_seconds: int) -> str | None:
        check_blob_key(key)
        self._head(key)
        try:
            url: str = self.client.generate_presigned_url(
                "get_object",
                Params={
                    "Bucket": self.bucket,
                    "Key": key,
                    # Always a download, never rendered by the browser on the bucket's origin.
                    "ResponseContentDisposition": f"attachment; filename*=UTF-8''{quote(filename)}",
                    "ResponseContentType": "application/octet-stream",
                },
                ExpiresIn=expires_in_seconds,
            )
        except (ClientError, BotoCoreError) as exc:
            _unavailable(exc)
        return url

    def set_temporary(self, key: str, temporary: bool) -> None:
        check_blob_key(key)
        try:
            self.client.put_object_tagging(
                Bucket=self.bucket,
                Key=key,
                Tagging={"TagSet": [{"Key": TEMPORARY_TAG, "Value": str(temporary).lower()}]},
            )
        except ClientError as exc:
            if _code(exc) in ("NoSuchKey", "404", "NotFound"):
                raise NotFound(_MISSING) from None
            _unavailable(exc)
        except BotoCoreError as exc:
            _unavailable(exc)

    def delete(self, key: str) -> None:
        check_blob_key(key)
        try:
            self.client.delete_object(Bucket=self.bucket, Key=key)
        except (ClientError, BotoCoreError) as exc:
            _unavailable(exc)

    def _temporary(self, key: str) -> bool:
        try:
            tags = self.client.get_object_tagging(Bucket=self.bucket, Key=key)["TagSet"]
        except (ClientError, BotoCoreError) as exc:
            _unavailable(exc)
        return any(t["Key"] == TEMPORARY_TAG and t["Value"] == "true" for t in tags)

    def list_older_than(self, prefix: str, cutoff: datetime) -> Iterator[BlobInfo]:
        try:
            pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix)
            for page in pages:
                for item in page.get("Contents", ()):
                    if item["LastModified"] < cutoff:
                        key = item["Key"]
                        yield BlobInfo(key, int(item["Size"]), item["LastModified"], self._temporary(key))
        except (ClientError, BotoCoreError) as exc:
            _unavailable(exc)


def build_s3_blob_store(*, bucket: str, region: str, endpoint_url: str | None) -> S3BlobStore:
    import boto3
    from botocore.config import Config

    client = boto3.client(
        "s3",
        region_name=region,
        endpoint_url=endpoint_url,
        config=Config(
            signature_version="s3v4",  # presigned URLs with X-Amz-Expires, as every region now requires
            s3={"addressing_style": "path" if endpoint_url else "auto"},  # MinIO and friends serve paths
            retries={"max_attempts": 3, "mode": "standard"},
            connect_timeout=5,
            read_timeout=60,
        ),
    )
    return S3BlobStore(client, bucket)


def lifecycle_rule(days: int = 1) -> dict[str, Any]:
    """The bucket rule behind the expiry job: objects under uploads/ still tagged temporary go after `days` (S3
    counts from creation, rounding to the next midnight UTC). Drafts' and scheduled e-mails' uploads are tagged
    `false` while held, so the rule leaves them alone. Infrastructure templates carry the same rule."""
    return {
        "ID": "mailagent-expire-unused-uploads",
        "Status": "Enabled",
        "Filter": {"And": {"Prefix": "uploads/", "Tags": [{"Key": TEMPORARY_TAG, "Value": "true"}]}},
        "Expiration": {"Days": days},
        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
    }
