"""One contract for BlobStore: the in-memory fake, local files (the embedded default) and S3 (moto in server mode)
must behave alike — streamed round trips (multipart on S3), missing keys, temporary marks, listing by age,
deleting, and refusing keys that could escape their folder."""

from __future__ import annotations

import hashlib
import io
import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from adapters.in_memory.blob_store import InMemoryBlobStore
from adapters.local_fs.blob_store import LocalBlobStore
from adapters.s3.blob_store import TEMPORARY_TAG, S3BlobStore
from adapters.system.clock import SystemClock
from application.ports.blob_store import BlobStore
from domain.errors import NotFound, ValidationFailed
from tests.support.moto import aws_client, moto_endpoint  # noqa: F401  (fixture)


@pytest.fixture(params=["memory", "local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BlobStore]:
    if request.param == "memory":
        yield InMemoryBlobStore(SystemClock())
    elif request.param == "local":
        yield LocalBlobStore(tmp_path / "blobs")
    else:
        endpoint = request.getfixturevalue("moto_endpoint")
        client = aws_client("s3", endpoint)
        bucket = f"contract-{uuid.uuid4().hex[:12]}"
        client.create_bucket(Bucket=bucket)
        yield S3BlobStore(client, bucket)


class CountingStream(io.BytesIO):
    """Records the largest single read: a store must read in chunks, not all at once."""

    largest = 0

    def read(self, size: int | None = -1) -> bytes:
        data = super().read(size)
        self.largest = max(self.largest, len(data))
        return data


@pytest.mark.property(63)
def test_round_trip_streams_in_chunks(store: BlobStore) -> None:
    payload = os.urandom(3 * 1024 * 1024 + 17)
    stream = CountingStream(payload)
    assert store.put("uploads/u1/a", stream, content_type="application/pdf") == len(payload)
    chunks = list(store.get("uploads/u1/a", chunk_bytes=256 * 1024))
    assert b"".join(chunks) == payload
    assert max(len(c) for c in chunks) <= 256 * 1024
    assert store.exists("uploads/u1/a") and not store.exists("uploads/u1/b")


def test_put_starts_at_the_streams_position_and_replaces(store: BlobStore) -> None:
    stream = io.BytesIO(b"skip-me|keep me")
    stream.seek(8)
    assert store.put("uploads/u1/x", stream, content_type="text/plain") == 7
    store.put("uploads/u1/x", io.BytesIO(b"second"), content_type="text/plain")
    assert b"".join(store.get("uploads/u1/x")) == b"second"


@pytest.mark.property(63)
def test_large_file_goes_up_in_parts(store: BlobStore) -> None:
    payload = os.urandom(20 * 1024 * 1024 + 1)  # past the S3 multipart threshold (8 MiB parts)
    stream = CountingStream(payload)
    assert store.put("uploads/u1/big", stream, content_type="application/octet-stream") == len(payload)
    assert stream.largest <= 8 * 1024 * 1024  # never the whole file in one read
    digest = hashlib.sha256()
    for chunk in store.get("uploads/u1/big"):
        digest.update(chunk)
    assert digest.hexdigest() == hashlib.sha256(payload).hexdigest()


def test_missing_keys_are_not_found_at_once(store: BlobStore) -> None:
    with pytest.raises(NotFound):
        store.get("uploads/nobody/nothing")
    with pytest.raises(NotFound):
        store.presign_download("uploads/nobody/nothing", filename="x", expires_in_seconds=60)
    with pytest.raises(NotFound):
        store.set_temporary("uploads/nobody/nothing", False)
    store.delete("uploads/nobody/nothing")  # deleting what is gone is fine


@pytest.mark.parametrize("key", ["../etc/passwd", "uploads/../x", "/abs", "a//b", "a/./b", "sp ace", "", "a\nb"])
def test_keys_that_could_escape_are_refused(store: BlobStore, key: str) -> None:
    with pytest.raises(ValidationFailed):
        store.put(key, io.BytesIO(b"x"), content_type="text/plain")
    with pytest.raises(ValidationFailed):
        store.get(key)


def test_delete_and_list_older_than(store: BlobStore) -> None:
    store.put("uploads/u1/old", io.BytesIO(b"1"), content_type="text/plain")
    store.put("uploads/u2/kept", io.BytesIO(b"22"), content_type="text/plain", temporary=False)
    store.put("other/z", io.BytesIO(b"333"), content_type="text/plain")
    now = datetime.now(UTC)
    listed = {b.key: b for b in store.list_older_than("uploads/", now + timedelta(minutes=10))}
    assert set(listed) == {"uploads/u1/old", "uploads/u2/kept"}
    assert listed["uploads/u1/old"].temporary and not listed["uploads/u2/kept"].temporary
    assert listed["uploads/u2/kept"].size == 2
    assert abs(listed["uploads/u1/old"].last_modified - now) < timedelta(minutes=5)
    assert list(store.list_older_than("uploads/", now - timedelta(minutes=10))) == []
    store.set_temporary("uploads/u2/kept", True)
    store.set_temporary("uploads/u1/old", False)
    listed = {b.key: b for b in store.list_older_than("uploads/", now + timedelta(minutes=10))}
    assert listed["uploads/u2/kept"].temporary and not listed["uploads/u1/old"].temporary
    store.delete("uploads/u1/old")
    assert not store.exists("uploads/u1/old")
    assert [b.key for b in store.list_older_than("uploads/", now + timedelta(minutes=10))] == ["uploads/u2/kept"]


def test_presigned_download_or_none(store: BlobStore) -> None:
    store.put("uploads/u1/p", io.BytesIO(b"presigned bytes"), content_type="text/html")
    url = store.presign_download("uploads/u1/p", filename="Zoë report.html", expires_in_seconds=60)
    if isinstance(store, S3BlobStore):
        assert url is not None
        response = httpx.get(url)
        assert response.status_code == 200 and response.content == b"presigned bytes"
        assert response.headers["content-type"] == "application/octet-stream"  # never rendered as HTML
        assert response.headers["content-disposition"].startswith("attachment;")
        assert "Zo%C3%AB%20report.html" in response.headers["content-disposition"]
    else:
        assert url is None  # the caller streams instead


def test_s3_objects_carry_the_lifecycle_tag(moto_endpoint: str) -> None:  # noqa: F811
    client = aws_client("s3", moto_endpoint)
    bucket = f"tags-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=bucket)
    store = S3BlobStore(client, bucket)
    store.put("uploads/u/a", io.BytesIO(b"a"), content_type="text/plain")
    store.put("uploads/u/b", io.BytesIO(os.urandom(9 * 1024 * 1024)), content_type="text/plain")  # multipart
    for key in ("uploads/u/a", "uploads/u/b"):
        tags = client.get_object_tagging(Bucket=bucket, Key=key)["TagSet"]
        assert {"Key": TEMPORARY_TAG, "Value": "true"} in tags
    store.set_temporary("uploads/u/a", False)
    tags = client.get_object_tagging(Bucket=bucket, Key="uploads/u/a")["TagSet"]
    assert {"Key": TEMPORARY_TAG, "Value": "false"} in tags
    assert client.head_object(Bucket=bucket, Key="uploads/u/a")["ContentType"] == "text/plain"
