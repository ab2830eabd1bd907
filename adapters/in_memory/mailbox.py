"""InMemoryMailbox: a complete Gmail-like mailbox in process memory (embedded default and test double)."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from application.ports.mailbox import Mailbox
from domain.errors import Conflict, NotFound, ValidationFailed
from domain.mail import (
    DRAFT,
    INBOX,
    SENT,
    SYSTEM_LABEL_IDS,
    UNREAD,
    Draft,
    DraftPage,
    EmailAddress,
    Label,
    LabelType,
    Message,
    OutgoingMessage,
    SearchPage,
    Thread,
    check_page_limit,
    decode_page_token,
    encode_page_token,
    to_millis,
    truncate_to_millis,
    validate_label_change,
    validate_label_name,
)
from domain.mail_query import CompiledQuery, parse_query, token_string
from domain.mail_sync import ChangeKind, HistoryExpired, MailChange, MailHistory, cursor_value
from domain.mime import (
    ParsedMessage,
    build_and_parse,
    ensure_message_id,
    normalize_message_id,
    outgoing_from_parsed,
    parse_mime,
)

DEFAULT_ADDRESS = "you@demo.mailagent.local"
HISTORY_LIMIT = 10_000  # history records kept; a cursor older than the oldest kept one gets HistoryExpired
MAX_HISTORY_PAGE = 500


@dataclass
class _Stored:
    message: Message
    raw: bytes
    parsed: ParsedMessage
    key: tuple[int, str] = (0, "")
    _tokens: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.key = sort_key(self.message)

    def tokens(self, field_name: str) -> str:
        """token_string of a text field, computed once (text fields never change; labels may)."""
        cached = self._tokens.get(field_name)
        if cached is None:
            cached = self._tokens[field_name] = token_string(self.message, field_name)
        return cached


def sort_key(message: Message) -> tuple[int, str]:
    return to_millis(message.internal_date), message.id


class InMemoryMailbox(Mailbox):
    """Thread-safe. Ids are deterministic (a counter), so a seeded mailbox always has the same ids.

    Seeding hook (not part of the port): `deliver(raw_mime, label_ids, internal_date=..., thread_id=...)`.
    Inspection: `.sent` lists every message sent, in order; `raw(message_id)` gives the stored bytes.
    """

    def __init__(
        self,
        address: str = DEFAULT_ADDRESS,
        *,
        clock: Callable[[], datetime] | None = None,
        history_limit: int = HISTORY_LIMIT,
    ) -> None:
        self._address = address
        self._clock = clock or (lambda: datetime.now(UTC))
        self._lock = threading.RLock()
        self._messages: dict[str, _Stored] = {}
        self._labels: dict[str, Label] = {}  # user labels by id (counts computed on demand)
        self._drafts: dict[str, str] = {}  # draft id -> message id
        self._threads: dict[str, set[str]] = {}  # thread id -> message ids
        self._by_rfc822_id: dict[str, set[str]] = {}  # lower-cased Message-ID header -> message ids
        self._counter = 0
        self.sent: list[Message] = []
        # the change feed: (history id, its changes), oldest first; ids start above 0 and only grow
        self._history: deque[tuple[int, tuple[MailChange, ...]]] = deque()
        self._history_id = 0
        self._pruned_through = 0  # every record up to this id was dropped
        self._history_limit = max(1, history_limit)

    # ------------------------------------------------------------ seeding and inspection

    def deliver(
        self,
        raw: bytes,
        label_ids: Iterable[str] = (INBOX, UNREAD),
        *,
        internal_date: datetime | None = None,
        thread_id: str | None = None,
    ) -> str:
        """Store a message as if it had arrived (Gmail's messages.insert); returns its id. The internal date
        defaults to the Date header, then to now."""
        with self._lock:
            labels = frozenset(label_ids)
            self._check_labels(labels)
            parsed = parse_mime(raw)
            when = internal_date or parsed.date or self._clock()
            return self._store(raw, parsed, labels, when, self._thread_for(parsed, thread_id)).message.id

    def seed(
        self,
        messages: Iterable[tuple[bytes, Sequence[str], Sequence[str], datetime]],
        *,
        only_if_empty: bool = True,
    ) -> int:
        """Bulk-load (raw, system label ids, user label names, internal date) tuples, creating missing labels by
        name. With only_if_empty, does nothing when the mailbox already has mail. Returns how many were added."""
        with self._lock:
            if only_if_empty and self._messages:
                return 0
            by_name = {label.name.lower(): label.id for label in self._labels.values()}
            count = 0
            for raw, system_labels, user_labels, internal_date in messages:
                label_ids = set(system_labels)
                for name in user_labels:
                    if name.lower() not in by_name:
                        by_name[name.lower()] = self.create_label(name).id
                    label_ids.add(by_name[name.lower()])
                self.deliver(raw, label_ids, internal_date=internal_date)
                count += 1
            return count

    def expire_history(self) -> None:
        """Test hook: forget the change feed so far (a cursor from before now gets HistoryExpired)."""
        with self._lock:
            self._history.clear()
            self._pruned_through = self._history_id

    def raw(self, message_id: str) -> bytes:
        with self._lock:
            return self._get(message_id).raw

    def __len__(self) -> int:
        return len(self._messages)

    # ------------------------------------------------------------ port

    def address(self) -> str:
        return self._address

    def search(
        self,
        query: str = "",
        *,
        label_ids: Sequence[str] = (),
        page_token: str | None = None,
        limit: int = 50,
    ) -> SearchPage:
        check_page_limit(limit)
        node = parse_query(query)
        cursor = decode_page_token(page_token) if page_token else None
        now = self._clock()
        with self._lock:
            self._check_labels(frozenset(label_ids))
            names = {label.id: label.name for label in self._labels.values()}
            wanted = frozenset(label_ids)
            query_matches = CompiledQuery(node, now, label_names=names, owner=self._address, scope_label_ids=label_ids)
            hits = [
                s
                for s in self._messages.values()
                if wanted <= s.message.label_ids and query_matches(s.message, s.tokens)
            ]
        hits.sort(key=lambda s: s.key, reverse=True)
        total = len(hits)
        if cursor is not None:
            hits = [s for s in hits if s.key < cursor]
        found = [s.message for s in hits[: limit + 1]]
        page = found[:limit]
        next_token = encode_page_token(page[-1].internal_date, page[-1].id) if len(found) > limit else None
        return SearchPage(messages=tuple(page), next_page_token=next_token, result_size_estimate=total)

    def get_message(self, message_id: str) -> Message:
        with self._lock:
            return self._get(message_id).message

    def get_attachment(self, message_id: str, attachment_id: str) -> bytes:
        with self._lock:
            part = self._get(message_id).parsed.attachment(attachment_id)
        if part is None:
            raise NotFound(f"Attachment {attachment_id} of message {message_id} was not found.")
        return part.content

    def get_thread(self, thread_id: str) -> Thread:
        with self._lock:
            messages = [self._messages[i].message for i in self._threads.get(thread_id, ())]
        if not messages:
            raise NotFound(f"Thread {thread_id} was not found.")
        return Thread(id=thread_id, messages=tuple(sorted(messages, key=sort_key)))

    def send(self, message: OutgoingMessage) -> Message:
        message.require_recipients()
        with self._lock:
            thread_id = self._thread_for_outgoing(message)
            stored = self._build_and_store(message, frozenset({SENT}), thread_id)
            self.sent.append(stored.message)
            return stored.message

    def find_by_message_id(self, rfc822_message_id: str) -> Message | None:
        wanted = normalize_message_id(rfc822_message_id).lower()
        with self._lock:
            candidates = [self._messages[i].message for i in self._by_rfc822_id.get(wanted, ())]
        if not candidates:
            return None
        # a sent copy wins over a draft of the same message
        return max(candidates, key=lambda m: (SENT in m.label_ids, sort_key(m)))

    def create_draft(self, message: OutgoingMessage) -> Draft:
        with self._lock:
            thread_id = self._thread_for_outgoing(message)
            stored = self._build_and_store(message, frozenset({DRAFT}), thread_id)
            self._counter += 1
            draft_id = f"r{self._counter:016x}"
            self._drafts[draft_id] = stored.message.id
            return Draft(id=draft_id, message=stored.message)

    def update_draft(self, draft_id: str, message: OutgoingMessage) -> Draft:
        with self._lock:
            old = self._get(self._draft_message_id(draft_id))
            if message.message_id is None and old.message.message_id_header:
                message = replace(message, message_id=old.message.message_id_header)
            thread_id = self._thread_for_outgoing(message) if message.thread_id else old.message.thread_id
            self._remove(old.message.id)
            labels = old.message.label_ids | {DRAFT}
            stored = self._build_and_store(message, labels, thread_id)
            self._drafts[draft_id] = stored.message.id
            return Draft(id=draft_id, message=stored.message)

    def get_draft(self, draft_id: str) -> Draft:
        with self._lock:
            return Draft(id=draft_id, message=self._get(self._draft_message_id(draft_id)).message)

    def list_drafts(self, *, page_token: str | None = None, limit: int = 50) -> DraftPage:
        check_page_limit(limit)
        cursor = decode_page_token(page_token) if page_token else None
        with self._lock:
            drafts = [Draft(id=d, message=self._messages[m].message) for d, m in self._drafts.items()]
        drafts.sort(key=lambda d: sort_key(d.message), reverse=True)
        if cursor is not None:
            drafts = [d for d in drafts if sort_key(d.message) < cursor]
        page = drafts[:limit]
        last = page[-1].message if page else None
        token = encode_page_token(last.internal_date, last.id) if last and len(drafts) > limit else None
        return DraftPage(drafts=tuple(page), next_page_token=token)

    def delete_draft(self, draft_id: str) -> None:
        with self._lock:
            message_id = self._draft_message_id(draft_id)
            del self._drafts[draft_id]
            if message_id in self._messages:
                self._remove(message_id)

    def send_draft(self, draft_id: str) -> Message:
        with self._lock:
            stored = self._get(self._draft_message_id(draft_id))
            outgoing = outgoing_from_parsed(stored.parsed)
            outgoing.require_recipients()
            self._remove(stored.message.id)
            del self._drafts[draft_id]
            labels = (stored.message.label_ids - {DRAFT}) | {SENT}
            sent = self._build_and_store(outgoing, labels, stored.message.thread_id, message_id=stored.message.id)
            self.sent.append(sent.message)
            return sent.message

    def list_labels(self) -> list[Label]:
        with self._lock:
            totals: dict[str, int] = {}
            unread: dict[str, int] = {}
            for stored in self._messages.values():
                is_unread = UNREAD in stored.message.label_ids
                for label_id in stored.message.label_ids:
                    totals[label_id] = totals.get(label_id, 0) + 1
                    if is_unread:
                        unread[label_id] = unread.get(label_id, 0) + 1
            system = [
                Label(
                    id=i,
                    name=i,
                    type=LabelType.SYSTEM,
                    messages_total=totals.get(i, 0),
                    messages_unread=unread.get(i, 0),
                )
                for i in SYSTEM_LABEL_IDS
            ]
            user = [
                replace(label, messages_total=totals.get(label.id, 0), messages_unread=unread.get(label.id, 0))
                for label in sorted(self._labels.values(), key=lambda lb: lb.name.lower())
            ]
        return system + user

    def create_label(self, name: str) -> Label:
        trimmed = validate_label_name(name)
        with self._lock:
            if any(label.name.lower() == trimmed.lower() for label in self._labels.values()):
                raise Conflict(f"A label named '{trimmed}' already exists.")
            self._counter += 1
            label = Label(id=f"Label_{self._counter}", name=trimmed, type=LabelType.USER)
            self._labels[label.id] = label
            return label

    def modify_labels(self, message_ids: Sequence[str], *, add: Sequence[str] = (), remove: Sequence[str] = ()) -> None:
        ids, to_add, to_remove = validate_label_change(message_ids, add, remove)
        with self._lock:
            self._check_labels(to_add | to_remove)
            targets = [self._get(message_id) for message_id in ids]
            for stored in targets:
                old = stored.message.label_ids
                labels = (old | to_add) - to_remove
                if labels == old:
                    continue
                stored.message = replace(stored.message, label_ids=labels)
                self._record_labels(stored.message, added=labels - old, removed=old - labels)

    # ------------------------------------------------------------ change feed

    def current_cursor(self) -> str:
        with self._lock:
            return str(self._history_id)

    def history(self, cursor: str, *, limit: int = MAX_HISTORY_PAGE) -> MailHistory:
        if not 1 <= limit <= MAX_HISTORY_PAGE:
            raise ValidationFailed(f"limit must be between 1 and {MAX_HISTORY_PAGE}.", details=[{"field": "limit"}])
        after = cursor_value(cursor)
        with self._lock:
            if after < self._pruned_through:
                raise HistoryExpired(f"The changes after {cursor} are no longer kept; sync the mailbox in full.")
            records = [r for r in self._history if r[0] > after]
            current = self._history_id
        page, more = records[:limit], len(records) > limit
        return MailHistory(
            cursor=str(page[-1][0] if more else current),
            changes=tuple(change for _, changes in page for change in changes),
            has_more=more,
        )

    # ------------------------------------------------------------ internals

    def _record(self, *changes: MailChange) -> None:
        """Append one history record (lock held); its id is the next one, already set on the changes."""
        self._history.append((self._history_id, changes))
        while len(self._history) > self._history_limit:
            self._pruned_through = self._history.popleft()[0]

    def _next_history_id(self) -> str:
        self._history_id += 1
        return str(self._history_id)

    def _record_message(self, kind: ChangeKind, message: Message) -> None:
        history_id = self._next_history_id()
        self._record(MailChange(history_id, kind, message.id, message.thread_id, message.label_ids))

    def _record_labels(self, message: Message, *, added: frozenset[str], removed: frozenset[str]) -> None:
        history_id = self._next_history_id()
        changes = [
            MailChange(history_id, kind, message.id, message.thread_id, message.label_ids, changed)
            for kind, changed in ((ChangeKind.LABELS_ADDED, added), (ChangeKind.LABELS_REMOVED, removed))
            if changed
        ]
        self._record(*changes)

    def _get(self, message_id: str) -> _Stored:
        stored = self._messages.get(message_id)
        if stored is None:
            raise NotFound(f"Message {message_id} was not found in this mailbox.")
        return stored

    def _draft_message_id(self, draft_id: str) -> str:
        message_id = self._drafts.get(draft_id)
        if message_id is None:
            raise NotFound(f"Draft {draft_id} was not found in this mailbox.")
        return message_id

    def _check_labels(self, label_ids: Iterable[str]) -> None:
        unknown = sorted(i for i in label_ids if i not in SYSTEM_LABEL_IDS and i not in self._labels)
        if unknown:
            raise NotFound(f"No label with id {', '.join(unknown)} exists in this mailbox.")

    def _thread_for(self, parsed: ParsedMessage, thread_id: str | None) -> str | None:
        if thread_id is not None:
            if not self._threads.get(thread_id):
                raise NotFound(f"Thread {thread_id} was not found.")
            return thread_id
        wanted = {r.lower() for r in (*parsed.references, parsed.in_reply_to or "") if r}
        if not wanted:
            return None
        related = [self._messages[i].message for key in wanted for i in self._by_rfc822_id.get(key, ())]
        return max(related, key=sort_key).thread_id if related else None

    def _thread_for_outgoing(self, message: OutgoingMessage) -> str | None:
        wanted = [r for r in (*message.references, message.in_reply_to or "") if r]
        probe = ParsedMessage(headers=(), references=tuple(wanted))
        return self._thread_for(probe, message.thread_id)

    def _build_and_store(
        self,
        message: OutgoingMessage,
        labels: frozenset[str],
        thread_id: str | None,
        message_id: str | None = None,
    ) -> _Stored:
        if message.from_ is None:
            message = replace(message, from_=EmailAddress(address=self._address))
        message = ensure_message_id(message, sender=self._address)
        assert message.message_id is not None
        now = self._clock()
        raw, parsed = build_and_parse(message, message_id=message.message_id, date=now)
        return self._store(raw, parsed, labels, now, thread_id, message_id=message_id)

    def _store(
        self,
        raw: bytes,
        parsed: ParsedMessage,
        labels: frozenset[str],
        internal_date: datetime,
        thread_id: str | None,
        message_id: str | None = None,
    ) -> _Stored:
        if message_id is None:
            self._counter += 1
            message_id = f"{self._counter:016x}"
        message = parsed.to_message(
            id=message_id,
            thread_id=thread_id or message_id,
            label_ids=labels,
            internal_date=truncate_to_millis(internal_date),
            size_estimate=len(raw),
        )
        stored = _Stored(message=message, raw=raw, parsed=parsed)
        self._messages[message_id] = stored
        self._record_message(ChangeKind.MESSAGE_ADDED, message)
        self._threads.setdefault(message.thread_id, set()).add(message_id)
        if message.message_id_header:
            self._by_rfc822_id.setdefault(message.message_id_header.lower(), set()).add(message_id)
        return stored

    def _remove(self, message_id: str) -> _Stored:
        stored = self._messages.pop(message_id)
        self._threads.get(stored.message.thread_id, set()).discard(message_id)
        if not self._threads.get(stored.message.thread_id):
            self._threads.pop(stored.message.thread_id, None)
        if stored.message.message_id_header:
            self._by_rfc822_id.get(stored.message.message_id_header.lower(), set()).discard(message_id)
        self._record_message(ChangeKind.MESSAGE_DELETED, stored.message)
        return stored
