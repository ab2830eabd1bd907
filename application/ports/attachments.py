"""AttachmentRepository: uploaded attachments' records (the bytes live in the BlobStore), on the unit of work."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Collection, Sequence
from datetime import datetime

from domain.attachments import Upload


class AttachmentRepository(ABC):
    """Hangs off the UnitOfWork as `attachments`; nothing is kept unless the unit of work commits."""

    @abstractmethod
    def add(self, upload: Upload) -> None: ...

    @abstractmethod
    def get(self, upload_id: str) -> Upload | None: ...

    @abstractmethod
    def update(self, upload: Upload) -> None: ...

    @abstractmethod
    def delete(self, upload_id: str) -> None: ...

    @abstractmethod
    def list_for_user(self, user_id: str, *, now: datetime, limit: int) -> Sequence[Upload]:
        """The user's uploads that have not expired at `now`, newest first, at most `limit`."""

    @abstractmethod
    def held_by(self, holder: str) -> Sequence[Upload]:
        """Uploads a draft or scheduled e-mail (`holder`) holds."""

    def held_by_any(self, holders: Collection[str]) -> Sequence[Upload]:
        """Uploads that at least one of `holders` holds, each once, oldest first (a batch of scheduled sends
        releases its holds in one read). Adapters may answer it with one query."""
        found: dict[str, Upload] = {}
        for holder in dict.fromkeys(holders):
            for upload in self.held_by(holder):
                found.setdefault(upload.id, upload)
        return sorted(found.values(), key=lambda u: (u.created_at, u.id))

    @abstractmethod
    def expired(self, now: datetime, *, limit: int) -> Sequence[Upload]:
        """Up to `limit` uploads nobody holds whose `expires_at` is at or before `now`, oldest first."""
