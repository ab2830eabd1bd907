"""CachingMailbox: label lists and messages of one account kept in the shared Cache for a short TTL, dropped on
every change made through the platform.

What is cached, and why only that:
- `list_labels` (TTL `labels_seconds`, 60 s by default): the sidebar asks for it on every page and Gmail needs one
  call per label to count messages. A copy is also kept as the account's *last known labels* (a day) so the labels
  list can be answered in degraded form while the provider is down (see ListLabels).
- `get_message` (TTL `message_seconds`, 300 s): opening, replying to, forwarding a message and reading its thread
  or an attachment all start with it. A message's content never changes at the provider (only its labels do, and
  our own label changes drop the cache), so the TTL bounds only how long a label change made elsewhere (another
  mail client) can look stale. The cached message includes its text and HTML bodies: that is what makes the
  entry useful, and it is mail the same account can read at the provider anyway. Only this account's entries
  are under its keys and they expire within minutes; tokens, attachments' bytes, raw MIME and search results
  are never cached. Set `message_seconds` to 0 to keep message content out of the cache altogether.
- Not cached: search pages and threads (they change with every arrival, and sync events do not reach this
  cache), drafts, `find_by_message_id` (the send reconciliation must see the truth), attachments.

Invalidation: every key of an account lives under the account's current *generation*; any change made through
this decorator (labels, read/unread, trash, send, drafts, new label) starts a new generation, so every replica
sees the change at once and nothing can be served stale by key-by-key bookkeeping mistakes. Cache failures never
fail a read: the decorator then simply asks the provider.

A change made while the cache is unreachable (Redis down or hung, but keeping its data) cannot start a new generation
then. The account is remembered in the process's `MissedInvalidations`, and before this process next reads through
the cache it starts the missed generations (every pending account's, not only the one read); until that succeeds
the account's reads bypass the cache. So reads cached before the change are never served after it by this process,
and other replicas see the new generation as soon as this process reaches the cache again (any cached read of any
account), instead of after the TTL (property 89, found by `make properties`).
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from application.ports.cache import Cache, CacheStats
from application.ports.clock import Clock
from application.ports.mailbox import Mailbox
from domain.errors import InfrastructureError
from domain.mail import (
    Attachment,
    Draft,
    DraftPage,
    EmailAddress,
    Label,
    LabelType,
    Message,
    OutgoingMessage,
    SearchPage,
    Thread,
)
from domain.mail_sync import MailHistory, MessageSummary

T = TypeVar("T")
logger = logging.getLogger(__name__)

LAST_KNOWN_LABELS_SECONDS = 86_400
MAX_CACHED_MESSAGE_CHARS = 512 * 1024  # a huge message is not worth a cache slot


@dataclass(frozen=True)
class MailCacheTtls:
    message_seconds: int = 300
    labels_seconds: int = 60
    last_known_labels_seconds: int = LAST_KNOWN_LABELS_SECONDS

    @property
    def generation_seconds(self) -> int:
        # Outlives every entry under it; if it expires anyway, a new generation only costs cache misses.
        return max(self.message_seconds, self.labels_seconds, 1) * 2 + 60


@dataclass
class MailCacheStats:
    """Hits and misses of the mail cache by kind ("labels", "message"), shared by every decorator of a process."""

    by_kind: dict[str, CacheStats] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def count(self, kind: str, *, hit: bool) -> None:
        with self._lock:
            stats = self.by_kind.setdefault(kind, CacheStats())
            if hit:
                stats.hits += 1
            else:
                stats.misses += 1

    def snapshot(self) -> dict[str, CacheStats]:
        with self._lock:
            return {kind: CacheStats(s.hits, s.misses) for kind, s in sorted(self.by_kind.items())}


class MissedInvalidations:
    """Accounts whose change could not start a new cache generation because the cache was unreachable; shared by
    every decorator of a process (see the module docstring)."""

    def __init__(self) -> None:
        self._misses: dict[str, int] = {}  # account -> changes missed; a flush clears only what it saw
        self._lock = threading.Lock()

    def add(self, account_id: str) -> None:
        with self._lock:
            self._misses[account_id] = self._misses.get(account_id, 0) + 1

    def pending(self) -> list[str]:
        with self._lock:
            return sorted(self._misses)

    def __contains__(self, account_id: object) -> bool:
        with self._lock:
            return account_id in self._misses

    def flush(self, cache: Cache) -> bool:
        """Start the missed generations now; False if the cache is still unreachable. An account stays pending while
        its invalidation fails (and when a change missed again while this flush ran)."""
        with self._lock:
            seen = dict(self._misses)
        for account_id, misses in sorted(seen.items()):
            try:
                invalidate_mail_cache(cache, account_id)
            except InfrastructureError:
                return False  # still unreachable: the rest would fail the same way
            with self._lock:
                if self._misses.get(account_id) == misses:
                    del self._misses[account_id]
        return True


# What every CachingMailbox of this process shares unless given its own (the app opens one per request).
PROCESS_MISSED_INVALIDATIONS = MissedInvalidations()


# ---------------------------------------------------------------- keys


def generation_key(account_id: str) -> str:
    return f"mail:{account_id}:gen"


def last_known_labels_key(account_id: str) -> str:
    return f"mail:{account_id}:labels:last"


def invalidate_mail_cache(cache: Cache, account_id: str) -> None:
    """Forget every cached read of this account (e.g. after sync saw changes made elsewhere)."""
    cache.delete(generation_key(account_id))  # the next read starts a fresh generation


# ---------------------------------------------------------------- JSON codec (never pickle: the cache is shared)


def _address(a: EmailAddress) -> list[str]:
    return [a.address, a.name]


def _parse_address(v: list[str]) -> EmailAddress:
    return EmailAddress(address=v[0], name=v[1])


def message_to_json(m: Message) -> dict[str, Any]:
    return {
        "id": m.id,
        "thread_id": m.thread_id,
        "label_ids": sorted(m.label_ids),
        "snippet": m.snippet,
        "subject": m.subject,
        "from": _address(m.from_) if m.from_ is not None else None,
        "to": [_address(a) for a in m.to],
        "cc": [_address(a) for a in m.cc],
        "bcc": [_address(a) for a in m.bcc],
        "reply_to": [_address(a) for a in m.reply_to],
        "date": m.date.isoformat(),
        "headers": [[k, v] for k, v in m.headers.items()],
        "text_body": m.text_body,
        "html_body": m.html_body,
        "attachments": [
            {
                "id": a.id,
                "filename": a.filename,
                "mime_type": a.mime_type,
                "size": a.size,
                "content_id": a.content_id,
                "inline": a.inline,
            }
            for a in m.attachments
        ],
        "message_id_header": m.message_id_header,
        "in_reply_to": m.in_reply_to,
        "references": list(m.references),
        "internal_date": m.internal_date.isoformat(),
        "size_estimate": m.size_estimate,
    }


def message_from_json(d: dict[str, Any]) -> Message:
    return Message(
        id=d["id"],
        thread_id=d["thread_id"],
        label_ids=frozenset(d["label_ids"]),
        snippet=d["snippet"],
        subject=d["subject"],
        from_=_parse_address(d["from"]) if d["from"] is not None else None,
        to=tuple(_parse_address(a) for a in d["to"]),
        cc=tuple(_parse_address(a) for a in d["cc"]),
        bcc=tuple(_parse_address(a) for a in d["bcc"]),
        reply_to=tuple(_parse_address(a) for a in d["reply_to"]),
        date=datetime.fromisoformat(d["date"]),
        headers=dict(d["headers"]),
        text_body=d["text_body"],
        html_body=d["html_body"],
        attachments=tuple(Attachment(**a) for a in d["attachments"]),
        message_id_header=d["message_id_header"],
        in_reply_to=d["in_reply_to"],
        references=tuple(d["references"]),
        internal_date=datetime.fromisoformat(d["internal_date"]),
        size_estimate=d["size_estimate"],
    )


def label_to_json(label: Label) -> dict[str, Any]:
    return {
        "id": label.id,
        "name": label.name,
        "type": label.type.value,
        "messages_total": label.messages_total,
        "messages_unread": label.messages_unread,
    }


def label_from_json(d: dict[str, Any]) -> Label:
    return Label(
        id=d["id"],
        name=d["name"],
        type=LabelType(d["type"]),
        messages_total=d["messages_total"],
        messages_unread=d["messages_unread"],
    )


def last_known_labels(cache: Cache, account_id: str) -> tuple[list[Label], datetime] | None:
    """The labels the account had when they were last read from the provider, and when; None if unknown."""
    try:
        raw = cache.get(last_known_labels_key(account_id))
    except InfrastructureError:
        return None
    if raw is None:
        return None
    data = json.loads(raw)
    return [label_from_json(d) for d in data["labels"]], datetime.fromisoformat(data["at"])


# ---------------------------------------------------------------- the decorator


class CachingMailbox(Mailbox):
    def __init__(
        self,
        inner: Mailbox,
        cache: Cache,
        clock: Clock,
        *,
        account_id: str,
        ttls: MailCacheTtls | None = None,
        stats: MailCacheStats | None = None,
        missed: MissedInvalidations | None = None,
    ) -> None:
        self.inner = inner
        self.cache = cache
        self.clock = clock
        self.account_id = account_id
        self.ttls = ttls or MailCacheTtls()
        self.stats = stats or MailCacheStats()
        self.missed = PROCESS_MISSED_INVALIDATIONS if missed is None else missed

    # -- cache plumbing (a cache failure degrades to a miss, never to an error) ---------------------------------

    def _generation(self) -> str | None:
        key = generation_key(self.account_id)
        if self.missed.pending() and (not self.missed.flush(self.cache) or self.account_id in self.missed):
            return None  # the cache is still unreachable, or a change is not in its generation yet: ask the provider
        try:
            current = self.cache.get(key)
            if current is None:
                current = uuid.uuid4().hex
                self.cache.set(key, current, ttl_seconds=self.ttls.generation_seconds)
            return current
        except InfrastructureError as exc:
            logger.warning("mail cache unavailable, reading from the provider: %s", exc.message)
            return None

    def _cached(
        self,
        kind: str,
        name: str,
        ttl: int,
        load: Callable[[], T],
        encode: Callable[[T], str],
        decode: Callable[[str], T],
    ) -> T:
        generation = self._generation() if ttl > 0 else None
        if generation is None:
            return load()
        key = f"mail:{self.account_id}:{generation}:{name}"
        try:
            raw = self.cache.get(key)
        except InfrastructureError:
            raw = None
        self.stats.count(kind, hit=raw is not None)
        if raw is not None:
            return decode(raw)
        value = load()
        encoded = encode(value)
        if len(encoded) <= MAX_CACHED_MESSAGE_CHARS:
            with contextlib.suppress(InfrastructureError):
                self.cache.set(key, encoded, ttl_seconds=ttl)
        return value

    def _changed(self, change: Callable[[], T]) -> T:
        """Run a change, then start a new generation, even if the change failed (it may have half happened)."""
        try:
            return change()
        finally:
            try:
                invalidate_mail_cache(self.cache, self.account_id)
            except InfrastructureError as exc:
                self.missed.add(self.account_id)  # started before this process next reads through the cache
                logger.warning(
                    "could not invalidate the mail cache of %s (retried before the next cached read): %s",
                    self.account_id,
                    exc.message,
                )

    # -- cached reads ------------------------------------------------------------------------------------------

    def get_message(self, message_id: str) -> Message:
        return self._cached(
            "message",
            f"msg:{message_id}",
            self.ttls.message_seconds,
            lambda: self.inner.get_message(message_id),
            lambda m: json.dumps(message_to_json(m)),
            lambda raw: message_from_json(json.loads(raw)),
        )

    def list_labels(self) -> list[Label]:
        def load() -> list[Label]:
            labels = self.inner.list_labels()
            self._keep_last_known(labels)
            return labels

        return self._cached(
            "labels",
            "labels",
            self.ttls.labels_seconds,
            load,
            lambda labels: json.dumps([label_to_json(label) for label in labels]),
            lambda raw: [label_from_json(d) for d in json.loads(raw)],
        )

    def _keep_last_known(self, labels: list[Label]) -> None:
        if self.ttls.last_known_labels_seconds <= 0:
            return
        payload = {"at": self.clock.now().isoformat(), "labels": [label_to_json(label) for label in labels]}
        with contextlib.suppress(InfrastructureError):
            self.cache.set(
                last_known_labels_key(self.account_id),
                json.dumps(payload),
                ttl_seconds=self.ttls.last_known_labels_seconds,
            )

    # -- uncached reads ------------------------------------------------------------------------------------------

    def address(self) -> str:
        return self.inner.address()

    def search(
        self,
        query: str = "",
        *,
        label_ids: Sequence[str] = (),
        page_token: str | None = None,
        limit: int = 50,
    ) -> SearchPage:
        return self.inner.search(query, label_ids=label_ids, page_token=page_token, limit=limit)

    def get_attachment(self, message_id: str, attachment_id: str) -> bytes:
        return self.inner.get_attachment(message_id, attachment_id)

    def get_thread(self, thread_id: str) -> Thread:
        return self.inner.get_thread(thread_id)

    def find_by_message_id(self, rfc822_message_id: str) -> Message | None:
        return self.inner.find_by_message_id(rfc822_message_id)

    def get_draft(self, draft_id: str) -> Draft:
        return self.inner.get_draft(draft_id)

    # The change feed must always see the provider's truth: never cached.
    def current_cursor(self) -> str:
        return self.inner.current_cursor()

    def history(self, cursor: str, *, limit: int = 500) -> MailHistory:
        return self.inner.history(cursor, limit=limit)

    def summaries(self, message_ids: Sequence[str]) -> list[MessageSummary]:
        return self.inner.summaries(message_ids)

    def watch(self, topic: str) -> datetime:
        return self.inner.watch(topic)

    def stop_watch(self) -> None:
        self.inner.stop_watch()

    def list_drafts(self, *, page_token: str | None = None, limit: int = 50) -> DraftPage:
        return self.inner.list_drafts(page_token=page_token, limit=limit)

    # -- changes -------------------------------------------------------------------------------------------------

    def send(self, message: OutgoingMessage) -> Message:
        return self._changed(lambda: self.inner.send(message))

    def create_draft(self, message: OutgoingMessage) -> Draft:
        return self._changed(lambda: self.inner.create_draft(message))

    def update_draft(self, draft_id: str, message: OutgoingMessage) -> Draft:
        return self._changed(lambda: self.inner.update_draft(draft_id, message))

    def delete_draft(self, draft_id: str) -> None:
        self._changed(lambda: self.inner.delete_draft(draft_id))

    def send_draft(self, draft_id: str) -> Message:
        return self._changed(lambda: self.inner.send_draft(draft_id))

    def create_label(self, name: str) -> Label:
        return self._changed(lambda: self.inner.create_label(name))

    def modify_labels(self, message_ids: Sequence[str], *, add: Sequence[str] = (), remove: Sequence[str] = ()) -> None:
        self._changed(lambda: self.inner.modify_labels(message_ids, add=add, remove=remove))

    def mark_read(self, message_ids: Sequence[str]) -> None:
        self._changed(lambda: self.inner.mark_read(message_ids))

    def mark_unread(self, message_ids: Sequence[str]) -> None:
        self._changed(lambda: self.inner.mark_unread(message_ids))

    def trash(self, message_ids: Sequence[str]) -> None:
        self._changed(lambda: self.inner.trash(message_ids))

    def untrash(self, message_ids: Sequence[str]) -> None:
        self._changed(lambda: self.inner.untrash(message_ids))
