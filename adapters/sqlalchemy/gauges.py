"""Counts the metrics endpoint samples from the database at scrape time (cheap, indexed queries)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from adapters.sqlalchemy.models import AgentPendingActionRow, MailAccountRow, MailSyncRow


def count_pending_actions(session_factory: sessionmaker[Session]) -> int:
    with session_factory() as session:
        return int(
            session.scalar(
                select(func.count()).select_from(AgentPendingActionRow).where(AgentPendingActionRow.status == "pending")
            )
            or 0
        )


def longest_sync_lag_seconds(session_factory: sessionmaker[Session], now: datetime) -> float:
    """Seconds since the least recently synced connected mailbox was synced (0 when none has synced yet)."""
    with session_factory() as session:
        oldest = session.scalar(
            select(func.min(MailSyncRow.last_synced_at))
            .join(MailAccountRow, MailAccountRow.id == MailSyncRow.account_id)
            .where(MailAccountRow.status == "active", MailSyncRow.last_synced_at.is_not(None))
        )
    if oldest is None:
        return 0.0
    if oldest.tzinfo is None:  # in case a driver hands back a naive (UTC) value for an aggregate
        oldest = oldest.replace(tzinfo=UTC)
    return max(0.0, (now - oldest).total_seconds())
