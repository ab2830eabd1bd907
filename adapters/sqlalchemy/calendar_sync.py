"""Each Google account's calendar sync token and push channel on SQLAlchemy (Core statements)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session as OrmSession

from adapters.sqlalchemy.models import CalendarSyncRow
from application.ports.calendar_feed import CalendarSyncRepository
from domain.calendar_sync import CalendarSyncState

T = CalendarSyncRow.__table__


def _state(row: Row[Any]) -> CalendarSyncState:
    m = row._mapping
    return CalendarSyncState(
        account_id=m["account_id"],
        sync_token=m["sync_token"],
        synced_at=m["synced_at"],
        channel_id=m["channel_id"],
        channel_resource_id=m["channel_resource_id"],
        channel_token_hash=m["channel_token_hash"],
        channel_expires_at=m["channel_expires_at"],
    )


class SqlAlchemyCalendarSyncRepository(CalendarSyncRepository):
    def __init__(self, session: OrmSession) -> None:
        self._session = session

    def get(self, account_id: str) -> CalendarSyncState | None:
        row = self._session.execute(select(T).where(T.c.account_id == account_id)).first()
        return None if row is None else _state(row)

    def put(self, state: CalendarSyncState) -> None:
        self._session.execute(delete(T).where(T.c.account_id == state.account_id))
        self._session.execute(
            insert(T).values(
                account_id=state.account_id,
                sync_token=state.sync_token,
                synced_at=state.synced_at,
                channel_id=state.channel_id,
                channel_resource_id=state.channel_resource_id,
                channel_token_hash=state.channel_token_hash,
                channel_expires_at=state.channel_expires_at,
            )
        )

    def by_channel(self, channel_id: str) -> CalendarSyncState | None:
        row = self._session.execute(select(T).where(T.c.channel_id == channel_id)).first()
        return None if row is None else _state(row)
