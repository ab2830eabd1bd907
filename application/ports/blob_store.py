"""BlobStore: files by key — put as a stream, get as a stream, presign a download, delete, list older than."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO

from domain.errors import NotFound

CHUNK_BYTES = 1024 * 1024


@dataclass(frozen=True)
class BlobInfo:
    key: str
    size: int
    last_modified: datetime  # aware UTC
    temporary: bool  # still subject to the store's own expiry (the S3 lifecycle rule) as a second line


class BlobStore(ABC):
    """Keys are `/`-separated paths of letters, digits, `-`, `_` and `.` (never `..`): ValidationFailed
    otherwise. A missing key raises NotFound; an unreachable store raises ServiceUnavailable."""

    @abstractmethod
    def put(self, key: str, stream: BinaryIO, *, content_type: str, temporary: bool = True) -> int:
        """Store what `stream` yields from its current position to its end (read in chunks, never whole), under
        `key`, replacing what was there; return the number of bytes stored. `temporary` marks the blob for the
        store's own expiry rule (see `set_temporary`)."""

    @abstractmethod
    def get(self, key: str, *, chunk_bytes: int = CHUNK_BYTES) -> Iterator[bytes]:
        """The blob's bytes in chunks of at most `chunk_bytes`. NotFound is raised on the call, not mid-stream."""

    @abstractmethod
    def presign_download(self, key: str, *, filename: str, expires_in_seconds: int) -> str | None:
        """A URL that downloads the blob as an attachment named `filename` for `expires_in_seconds`, without
        credentials; None when this store cannot make one (the caller streams `get` instead)."""

    @abstractmethod
    def set_temporary(self, key: str, temporary: bool) -> None:
        """Mark whether the store's own expiry (a lifecycle rule) may delete the blob: held blobs are not."""

    @abstractmethod
    def delete(self, key: str) -> None:
        """Remove the blob; nothing happens when it is already gone."""

    @abstractmethod
    def list_older_than(self, prefix: str, cutoff: datetime) -> Iterator[BlobInfo]:
        """Every blob under `prefix` last written before `cutoff`, in no particular order."""

    def exists(self, key: str) -> bool:
        try:
            self.get(key, chunk_bytes=1)
        except NotFound:
            return False
        return True
