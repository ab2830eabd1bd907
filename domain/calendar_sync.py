"""Following a Google calendar's changes: the sync token of its change feed, the push channel Google posts to, and
the changes a sync reads (created, updated, deleted)."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from domain.calendar import CalendarEvent


class SyncTokenExpired(Exception):
    """The provider no longer knows the stored sync token (Google answers 410): list everything again."""


class ChangeKind(enum.StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    DELETED = "deleted"


@dataclass(frozen=True)
class CalendarChange:
    event_id: str
    kind: ChangeKind
    event: CalendarEvent | None = None  # None for a deletion Google reports with its id only
    changed_at: datetime | None = None


@dataclass(frozen=True)
class CalendarChangePage:
    """What changed since a sync token (all pages), and the token to ask from next time."""

    changes: tuple[CalendarChange, ...]
    sync_token: str


@dataclass(frozen=True)
class WatchChannel:
    """A push channel: Google posts to our URL when the calendar changes, until `expires_at`."""

    id: str
    resource_id: str
    expires_at: datetime


@dataclass(frozen=True)
class CalendarSyncState:
    account_id: str
    sync_token: str | None = None
    synced_at: datetime | None = None
    channel_id: str | None = None
    channel_resource_id: str | None = None
    channel_token_hash: str | None = None  # the channel's shared secret, hashed: Google echoes it in each post
    channel_expires_at: datetime | None = None
