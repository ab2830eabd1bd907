"""Sync one Google account's calendar changes: read its change feed from the stored sync token and store a
`calendar.event_created/updated/deleted` event for each change (changes made in Google Calendar itself, on a phone,
by an organizer...), then relay them to the user's live clients.

* First run (no token yet): the calendar is listed only to get a token; what changes after it is announced.
* Token expired (Google answers 410): listed again in full for a new token (a full resync); changes inside the gap
  are not replayed, the client re-reads its view on the next event.
* The events and the new token are written in one transaction; event ids are made from the change (account, event
  id, its updated time), so push and polling racing over the same change store it once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

from application.outbox import OutboxRelay
from application.ports.calendar_provider import CalendarProvider
from application.ports.clock import Clock
from application.ports.job_queue import RetryPolicy
from application.ports.unit_of_work import UnitOfWork
from application.use_cases.calendar.common import event_summary
from domain.calendar_sync import CalendarChange, CalendarChangePage, CalendarSyncState, ChangeKind, SyncTokenExpired
from domain.errors import NotConfigured, ReauthRequired
from domain.events import DomainEvent, EventType, event_id
from domain.mail_account import AccountStatus, MailAccount

logger = logging.getLogger(__name__)

CALENDAR_SYNC_JOB = "calendar.sync"
CALENDAR_SYNC_RETRY = RetryPolicy(max_attempts=4, base_delay_seconds=5.0, max_delay_seconds=120.0)
KINDS = {
    ChangeKind.CREATED: EventType.CALENDAR_EVENT_CREATED,
    ChangeKind.UPDATED: EventType.CALENDAR_EVENT_UPDATED,
    ChangeKind.DELETED: EventType.CALENDAR_EVENT_DELETED,
}


@dataclass(frozen=True)
class SyncCalendarInput:
    account_id: str


@dataclass(frozen=True)
class CalendarSyncResult:
    account_id: str
    changes: int = 0
    events: int = 0  # newly stored (a repeated sync of the same changes stores none)
    baseline: bool = False
    full_sync: bool = False
    skipped: str | None = None


class SyncCalendar:
    def __init__(
        self, uow: UnitOfWork, calendars: CalendarProvider, clock: Clock, relay: OutboxRelay | None = None
    ) -> None:
        self.uow, self.calendars, self.clock, self.relay = uow, calendars, clock, relay

    def execute(self, inp: SyncCalendarInput) -> CalendarSyncResult:
        with self.uow as uow:
            account = uow.mail_accounts.get(inp.account_id)
            state = uow.calendar_sync.get(inp.account_id) or CalendarSyncState(inp.account_id)
        if account is None:
            return CalendarSyncResult(inp.account_id, skipped="the account is no longer connected")
        if account.status is AccountStatus.REAUTH_REQUIRED:
            return CalendarSyncResult(inp.account_id, skipped="the account must be connected again")
        try:
            feed = self.calendars.feed(account)
        except (NotConfigured, ReauthRequired) as exc:  # e.g. connected without calendar access
            return CalendarSyncResult(inp.account_id, skipped=exc.message)
        if feed is None:
            return CalendarSyncResult(inp.account_id, skipped="this calendar has no change feed")
        full = False
        page: CalendarChangePage
        try:
            page = feed.changes(state.sync_token)
        except SyncTokenExpired:
            logger.warning("calendar sync: the sync token of account %s expired; listing in full", account.id)
            page = feed.changes(None)
            full = True
        except ReauthRequired as exc:
            return CalendarSyncResult(inp.account_id, skipped=exc.message)
        now = self.clock.now()
        events = [self._event(account, change, page.sync_token) for change in page.changes]
        with self.uow as uow:
            stored = sum(1 for event in events if uow.events.append(event))
            current = uow.calendar_sync.get(account.id) or CalendarSyncState(account.id)
            uow.calendar_sync.put(replace(current, sync_token=page.sync_token, synced_at=now))
            uow.commit()
        if stored and self.relay is not None:
            self.relay.flush()
        return CalendarSyncResult(
            account.id,
            changes=len(page.changes),
            events=stored,
            baseline=state.sync_token is None,
            full_sync=full,
        )

    def _event(self, account: MailAccount, change: CalendarChange, sync_token: str) -> DomainEvent:
        kind = KINDS[change.kind]
        data = event_summary(change.event) if change.event is not None else {"event_id": change.event_id}
        stamp = change.changed_at.isoformat() if change.changed_at else sync_token
        return DomainEvent(
            event_id(kind.value, account.id, change.event_id, stamp),
            account.user_id,
            kind,
            self.clock.now(),
            {**data, "origin": "provider"},
            account_id=account.id,
        )
