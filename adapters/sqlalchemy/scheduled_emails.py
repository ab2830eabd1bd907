"""Scheduled sends on SQLAlchemy: compare-and-set updates, and claiming due rows (SKIP LOCKED on PostgreSQL, one
conditional UPDATE under the write lock on SQLite). Core statements throughout, so no ORM identity map ever hands
back a row older than the last UPDATE."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, func, insert, or_, select, update
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session as OrmSession

from adapters.sqlalchemy.models import ScheduledEmailRow
from application.ports.scheduled_emails import ScheduledEmailRepository
from domain.errors import Conflict
from domain.scheduled_email import (
    ScheduledEmail,
    ScheduledStatus,
    message_from_dict,
    message_to_dict,
)

T = ScheduledEmailRow.__table__
# Built once: a compare-and-set update of every column. Reusing one statement object spares SQLAlchemy rebuilding
# and re-keying it for each row (most of the cost of a mark-sent on SQLite: bench/scheduled_sends.py).
_CAS_UPDATE = (
    update(T)
    .where(T.c.id == bindparam("cas_id"), T.c.version == bindparam("cas_expected"))
    .values({c.name: bindparam(c.name) for c in T.c if c.name != "id"})
)


def _values(email: ScheduledEmail) -> dict[str, Any]:
    return {
        "id": email.id,
        "user_id": email.user_id,
        "account_id": email.account_id,
        "message": message_to_dict(email.message),
        "message_id": email.message_id,
        "send_at": email.send_at,
        "timezone": email.timezone,
        "due_at": email.due_at,
        "status": email.status.value,
        "attempts": email.attempts,
        "lease_owner": email.lease_owner,
        "lease_expires_at": email.lease_expires_at,
        "provider_message_id": email.provider_message_id,
        "error": email.error,
        "created_at": email.created_at,
        "updated_at": email.updated_at,
        "sent_at": email.sent_at,
        "version": email.version,
    }


def _entity(row: Row[Any]) -> ScheduledEmail:
    m = row._mapping
    return ScheduledEmail(
        id=m["id"],
        user_id=m["user_id"],
        account_id=m["account_id"],
        message=message_from_dict(m["message"]),
        send_at=m["send_at"],
        timezone=m["timezone"],
        due_at=m["due_at"],
        status=ScheduledStatus(m["status"]),
        attempts=m["attempts"],
        lease_owner=m["lease_owner"],
        lease_expires_at=m["lease_expires_at"],
        provider_message_id=m["provider_message_id"],
        error=m["error"],
        created_at=m["created_at"],
        updated_at=m["updated_at"],
        sent_at=m["sent_at"],
        version=m["version"],
    )


class SqlAlchemyScheduledEmailRepository(ScheduledEmailRepository):
    def __init__(self, session: OrmSession) -> None:
        self.s = session

    def add(self, email: ScheduledEmail) -> None:
        self.s.execute(insert(T).values(**_values(email)))

    def get(self, email_id: str) -> ScheduledEmail | None:
        row = self.s.execute(select(T).where(T.c.id == email_id)).first()
        return _entity(row) if row is not None else None

    def list_for_user(
        self,
        user_id: str,
        *,
        statuses: Collection[ScheduledStatus] | None = None,
        offset: int = 0,
        limit: int = 50,
    ) -> tuple[Sequence[ScheduledEmail], int]:
        where = [T.c.user_id == user_id]
        if statuses:
            where.append(T.c.status.in_([s.value for s in statuses]))
        total = int(self.s.execute(select(func.count()).select_from(T).where(*where)).scalar_one())
        rows = self.s.execute(select(T).where(*where).order_by(T.c.send_at, T.c.id).offset(offset).limit(limit))
        return [_entity(r) for r in rows], total

    def update(self, email: ScheduledEmail, *, expected_version: int) -> None:
        values = _values(email)
        values["cas_id"] = values.pop("id")
        values["cas_expected"] = expected_version
        result = self.s.execute(_CAS_UPDATE, values)
        if not getattr(result, "rowcount", 0):
            raise Conflict("This scheduled email was changed meanwhile; load it again.")

    def update_all(self, changes: Sequence[tuple[ScheduledEmail, int]]) -> None:
        if len(changes) < 2 or not self.s.get_bind().dialect.supports_sane_multi_rowcount:
            super().update_all(changes)
            return
        rows = []
        for email, expected_version in changes:
            values = _values(email)
            values["cas_id"] = values.pop("id")
            values["cas_expected"] = expected_version
            rows.append(values)
        # One executemany: each parameter set matches at most its own row (by primary key), so the total count of
        # rows matched tells whether every compare-and-set held.
        result = self.s.execute(_CAS_UPDATE, rows)
        if getattr(result, "rowcount", 0) != len(rows):
            raise Conflict("A scheduled email of this batch was changed meanwhile; load it again.")

    def claim_due(self, *, now: datetime, lease_seconds: float, owner: str, limit: int) -> Sequence[ScheduledEmail]:
        if limit <= 0:
            return []
        claimable = or_(
            and_(T.c.status == ScheduledStatus.SCHEDULED.value, T.c.due_at <= now),
            and_(T.c.status == ScheduledStatus.SENDING.value, T.c.lease_expires_at <= now),
        )
        values = {
            "status": ScheduledStatus.SENDING.value,
            "lease_owner": owner[:64],
            "lease_expires_at": now + timedelta(seconds=lease_seconds),
            "attempts": T.c.attempts + 1,
            "version": T.c.version + 1,
            "updated_at": now,
        }
        picked = select(T.c.id).where(claimable).order_by(T.c.due_at, T.c.id).limit(limit)
        if self.s.get_bind().dialect.name == "postgresql":
            # Lock the picked rows, skipping those another transaction holds, so concurrent claimers take
            # disjoint batches without waiting; then update exactly those. (One UPDATE .. WHERE id IN (SELECT ..
            # LIMIT .. FOR UPDATE SKIP LOCKED) is not safe: the planner may run the subquery more than once.)
            ids = list(self.s.execute(picked.with_for_update(skip_locked=True)).scalars())
            if not ids:
                return []
            where = T.c.id.in_(ids)
        else:
            # SQLite: one statement under the database's write lock; a second claimer waits for the lock and then
            # sees the first one's rows as `sending`. (A SELECT first would take a read snapshot that cannot be
            # upgraded to a write once another claimer committed.)
            where = T.c.id.in_(picked.scalar_subquery())
        rows = self.s.execute(update(T).where(where, claimable).values(**values).returning(*T.c)).all()
        return sorted((_entity(r) for r in rows), key=lambda e: (e.due_at, e.id))
