"""InMemoryBlobStore: blobs in a dict (tests and a diskless embedded run); the same contract as S3 and local files."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from typing import BinaryIO

from application.ports.blob_store import CHUNK_BYTES, BlobInfo, BlobStore
from application.ports.clock import Clock
from domain.attachments import check_blob_key
from domain.errors import NotFound


@dataclass(frozen=True)
class _Blob:
    content: bytes
    content_type: str
    last_modified: datetime
    temporary: bool


class InMemoryBlobStore(BlobStore):
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._blobs: dict[str, _Blob] = {}
        self._lock = threading.Lock()

    def put(self, key: str, stream: BinaryIO, *, content_type: str, temporary: bool = True) -> int:
        check_blob_key(key)
        data = bytearray()
        while chunk := stream.read(CHUNK_BYTES):
            data += chunk
        with self._lock:
            self._blobs[key] = _Blob(bytes(data), content_type, self.clock.now(), temporary)
        return len(data)

    def _blob(self, key: str) -> _Blob:
        check_blob_key(key)
        with self._lock:
            blob = self._blobs.get(key)
        if blob is None:
            raise NotFound("There is no such file (it may have expired).")
        return blob

    def get(self, key: str, *, chunk_bytes: int = CHUNK_BYTES) -> Iterator[bytes]:
        content = self._blob(key).content
        return (content[i : i + chunk_bytes] for i in range(0, len(content), chunk_bytes))

    def presign_download(self, key: str, *, filename: str, expires_in_seconds: int) -> str | None:
        self._blob(key)
        return None

    def set_temporary(self, key: str, temporary: bool) -> None:
        blob = self._blob(key)
        with self._lock:
            self._blobs[key] = replace(blob, temporary=temporary)

    def delete(self, key: str) -> None:
        check_blob_key(key)
        with self._lock:
            self._blobs.pop(key, None)

    def list_older_than(self, prefix: str, cutoff: datetime) -> Iterator[BlobInfo]:
        with self._lock:
            found = [
                BlobInfo(k, len(b.content), b.last_modified, b.temporary)
                for k, b in self._blobs.items()
                if k.startswith(prefix) and b.last_modified < cutoff
            ]
        return iter(found)

    # inspection helpers for tests
    @property
    def keys(self) -> list[str]:
        with self._lock:
            return sorted(self._blobs)
