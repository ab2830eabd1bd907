"""InMemoryAttachmentRepository: uploaded attachments' records in the in-memory unit of work (same semantics as SQL)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from application.ports.attachments import AttachmentRepository
from domain.attachments import Upload

if TYPE_CHECKING:
    from adapters.in_memory.unit_of_work import _Tx


class InMemoryAttachmentRepository(AttachmentRepository):
    """Deleted rows are None tombstones so a delete inside a transaction hides the committed row."""

    def __init__(self, tx: _Tx) -> None:
        self.tx = tx

    def _live(self) -> list[Upload]:
        return [u for u in self.tx.values("attachments") if u is not None]

    def add(self, upload: Upload) -> None:
        self.tx.put("attachments", upload.id, upload)

    def get(self, upload_id: str) -> Upload | None:
        found: Upload | None = self.tx.get("attachments", upload_id)
        return found

    def update(self, upload: Upload) -> None:
        if self.get(upload.id) is not None:
            self.tx.put("attachments", upload.id, upload)

    def delete(self, upload_id: str) -> None:
        self.tx.put("attachments", upload_id, None)

    def list_for_user(self, user_id: str, *, now: datetime, limit: int) -> Sequence[Upload]:
        mine = [u for u in self._live() if u.user_id == user_id and not u.is_expired(now)]
        return sorted(mine, key=lambda u: (u.created_at, u.id), reverse=True)[:limit]

    def held_by(self, holder: str) -> Sequence[Upload]:
        return sorted((u for u in self._live() if holder in u.holders), key=lambda u: (u.created_at, u.id))

    def expired(self, now: datetime, *, limit: int) -> Sequence[Upload]:
        found = [u for u in self._live() if u.expires_at is not None and u.expires_at <= now]
        return sorted(found, key=lambda u: (u.expires_at or now, u.id))[:limit]
