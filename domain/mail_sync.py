"""Mailbox sync: a mailbox's change feed (what changed after a cursor), the sync state kept per account, and the
rule that turns changes into the domain events a user hears about."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.errors import DomainError, ValidationFailed
from domain.events import DomainEvent, EventType, event_id
from domain.mail import DRAFT, INBOX, SENT, EmailAddress

MAX_CURSOR_CHARS = 32


class HistoryExpired(DomainError):
    """The provider no longer keeps the changes after this cursor (Gmail keeps about a week): sync in full."""

    code = "history_expired"


class InvalidPushMessage(DomainError):
    """A push notification that is not what the provider sends (answered 400, so it is not retried forever)."""

    code = "invalid_push_message"


class ChangeKind(enum.StrEnum):
    MESSAGE_ADDED = "message_added"
    MESSAGE_DELETED = "message_deleted"
    LABELS_ADDED = "labels_added"
    LABELS_REMOVED = "labels_removed"


@dataclass(frozen=True)
class MailChange:
    """One change of one message. Every change of one history record shares its `history_id`.
    `label_ids`: the message's labels as of this change (empty when the provider does not say);
    `changed_label_ids`: the labels this change added or removed (labels changes only)."""

    history_id: str
    kind: ChangeKind
    message_id: str
    thread_id: str
    label_ids: frozenset[str] = frozenset()
    changed_label_ids: frozenset[str] = frozenset()


@dataclass(frozen=True)
class MailHistory:
    """A page of the change feed, oldest change first. `cursor` is where the next call continues from: the
    mailbox's current cursor when everything was returned, else the last returned record's id (`has_more`)."""

    cursor: str
    changes: tuple[MailChange, ...] = ()
    has_more: bool = False


@dataclass(frozen=True)
class MessageSummary:
    """What an event shows of a message: ids and headers, never its body."""

    id: str
    thread_id: str
    label_ids: frozenset[str]
    from_: EmailAddress | None
    subject: str
    snippet: str
    internal_date: datetime


def cursor_value(cursor: str) -> int:
    """A cursor is a history id: a decimal number that grows with every change (Gmail's historyId is one)."""
    text = cursor.strip() if isinstance(cursor, str) else ""
    if not text or len(text) > MAX_CURSOR_CHARS or not text.isascii() or not text.isdigit():
        raise ValidationFailed(f"Not a mailbox history cursor: {cursor!r}.", details=[{"field": "cursor"}])
    return int(text)


def later_cursor(current: str | None, candidate: str) -> str:
    """The further of two cursors: a sync only ever moves its cursor forward (two syncs of one account may race)."""
    if current is None or cursor_value(candidate) > cursor_value(current):
        return candidate
    return current


class WatchStatus(enum.StrEnum):
    NONE = "none"  # never watched (or push is not configured)
    ACTIVE = "active"
    FAILED = "failed"  # the last start/renewal failed; see watch_error
    LAPSED = "lapsed"  # it expired without being renewed: pushes stopped until it is renewed


@dataclass(frozen=True)
class MailSyncState:
    """Where the sync of one account stands."""

    account_id: str
    cursor: str | None = None
    last_synced_at: datetime | None = None
    last_full_sync_at: datetime | None = None
    watch_expires_at: datetime | None = None
    watch_status: WatchStatus = WatchStatus.NONE
    watch_error: str | None = None


# ---------------------------------------------------------------- changes -> events


@dataclass(frozen=True)
class SyncedAccount:
    """The account fields the event rule needs."""

    id: str
    user_id: str
    address: str


def received_event_id(account_id: str, message_id: str) -> str:
    # A message arrives once: keyed by the message alone, so the full sync after an expired cursor does not
    # announce again what the incremental sync announced.
    return event_id(account_id, message_id, EventType.EMAIL_RECEIVED.value)


def sent_event_id(account_id: str, message_id: str) -> str:
    return event_id(account_id, message_id, EventType.EMAIL_SENT.value)


def _summary_data(account: SyncedAccount, summary: MessageSummary, label_ids: Iterable[str]) -> dict[str, Any]:
    return {
        "account_id": account.id,
        "message_id": summary.id,
        "thread_id": summary.thread_id,
        "from": {"name": summary.from_.name, "address": summary.from_.address} if summary.from_ else None,
        "subject": summary.subject[:300],
        "snippet": summary.snippet[:300],
        "label_ids": sorted(label_ids),
    }


def is_from_owner(account: SyncedAccount, summary: MessageSummary) -> bool:
    return summary.from_ is not None and summary.from_.address.strip().lower() == account.address.strip().lower()


def received_event(account: SyncedAccount, summary: MessageSummary, at: datetime) -> DomainEvent | None:
    """email.received for a message in the inbox that someone else sent; None otherwise."""
    if INBOX not in summary.label_ids or DRAFT in summary.label_ids or is_from_owner(account, summary):
        return None
    return DomainEvent(
        id=received_event_id(account.id, summary.id),
        user_id=account.user_id,
        account_id=account.id,
        type=EventType.EMAIL_RECEIVED,
        occurred_at=at,
        data=_summary_data(account, summary, summary.label_ids),
    )


def needs_summary(change: MailChange) -> bool:
    """Only added messages are looked at (sync cost grows with the changes, not with the mailbox)."""
    return change.kind is ChangeKind.MESSAGE_ADDED and DRAFT not in change.label_ids


def change_events(
    account: SyncedAccount,
    changes: Sequence[MailChange],
    summaries: Mapping[str, MessageSummary],
    at: datetime,
) -> list[DomainEvent]:
    """The events for a run of changes, in order, with deterministic ids (the same change seen twice — a retried
    sync, a push and a poll racing — gives the same id, and the event store keeps it once):

    * a message added with SENT -> `email.sent`; added with INBOX, not sent by the account itself ->
      `email.received` (drafts are neither; a message deleted before we could read it is skipped);
    * labels added/removed on a message by one history record -> one `email.labels_changed`;
    * a message deleted for good (not a draft: drafts are replaced and sent by delete + add) -> `email.deleted`.
    """
    events: list[DomainEvent] = []
    label_changes: dict[tuple[str, str], tuple[MailChange, set[str], set[str]]] = {}
    order: list[tuple[str, str] | DomainEvent] = []
    for change in changes:
        if change.kind is ChangeKind.MESSAGE_ADDED:
            if not needs_summary(change):
                continue
            summary = summaries.get(change.message_id)
            if summary is None:
                continue
            labels = change.label_ids or summary.label_ids
            if SENT in labels:
                order.append(
                    DomainEvent(
                        id=sent_event_id(account.id, change.message_id),
                        user_id=account.user_id,
                        account_id=account.id,
                        type=EventType.EMAIL_SENT,
                        occurred_at=at,
                        data=_summary_data(account, summary, labels),
                    )
                )
                continue
            event = received_event(account, _with_labels(summary, labels), at)
            if event is not None:
                order.append(event)
        elif change.kind is ChangeKind.MESSAGE_DELETED:
            if DRAFT in change.label_ids:
                continue
            order.append(
                DomainEvent(
                    id=event_id(account.id, change.history_id, change.message_id, EventType.EMAIL_DELETED.value),
                    user_id=account.user_id,
                    account_id=account.id,
                    type=EventType.EMAIL_DELETED,
                    occurred_at=at,
                    data={"account_id": account.id, "message_id": change.message_id, "thread_id": change.thread_id},
                )
            )
        else:
            key = (change.history_id, change.message_id)
            if key not in label_changes:
                label_changes[key] = (change, set(), set())
                order.append(key)
            _, added, removed = label_changes[key]
            (added if change.kind is ChangeKind.LABELS_ADDED else removed).update(change.changed_label_ids)
            if change.label_ids:
                label_changes[key] = (change, added, removed)
    for item in order:
        if isinstance(item, DomainEvent):
            events.append(item)
            continue
        change, added, removed = label_changes[item]
        if not added and not removed:
            continue
        events.append(
            DomainEvent(
                id=event_id(account.id, change.history_id, change.message_id, EventType.EMAIL_LABELS_CHANGED.value),
                user_id=account.user_id,
                account_id=account.id,
                type=EventType.EMAIL_LABELS_CHANGED,
                occurred_at=at,
                data={
                    "account_id": account.id,
                    "message_id": change.message_id,
                    "thread_id": change.thread_id,
                    "added": sorted(added),
                    "removed": sorted(removed),
                    "label_ids": sorted(change.label_ids),
                },
            )
        )
    return events


def _with_labels(summary: MessageSummary, labels: frozenset[str]) -> MessageSummary:
    if labels == summary.label_ids:
        return summary
    return MessageSummary(
        id=summary.id,
        thread_id=summary.thread_id,
        label_ids=labels,
        from_=summary.from_,
        subject=summary.subject,
        snippet=summary.snippet,
        internal_date=summary.internal_date,
    )


def watch_lapsed_event(account: SyncedAccount, expired_at: datetime, at: datetime) -> DomainEvent:
    return DomainEvent(
        id=event_id(account.id, "watch_lapsed", expired_at.isoformat()),
        user_id=account.user_id,
        account_id=account.id,
        type=EventType.MAILBOX_WATCH_LAPSED,
        occurred_at=at,
        data={"account_id": account.id, "address": account.address, "expired_at": expired_at.isoformat()},
    )
