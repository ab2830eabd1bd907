"""Uploaded attachments' records on SQLAlchemy (Core statements: no identity map hands back stale rows)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session as OrmSession

from adapters.sqlalchemy.models import AttachmentUploadRow
from application.ports.attachments import AttachmentRepository
from domain.attachments import ScanVerdict, Upload

T = AttachmentUploadRow.__table__


def _values(u: Upload) -> dict[str, Any]:
    return {
        "id": u.id,
        "user_id": u.user_id,
        "filename": u.filename,
        "content_type": u.content_type,
        "size": u.size,
        "sha256": u.sha256,
        "verdict": u.verdict.value,
        "blob_key": u.blob_key,
        "created_at": u.created_at,
        "expires_at": u.expires_at,
        "holders": sorted(u.holders),
    }


def _entity(row: Row[Any]) -> Upload:
    m = row._mapping
    return Upload(
        id=m["id"],
        user_id=m["user_id"],
        filename=m["filename"],
        content_type=m["content_type"],
        size=int(m["size"]),
        sha256=m["sha256"],
        verdict=ScanVerdict(m["verdict"]),
        blob_key=m["blob_key"],
        created_at=m["created_at"],
        expires_at=m["expires_at"],
        holders=frozenset(m["holders"] or ()),
    )


class SqlAlchemyAttachmentRepository(AttachmentRepository):
    def __init__(self, session: OrmSession) -> None:
        self.session = session

    def add(self, upload: Upload) -> None:
        self.session.execute(insert(T).values(**_values(upload)))

    def get(self, upload_id: str) -> Upload | None:
        row = self.session.execute(select(T).where(T.c.id == upload_id)).first()
        return _entity(row) if row is not None else None

    def update(self, upload: Upload) -> None:
        self.session.execute(update(T).where(T.c.id == upload.id).values(**_values(upload)))

    def delete(self, upload_id: str) -> None:
        self.session.execute(delete(T).where(T.c.id == upload_id))

    def list_for_user(self, user_id: str, *, now: datetime, limit: int) -> Sequence[Upload]:
        rows = self.session.execute(
            select(T)
            .where(T.c.user_id == user_id, or_(T.c.expires_at.is_(None), T.c.expires_at > now))
            .order_by(T.c.created_at.desc(), T.c.id.desc())
            .limit(limit)
        )
        return [_entity(r) for r in rows]

    def held_by(self, holder: str) -> Sequence[Upload]:
        # JSON containment differs between SQLite and PostgreSQL; holders are few per user, so filter here after
        # narrowing to rows that are held at all (expires_at is NULL exactly then).
        rows = self.session.execute(select(T).where(T.c.expires_at.is_(None)).order_by(T.c.created_at, T.c.id))
        return [u for u in map(_entity, rows) if holder in u.holders]

    def held_by_any(self, holders: Collection[str]) -> Sequence[Upload]:
        wanted = frozenset(holders)
        if not wanted:
            return []
        rows = self.session.execute(select(T).where(T.c.expires_at.is_(None)).order_by(T.c.created_at, T.c.id))
        return [u for u in map(_entity, rows) if u.holders & wanted]

    def expired(self, now: datetime, *, limit: int) -> Sequence[Upload]:
        rows = self.session.execute(
            select(T).where(T.c.expires_at.is_not(None), T.c.expires_at <= now).order_by(T.c.expires_at).limit(limit)
        )
        return [_entity(r) for r in rows]
