"""The events outbox and the job outbox on SQLAlchemy (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session as OrmSession

from adapters.sqlalchemy.models import EventRow, JobOutboxRow
from application.ports.unit_of_work import EventStore, JobOutbox, OutboxJob
from domain.events import DomainEvent, EventType, StoredEvent


def _stored(row: EventRow | Row[Any]) -> StoredEvent:  # an ORM object or a Core row: the same fields
    return StoredEvent(
        seq=row.seq,
        event=DomainEvent(
            id=row.id,
            user_id=row.user_id,
            type=EventType(row.type),
            occurred_at=row.occurred_at,
            data=row.data,
            account_id=row.account_id,
        ),
    )


class SqlAlchemyEventStore(EventStore):
    def __init__(self, session: OrmSession) -> None:
        self.s = session

    def append(self, event: DomainEvent) -> bool:
        values = {
            "id": event.id,
            "user_id": event.user_id,
            "account_id": event.account_id,
            "type": event.type.value,
            "data": dict(event.data),
            "occurred_at": event.occurred_at,
            "published_at": None,
        }
        # INSERT .. ON CONFLICT DO NOTHING: a duplicate must not abort the caller's transaction.
        dialect = self.s.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        # RETURNING tells reliably whether the row went in (the ORM statement's rowcount does not on PostgreSQL).
        stmt = insert(EventRow).values(**values).on_conflict_do_nothing(index_elements=["id"])
        return self.s.execute(stmt.returning(EventRow.seq)).first() is not None

    def append_many(self, events: Sequence[DomainEvent]) -> int:
        if len(events) < 2:
            return sum(1 for event in events if self.append(event))
        rows = [
            {
                "id": e.id,
                "user_id": e.user_id,
                "account_id": e.account_id,
                "type": e.type.value,
                "data": dict(e.data),
                "occurred_at": e.occurred_at,
                "published_at": None,
            }
            for e in events
        ]
        dialect = self.s.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        # INSERT .. ON CONFLICT DO NOTHING with the rows as parameters: SQLAlchemy sends them as multi-row VALUES
        # ("insertmanyvalues", rows take their seqs in the order given) from one statement compiled once, instead
        # of compiling a new statement for every list of rows.
        table = EventRow.__table__
        stmt = (
            insert(table)
            .on_conflict_do_nothing(index_elements=["id"])
            .returning(table.c.seq, sort_by_parameter_order=True)
        )
        return len(self.s.execute(stmt, rows).all())

    def after(self, user_id: str, after_seq: int, *, limit: int) -> Sequence[StoredEvent]:
        rows = self.s.scalars(
            select(EventRow)
            .where(EventRow.user_id == user_id, EventRow.seq > after_seq)
            .order_by(EventRow.seq)
            .limit(limit)
        )
        return [_stored(r) for r in rows]

    def latest_seq(self, user_id: str) -> int:
        return int(self.s.scalar(select(func.max(EventRow.seq)).where(EventRow.user_id == user_id)) or 0)

    def claim_unpublished(self, *, limit: int, at: datetime) -> Sequence[StoredEvent]:
        # Core rows, not ORM objects: the relay reads every event once, and a burst of sends makes thousands.
        table = EventRow.__table__
        rows = self.s.execute(
            select(table)
            .where(table.c.published_at.is_(None))
            .order_by(table.c.seq)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        if not rows:
            return []
        # Only rows this statement itself marked count as claimed. PostgreSQL locked them above, so that is all of
        # them; SQLite ignores FOR UPDATE and reads outside the write transaction, so a concurrent claimer may have
        # marked some meanwhile (its commit releases the write lock this UPDATE waited for).
        claimed = set(
            self.s.scalars(
                update(EventRow)
                .where(EventRow.seq.in_([r.seq for r in rows]), EventRow.published_at.is_(None))
                .values(published_at=at)
                .returning(EventRow.seq)
                .execution_options(synchronize_session=False)
            )
        )
        return [_stored(r) for r in rows if r.seq in claimed]

    def prune(self, *, before: datetime) -> int:
        result = self.s.execute(
            delete(EventRow).where(EventRow.occurred_at < before, EventRow.published_at.is_not(None))
        )
        return int(getattr(result, "rowcount", 0) or 0)


class SqlAlchemyJobOutbox(JobOutbox):
    def __init__(self, session: OrmSession) -> None:
        self.s = session

    def add(self, job: OutboxJob) -> None:
        self.s.add(
            JobOutboxRow(
                id=job.id,
                name=job.name,
                payload=dict(job.payload),
                job_id=job.job_id,
                run_at=job.run_at,
                max_attempts=job.max_attempts,
                base_delay_seconds=job.base_delay_seconds,
                max_delay_seconds=job.max_delay_seconds,
                jitter=job.jitter,
                created_at=job.created_at,
            )
        )
        self.s.flush()

    def claim(self, *, limit: int) -> Sequence[OutboxJob]:
        rows = list(
            self.s.scalars(
                select(JobOutboxRow)
                .order_by(JobOutboxRow.created_at, JobOutboxRow.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        )
        if not rows:
            return []
        # As in claim_unpublished: only the rows this DELETE removed are ours (SQLite has no row locks).
        claimed = set(
            self.s.scalars(
                delete(JobOutboxRow)
                .where(JobOutboxRow.id.in_([r.id for r in rows]))
                .returning(JobOutboxRow.id)
                .execution_options(synchronize_session=False)
            )
        )
        return [
            OutboxJob(
                id=r.id,
                name=r.name,
                payload=dict(r.payload),
                created_at=r.created_at,
                job_id=r.job_id,
                run_at=r.run_at,
                max_attempts=r.max_attempts,
                base_delay_seconds=r.base_delay_seconds,
                max_delay_seconds=r.max_delay_seconds,
                jitter=r.jitter,
            )
            for r in rows
            if r.id in claimed
        ]
