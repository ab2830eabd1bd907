"""S3BlobStore: blobs as S3 objects — multipart uploads from a stream, ranged streaming reads, presigned downloads,
and an object tag the bucket's lifecycle rule uses to expire forgotten uploads (see docs/attachments.md)."""

from __future__ import annotations

import contextlib
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from typing import Any, BinaryIO, NoReturn
from urllib.parse import quote

from botocore.exceptions import BotoCoreError, ClientError

from application.ports.blob_store import CHUNK_BYTES, BlobInfo, BlobStore
from domain.attachments import check_blob_key
from domain.errors import NotFound, ServiceUnavailable

TEMPORARY_TAG = "mailagent-temporary"
_MISSING = "There is no such file (it may have expired)."
_UNAVAILABLE = "The file store (S3) cannot be reached right now; try again shortly."

# Multipart in parts of 5 MiB (the S3 minimum), two uploading while the next is read: a 25 MB file goes up in 5
# parts with at most ~15 MiB of it in memory. (s3transfer's upload_fileobj reads a file object's parts ahead into
# memory — the whole 25 MB in our measurements — so the parts are sent here with the client's own calls.)
PART_BYTES = 5 * 1024 * 1024
PARTS_IN_FLIGHT = 2


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _unavailable(exc: Exception) -> NoReturn:
    raise ServiceUnavailable(_UNAVAILABLE, service="s3") from exc


class S3BlobStore(BlobStore):
    def __init__(self, client: Any, bucket: str, *, part_bytes: int = PART_BYTES) -> None:
        self.client, self.bucket, self.part_bytes = client, bucket, part_bytes

    def put(self, key: str, stream: BinaryIO, *, content_type: str, temporary: bool = True) -> int:
        check_blob_key(key)
        extra = {"ContentType": content_type, "Tagging": f"{TEMPORARY_TAG}={str(temporary).lower()}"}
        first = stream.read(self.part_bytes)
        try:
            second = stream.read(self.part_bytes)
            if not second:  # one part's worth or less: a plain PUT
                self.client.put_object(Bucket=self.bucket, Key=key, Body=first, **extra)
                return len(first)
            return self._multipart(key, extra, first, second, stream)
        except (ClientError, BotoCoreError) as exc:
            _unavailable(exc)

    def _multipart(self, key: str, extra: dict[str, str], first: bytes, second: bytes, stream: BinaryIO) -> int:
        upload_id = self.client.create_multipart_upload(Bucket=self.bucket, Key=key, **extra)["UploadId"]

        def send(number: int, body: bytes) -> dict[str, Any]:
            answer = self.client.upload_part(
                Bucket=self.bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=body
            )
            return {"PartNumber": number, "ETag": answer["ETag"]}

        done: list[dict[str, Any]] = []
        size = 0
        try:
            with ThreadPoolExecutor(max_workers=PARTS_IN_FLIGHT, thread_name_prefix="s3-part") as pool:
                flying: deque[Future[dict[str, Any]]] = deque()
                number, body = 1, first
                while body:
                    size += len(body)
                    flying.append(pool.submit(send, number, body))
                    if len(flying) >= PARTS_IN_FLIGHT:
                        done.append(flying.popleft().result())
                    number += 1
                    body = second if number == 2 else stream.read(self.part_bytes)
                    second = b""
                done.extend(f.result() for f in flying)
            self.client.complete_multipart_upload(
                Bucket=self.bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": done}
            )
        except BaseException:
            with contextlib.suppress(ClientError, BotoCoreError):
                self.client.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id)
            raise
        return size

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
