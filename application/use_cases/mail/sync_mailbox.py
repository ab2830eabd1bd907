"""Sync one account's mailbox: read its change feed from the stored cursor and store the events it means.

* First run (no cursor yet): only records the mailbox's current cursor; what changes after it is announced.
* Incremental: `Mailbox.history` from the cursor, then header summaries of the messages that were added (the cost
  grows with the number of changes, never with the mailbox's size). The events and the new cursor are written in
  ONE transaction, so a crash between them cannot lose or double an event; event ids are deterministic
  (domain.mail_sync.change_events), so a repeated or concurrent sync of the same changes stores each event once,
  and the cursor only ever moves forward.
* History expired (Gmail keeps about a week): a bounded full sync — the newest FULL_SYNC_LIMIT inbox messages;
  those that arrived since the last sync (with FULL_SYNC_LOOKBACK of slack) are announced as `email.received`
  (ids keyed by message, so nothing already announced is announced again). Label changes, sends and deletions
  inside the expired gap are not replayed: the client re-reads its views after a full sync.
Then the committed events are relayed (OutboxRelay.flush) to the live clients.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from application.caching_mailbox import invalidate_mail_cache
from application.outbox import OutboxRelay
from application.ports.cache import Cache
from application.ports.clock import Clock
from application.ports.job_queue import RetryPolicy
from application.ports.mailbox import Mailbox
from application.ports.mailbox_provider import MailboxProvider
from application.ports.unit_of_work import UnitOfWork
from domain.errors import InfrastructureError, NotConfigured, ReauthRequired
from domain.events import DomainEvent
from domain.identity import new_id
from domain.mail import Message
from domain.mail_account import AccountStatus, MailAccount
from domain.mail_sync import (
    HistoryExpired,
    MailChange,
    MailSyncState,
    MessageSummary,
    SyncedAccount,
    change_events,
    needs_summary,
    received_event,
)

logger = logging.getLogger(__name__)

SYNC_JOB = "mail.sync"
SYNC_RETRY = RetryPolicy(max_attempts=4, base_delay_seconds=5.0, max_delay_seconds=120.0)
HISTORY_PAGE = 500
MAX_PAGES_PER_RUN = 20  # 10,000 history records; a longer backlog continues on the next run
FULL_SYNC_LIMIT = 100
FULL_SYNC_LOOKBACK = timedelta(hours=1)
LAST_CHECK_TTL_SECONDS = 7 * 86400


def sync_job_id(account_id: str, suffix: str | None = None) -> str:
    """A fresh job id for a sync of this account (a job id stays taken after its job ran), or a fixed one per
    `suffix` (e.g. a pushed history id, so Pub/Sub redelivering a notification enqueues it once)."""
    return f"mail-sync-{account_id}-{suffix or new_id()}"


def last_check_key(account_id: str) -> str:
    """Cache key: when this account's mailbox was last checked (ISO time); polling skips recently checked ones."""
    return f"mail:last-check:{account_id}"


@dataclass(frozen=True)
class SyncMailboxInput:
    account_id: str


@dataclass(frozen=True)
class SyncResult:
    account_id: str
    cursor: str | None = None
    changes: int = 0
    events: int = 0  # events newly stored by this run (a repeated run stores none)
    baseline: bool = False  # first run: only the cursor was recorded
    full_sync: bool = False
    skipped: str | None = None  # why nothing was done


class SyncMailbox:
    def __init__(
        self,
        uow: UnitOfWork,
        mailboxes: MailboxProvider,
        clock: Clock,
        relay: OutboxRelay | None = None,
        cache: Cache | None = None,
    ) -> None:
        self.uow, self.mailboxes, self.clock, self.relay, self.cache = uow, mailboxes, clock, relay, cache

    def execute(self, inp: SyncMailboxInput) -> SyncResult:
        with self.uow as uow:
            account = uow.mail_accounts.get(inp.account_id)
            state = uow.mail_sync.get(inp.account_id)
        if account is None:
            return SyncResult(inp.account_id, skipped="the account is no longer connected")
        if account.status is AccountStatus.REAUTH_REQUIRED:
            return SyncResult(inp.account_id, skipped="the account must be connected again")
        try:
            result = self._sync(account, state)
        except ReauthRequired as exc:
            self._mark_reauth(account, exc.message)
            return SyncResult(inp.account_id, skipped="the account must be connected again")
        except NotConfigured as exc:  # e.g. Gmail no longer configured here: nothing to retry
            return SyncResult(inp.account_id, skipped=exc.message)
        self._note_check(account.id, changed=result.changes > 0 or result.full_sync)
        if result.events and self.relay is not None:
            self.relay.flush()
        return result

    def _sync(self, account: MailAccount, state: MailSyncState | None) -> SyncResult:
        mailbox = self.mailboxes.open(account)
        if state is None or state.cursor is None:
            cursor = mailbox.current_cursor()
            with self.uow as uow:
                uow.mail_sync.advance(account.id, cursor, at=self.clock.now())
                uow.commit()
            return SyncResult(account.id, cursor=cursor, baseline=True)
        synced = SyncedAccount(account.id, account.user_id, account.address)
        full = False
        try:
            changes, cursor = self._changes(mailbox, state.cursor)
            summaries = self._summaries(mailbox, changes)
            events = change_events(synced, changes, summaries, self.clock.now())
        except HistoryExpired:
            logger.warning("mail sync: history of account %s expired; syncing the newest mail in full", account.id)
            changes = []
            cursor, events = self._full_sync(mailbox, synced, state)
            full = True
        with self.uow as uow:
            stored = uow.events.append_many(events)  # one statement for a burst of changes, not one per event
            uow.mail_sync.advance(account.id, cursor, at=self.clock.now(), full_sync=full)
            uow.commit()
        return SyncResult(account.id, cursor=cursor, changes=len(changes), events=stored, full_sync=full)

    @staticmethod
    def _changes(mailbox: Mailbox, cursor: str) -> tuple[list[MailChange], str]:
        changes: list[MailChange] = []
        for _ in range(MAX_PAGES_PER_RUN):
            page = mailbox.history(cursor, limit=HISTORY_PAGE)
            changes.extend(page.changes)
            cursor = page.cursor
            if not page.has_more:
                break
        return changes, cursor

    @staticmethod
    def _summaries(mailbox: Mailbox, changes: list[MailChange]) -> dict[str, MessageSummary]:
        wanted = list(dict.fromkeys(c.message_id for c in changes if needs_summary(c)))
        return {s.id: s for s in mailbox.summaries(wanted)} if wanted else {}

    def _full_sync(
        self, mailbox: Mailbox, account: SyncedAccount, state: MailSyncState
    ) -> tuple[str, list[DomainEvent]]:
        cursor = mailbox.current_cursor()  # first: whatever changes while we look is in the next run's history
        page = mailbox.search("in:inbox", limit=FULL_SYNC_LIMIT)
        since = state.last_synced_at - FULL_SYNC_LOOKBACK if state.last_synced_at else None
        now = self.clock.now()
        events = [
            event
            for message in page.messages
            if since is None or message.internal_date >= since
            if (event := received_event(account, _summary(message), now)) is not None
        ]
        return cursor, events

    def _note_check(self, account_id: str, *, changed: bool) -> None:
        """Remember when the account was checked (polling skips it for a while); after changes, which may have been
        made elsewhere (another mail client), drop the account's cached reads."""
        if self.cache is None:
            return
        try:
            self.cache.set(last_check_key(account_id), self.clock.now().isoformat(), ttl_seconds=LAST_CHECK_TTL_SECONDS)
            if changed:
                invalidate_mail_cache(self.cache, account_id)
        except InfrastructureError:
            logger.warning("mail sync: could not note the check of account %s in the cache", account_id)

    def _mark_reauth(self, account: MailAccount, reason: str) -> None:
        with self.uow as uow:
            current = uow.mail_accounts.get(account.id)
            if current is not None and current.status is not AccountStatus.REAUTH_REQUIRED:
                uow.mail_accounts.update(
                    replace(
                        current,
                        status=AccountStatus.REAUTH_REQUIRED,
                        last_error=reason[:500],
                        updated_at=self.clock.now(),
                    )
                )
                uow.commit()


def _summary(message: Message) -> MessageSummary:
    return MessageSummary(
        id=message.id,
        thread_id=message.thread_id,
        label_ids=message.label_ids,
        from_=message.from_,
        subject=message.subject,
        snippet=message.snippet,
        internal_date=message.internal_date,
    )


def parse_last_check(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        return None
    return when if when.utcoffset() is not None else None
