"""CalendarFeed: a calendar's change feed (sync tokens) and push channels; CalendarSyncRepository: where each
account's sync token and channel are kept (`uow.calendar_sync`)."""

from __future__ import annotations

from abc import ABC, abstractmethod

from domain.calendar_sync import CalendarChangePage, CalendarSyncState, WatchChannel


class CalendarFeed(ABC):
    @abstractmethod
    def changes(self, sync_token: str | None) -> CalendarChangePage:
        """Every change since `sync_token` (None: list the calendar in full and report no changes, only the token
        to start from). Raises SyncTokenExpired when the provider no longer knows the token."""

    @abstractmethod
    def watch(self, address: str, channel_id: str, token: str) -> WatchChannel:
        """Ask the provider to post to `address` when the calendar changes, echoing `token` in each post."""

    @abstractmethod
    def stop(self, channel_id: str, resource_id: str) -> None:
        """Stop a channel (a renewed one's predecessor). A channel the provider no longer knows is not an error."""


class CalendarSyncRepository(ABC):
    @abstractmethod
    def get(self, account_id: str) -> CalendarSyncState | None: ...

    @abstractmethod
    def put(self, state: CalendarSyncState) -> None: ...

    @abstractmethod
    def by_channel(self, channel_id: str) -> CalendarSyncState | None:
        """The state whose current push channel has this id (a post about an older channel finds nothing)."""
