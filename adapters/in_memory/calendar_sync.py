"""InMemoryCalendarSyncRepository: calendar sync tokens and push channels in the in-memory unit of work."""

from __future__ import annotations

from typing import TYPE_CHECKING

from application.ports.calendar_feed import CalendarSyncRepository
from domain.calendar_sync import CalendarSyncState

if TYPE_CHECKING:
    from adapters.in_memory.unit_of_work import _Tx


class InMemoryCalendarSyncRepository(CalendarSyncRepository):
    def __init__(self, tx: _Tx) -> None:
        self.tx = tx

    def get(self, account_id: str) -> CalendarSyncState | None:
        found: CalendarSyncState | None = self.tx.get("calendar_sync", account_id)
        return found

    def put(self, state: CalendarSyncState) -> None:
        self.tx.put("calendar_sync", state.account_id, state)

    def by_channel(self, channel_id: str) -> CalendarSyncState | None:
        return next((s for s in self.tx.values("calendar_sync") if s is not None and s.channel_id == channel_id), None)
