"""Merge several mailboxes' newest-first search pages into one newest-first stream with a single page token.

Each mailbox pages with its own opaque token, so the merged token keeps, per mailbox, the token of the page being
read and how many of its messages were already shown (ADR 0026). Re-reading that page and skipping as many gives the
next message exactly, whatever the provider's token looks like; a mailbox whose pages are all shown drops out of
the token. The order is the messages' internal date, newest first; on equal dates the account listed first wins and
within one account the provider's own order is kept, so no message is shown twice or skipped across pages while the
mailboxes do not change.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeGuard

from domain.errors import DomainError, InfrastructureError, ValidationFailed
from domain.mail import Message, SearchPage, to_millis

TOKEN_PREFIX = "u1."
MAX_EMPTY_PAGES = 20  # a provider may answer an empty page that still has a next token; follow at most this many

# fetch(source key, provider page token or None, how many) -> that source's page
Fetch = Callable[[str, str | None, int], SearchPage]

INVALID = "The page token is not valid for this search; start again from the first page."


def _invalid() -> ValidationFailed:
    return ValidationFailed(INVALID, details=[{"field": "page_token", "issue": "invalid"}])


def search_fingerprint(query: str, label_ids: Sequence[str]) -> str:
    """A short digest of the search a token belongs to: a token reused for another search is refused."""
    text = json.dumps([query, sorted(label_ids)], ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:10]


# per source: (provider token of the page being read, messages of it already given, the last one's id and date)
CursorState = tuple[str | None, int, str | None, int | None]


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass
class _Cursor:
    token: str | None  # the provider token of the page being read (None: its first page)
    skip: int  # how many messages of that page were already given
    last_id: str | None = None  # the last of them: found again, it places the resume exactly even if one left
    last_ms: int | None = None  # its internal date: if it left the page (archived), resume after that date


@dataclass(frozen=True)
class MergedState:
    """Where each source stands: sources absent from `cursors` are finished (or were not there at the start)."""

    fetch_size: int
    fingerprint: str
    cursors: dict[str, CursorState] = field(default_factory=dict)

    def encode(self) -> str:
        cursors = {k: list(v) for k, v in self.cursors.items()}
        body = {"n": self.fetch_size, "f": self.fingerprint, "c": cursors}
        raw = json.dumps(body, separators=(",", ":"), ensure_ascii=True).encode()
        return TOKEN_PREFIX + base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str, fingerprint: str) -> MergedState:
        if not token.startswith(TOKEN_PREFIX):
            raise _invalid()
        text = token[len(TOKEN_PREFIX) :]
        try:
            body = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
            raise _invalid() from exc
        if not isinstance(body, dict) or body.get("f") != fingerprint:
            raise _invalid()
        size, raw_cursors = body.get("n"), body.get("c")
        if not _is_int(size) or not 1 <= size <= 500:
            raise _invalid()
        if not isinstance(raw_cursors, dict):
            raise _invalid()
        cursors: dict[str, CursorState] = {}
        for key, value in raw_cursors.items():
            if not (isinstance(value, list) and len(value) == 4):
                raise _invalid()
            provider_token, skip, last_id, last_ms = value
            if any(v is not None and not isinstance(v, str) for v in (provider_token, last_id)):
                raise _invalid()
            if not _is_int(skip) or not 0 <= skip <= size or (last_ms is not None and not _is_int(last_ms)):
                raise _invalid()
            cursors[str(key)] = (provider_token, skip, last_id, last_ms)
        return cls(size, fingerprint, cursors)


SourceError = DomainError | InfrastructureError
_FAILURES = (DomainError, InfrastructureError)  # but ValidationFailed (a bad query) fails the whole search


@dataclass(frozen=True)
class SourceFailure:
    key: str
    error: SourceError


@dataclass(frozen=True)
class MergedPage:
    items: tuple[tuple[str, Message], ...]  # (source key, message), newest first
    next_page_token: str | None
    result_size_estimate: int
    failures: tuple[SourceFailure, ...] = ()  # sources left out of this page (kept in the token, tried again next)
    sources_read: int = 0  # sources this page started from (all on the first page; those left in the token after)


class _Source:
    def __init__(self, key: str, cursor: _Cursor, fetch: Fetch, size: int) -> None:
        self.key, self.cursor, self._fetch, self._size = key, cursor, fetch, size
        self.buffer: list[Message] = []  # the page's messages not given yet
        self.next_token: str | None = None
        self.estimate = 0
        self.loaded = False

    def load(self) -> None:
        """Read the cursor's page (following empty pages), keeping what was not shown yet."""
        for _ in range(MAX_EMPTY_PAGES):
            page = self._fetch(self.key, self.cursor.token, self._size)
            if not self.loaded:
                self.estimate = page.result_size_estimate
            self.loaded = True
            self.cursor.skip = _resume_at(page.messages, self.cursor)
            self.buffer = list(page.messages[self.cursor.skip :])
            self.next_token = page.next_page_token
            if self.buffer or not self.next_token:
                return
            self.cursor = _Cursor(self.next_token, 0)

    def advance_page(self) -> bool:
        """Move to the next provider page when this one is used up; False when the source has no more."""
        if self.buffer or not self.next_token:
            return bool(self.buffer)
        self.cursor = _Cursor(self.next_token, 0)
        self.load()
        return bool(self.buffer)

    def take(self) -> Message:
        message = self.buffer.pop(0)
        self.cursor.skip += 1
        self.cursor.last_id, self.cursor.last_ms = message.id, to_millis(message.internal_date)
        return message

    def state(self) -> CursorState | None:
        """Where to resume next time, or None when every message of the source was given."""
        if self.buffer:
            c = self.cursor
            return (c.token, c.skip, c.last_id, c.last_ms)
        if self.next_token:
            return (self.next_token, 0, None, None)
        return None


def _resume_at(messages: Sequence[Message], cursor: _Cursor) -> int:
    """Where the not-yet-given messages of a re-read page start. The last given message, found again, says it
    exactly; when it left the page (archived or deleted meanwhile) the ones before it may have left too, so resume
    after its date instead (on equal dates, at most as far as the count said)."""
    if cursor.last_id is None:
        return min(cursor.skip, len(messages))
    ids = [m.id for m in messages]
    if cursor.last_id in ids:
        return ids.index(cursor.last_id) + 1
    at = 0
    last_ms = cursor.last_ms if cursor.last_ms is not None else -1
    while at < len(messages) and to_millis(messages[at].internal_date) > last_ms:
        at += 1
    while at < len(messages) and at < cursor.skip and to_millis(messages[at].internal_date) == last_ms:
        at += 1
    return at


def merge_pages(
    sources: Sequence[str],
    fetch: Fetch,
    *,
    page_token: str | None,
    limit: int,
    fingerprint: str,
) -> MergedPage:
    """The next `limit` messages of the merged stream of `sources` (in their tie-break order) after `page_token`.

    A source whose fetch fails (a DomainError or InfrastructureError, not ValidationFailed: a bad query fails the
    whole search) is left out of this page and stays in the token where it stood, so a mailbox that is briefly
    unreachable is read again on the next page instead of being dropped."""
    if page_token:
        state = MergedState.decode(page_token, fingerprint)
        starts = {k: _Cursor(*state.cursors[k]) for k in sources if k in state.cursors}
        size = state.fetch_size
    else:
        starts = {k: _Cursor(None, 0) for k in sources}
        size = limit
    order = {k: i for i, k in enumerate(sources)}
    live: list[_Source] = []
    failed: dict[str, tuple[_Cursor, SourceError]] = {}
    for key in sources:
        if key not in starts:
            continue
        source = _Source(key, starts[key], fetch, size)
        try:
            source.load()
        except ValidationFailed:
            raise
        except _FAILURES as exc:
            failed[key] = (starts[key], exc)
            continue
        live.append(source)

    items: list[tuple[str, Message]] = []
    while len(items) < limit:
        ready: list[_Source] = []
        for source in live:
            if source.key in failed:
                continue
            try:
                if source.advance_page():
                    ready.append(source)
            except ValidationFailed:
                raise
            except _FAILURES as exc:
                failed[source.key] = (source.cursor, exc)
        if not ready:
            break
        newest = max(ready, key=lambda s: (s.buffer[0].internal_date, -order[s.key]))
        items.append((newest.key, newest.take()))

    cursors: dict[str, CursorState] = {}
    for source in live:
        if source.key in failed:
            continue
        resume = source.state()
        if resume is not None:
            cursors[source.key] = resume
    for key, (cursor, _) in failed.items():
        cursors[key] = (cursor.token, cursor.skip, cursor.last_id, cursor.last_ms)
    next_token = MergedState(size, fingerprint, cursors).encode() if cursors else None
    return MergedPage(
        items=tuple(items),
        next_page_token=next_token,
        result_size_estimate=sum(s.estimate for s in live),
        failures=tuple(SourceFailure(k, e) for k, (_, e) in failed.items()),
        sources_read=len(starts),
    )
