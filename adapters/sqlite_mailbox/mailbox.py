"""SqliteMailbox: a Gmail-like mailbox in one SQLite file shared by every process (the persistent demo)."""

from __future__ import annotations

import json
import re
import sqlite3
import threading
import weakref
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from application.ports.mailbox import Mailbox
from domain.errors import Conflict, NotFound, ServiceUnavailable, ValidationFailed
from domain.mail import (
    DRAFT,
    INBOX,
    SENT,
    SPAM,
    SYSTEM_LABEL_IDS,
    TRASH,
    UNREAD,
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
    check_page_limit,
    decode_page_token,
    encode_page_token,
    from_millis,
    to_millis,
    truncate_to_millis,
    validate_label_change,
    validate_label_name,
)
from domain.mail_query import (
    CATEGORY_VALUES,
    IS_VALUES,
    MATCH_ALL,
    TEXT_FIELDS,
    And,
    Not,
    QueryNode,
    Term,
    parse_query,
    phrase_key,
    resolve_label,
    scope_labels,
    token_string,
)
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
_MS = timedelta(milliseconds=1)
SCHEMA_VERSION = 3  # 2: the change feed (mb_history, mb_history_state); 3: full-text index (mb_fts)
HISTORY_LIMIT = 10_000  # history records kept per account; an older cursor gets HistoryExpired
MAX_HISTORY_PAGE = 500
_SCHEMA = """
CREATE TABLE IF NOT EXISTS mb_accounts (
    account TEXT PRIMARY KEY,
    counter INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS mb_messages (
    account TEXT NOT NULL,
    id TEXT NOT NULL,
    thread_id TEXT NOT NULL,
    internal_ms INTEGER NOT NULL,
    labels TEXT NOT NULL,
    rfc822_id TEXT,
    has_attachment INTEGER NOT NULL,
    size INTEGER NOT NULL,
    from_address TEXT NOT NULL,
    to_addresses TEXT NOT NULL,
    cc_addresses TEXT NOT NULL,
    bcc_addresses TEXT NOT NULL,
    text_tokens TEXT NOT NULL,
    from_tokens TEXT NOT NULL,
    to_tokens TEXT NOT NULL,
    cc_tokens TEXT NOT NULL,
    bcc_tokens TEXT NOT NULL,
    subject_tokens TEXT NOT NULL,
    filename_tokens TEXT NOT NULL,
    PRIMARY KEY (account, id)
);
CREATE TABLE IF NOT EXISTS mb_contents (
    account TEXT NOT NULL,
    id TEXT NOT NULL,
    meta TEXT NOT NULL,
    raw BLOB NOT NULL,
    PRIMARY KEY (account, id)
);
-- covers plain, label, date, size and attachment queries: paging and counting never read the wide rows
CREATE INDEX IF NOT EXISTS mb_messages_page
    ON mb_messages (account, internal_ms DESC, id DESC, labels, has_attachment, size);
CREATE INDEX IF NOT EXISTS mb_messages_thread_date ON mb_messages (account, thread_id, internal_ms, id);
CREATE INDEX IF NOT EXISTS mb_messages_rfc822 ON mb_messages (account, rfc822_id);
CREATE TABLE IF NOT EXISTS mb_message_labels (
    account TEXT NOT NULL,
    label_id TEXT NOT NULL,
    message_id TEXT NOT NULL,
    internal_ms INTEGER NOT NULL,
    PRIMARY KEY (account, label_id, message_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS mb_message_labels_date ON mb_message_labels (account, label_id, internal_ms DESC);
CREATE INDEX IF NOT EXISTS mb_message_labels_message ON mb_message_labels (account, message_id);
CREATE TABLE IF NOT EXISTS mb_labels (
    account TEXT NOT NULL,
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    name_lower TEXT NOT NULL,
    PRIMARY KEY (account, id),
    UNIQUE (account, name_lower)
);
CREATE TABLE IF NOT EXISTS mb_drafts (
    account TEXT NOT NULL,
    id TEXT NOT NULL,
    message_id TEXT NOT NULL,
    PRIMARY KEY (account, id)
);
CREATE INDEX IF NOT EXISTS mb_drafts_message ON mb_drafts (account, message_id);
-- the change feed: one row per change, every change of one history record shares its id
CREATE TABLE IF NOT EXISTS mb_history (
    account TEXT NOT NULL,
    id INTEGER NOT NULL,
    kind TEXT NOT NULL,
    message_id TEXT NOT NULL,
    thread_id TEXT NOT NULL,
    labels TEXT NOT NULL,
    changed TEXT NOT NULL,
    PRIMARY KEY (account, id, kind)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS mb_history_state (
    account TEXT PRIMARY KEY,
    last_id INTEGER NOT NULL DEFAULT 0,
    pruned_through INTEGER NOT NULL DEFAULT 0
);
"""
# The full-text index over the token columns (FTS5, external content: it stores its index, mb_messages the text).
# Triggers keep it in step with every insert, delete and token change of mb_messages, in the same transaction.
# The columns hold the words of `domain.mail_query.token_string` in a form FTS5's tokenizer cannot read differently
# (`_fts_words`): ASCII words as they are, other words as '-' and their UTF-8 in hex, and '--' between the parts of a
# field. So each of our words is exactly one FTS5 token, no case folding or diacritic rule of the tokenizer applies,
# and an FTS5 phrase matches exactly where `domain.mail_query.matches` finds the phrase (within one part).
# `account` and `labels` are indexed too, so a query made of words and labels is answered (and counted) by the
# index alone; a label change re-indexes the message (the update trigger).
_FTS_COLUMNS = ("account", "labels", *(f"{name}_tokens" for name in TEXT_FIELDS))
_TOKEN_COLUMNS = tuple(f"{name}_tokens" for name in TEXT_FIELDS)
_COLUMNS = ", ".join(_FTS_COLUMNS)
_NEW = ", ".join(f"new.{c}" for c in _FTS_COLUMNS)
_OLD = ", ".join(f"old.{c}" for c in _FTS_COLUMNS)
_INDEX_SCHEMA = f"""
CREATE VIRTUAL TABLE IF NOT EXISTS mb_fts USING fts5({_COLUMNS}, content='mb_messages', content_rowid='rowid',
    tokenize="unicode61 remove_diacritics 0 tokenchars '_-'");
CREATE TRIGGER IF NOT EXISTS mb_fts_insert AFTER INSERT ON mb_messages BEGIN
    INSERT INTO mb_fts (rowid, {_COLUMNS}) VALUES (new.rowid, {_NEW});
END;
CREATE TRIGGER IF NOT EXISTS mb_fts_delete AFTER DELETE ON mb_messages BEGIN
    INSERT INTO mb_fts (mb_fts, rowid, {_COLUMNS}) VALUES ('delete', old.rowid, {_OLD});
END;
CREATE TRIGGER IF NOT EXISTS mb_fts_update AFTER UPDATE OF {_COLUMNS} ON mb_messages BEGIN
    INSERT INTO mb_fts (mb_fts, rowid, {_COLUMNS}) VALUES ('delete', old.rowid, {_OLD});
    INSERT INTO mb_fts (rowid, {_COLUMNS}) VALUES (new.rowid, {_NEW});
END;
-- how many messages an account holds ('*') and carry each label, for the search planner
CREATE TABLE IF NOT EXISTS mb_counts (
    account TEXT NOT NULL,
    label_id TEXT NOT NULL,
    messages INTEGER NOT NULL,
    PRIMARY KEY (account, label_id)
) WITHOUT ROWID;
CREATE TRIGGER IF NOT EXISTS mb_counts_message_in AFTER INSERT ON mb_messages BEGIN
    INSERT INTO mb_counts (account, label_id, messages) VALUES (new.account, '*', 1)
        ON CONFLICT (account, label_id) DO UPDATE SET messages = messages + 1;
END;
CREATE TRIGGER IF NOT EXISTS mb_counts_message_out AFTER DELETE ON mb_messages BEGIN
    UPDATE mb_counts SET messages = messages - 1 WHERE account = old.account AND label_id = '*';
END;
CREATE TRIGGER IF NOT EXISTS mb_counts_label_in AFTER INSERT ON mb_message_labels BEGIN
    INSERT INTO mb_counts (account, label_id, messages) VALUES (new.account, new.label_id, 1)
        ON CONFLICT (account, label_id) DO UPDATE SET messages = messages + 1;
END;
CREATE TRIGGER IF NOT EXISTS mb_counts_label_out AFTER DELETE ON mb_message_labels BEGIN
    UPDATE mb_counts SET messages = messages - 1 WHERE account = old.account AND label_id = old.label_id;
END;
"""  # noqa: S608 - column names only
_HAS_USER_LABEL = (
    "EXISTS (SELECT 1 FROM mb_message_labels l WHERE l.account = m.account AND l.message_id = m.id "  # noqa: S608 - placeholders only
    "AND l.label_id NOT IN (" + ", ".join("?" for _ in SYSTEM_LABEL_IDS) + "))"
)
# the searched columns stay small; message contents live in mb_contents, joined for result rows only
_SELECT = "SELECT m.id, m.labels, c.meta FROM mb_messages m JOIN mb_contents c ON c.account = m.account AND c.id = m.id"
# labels are kept as " INBOX UNREAD Label_3 " so a label test is a column check, not a subquery per row
_HAS_LABEL = "instr(m.labels, ?) > 0"


class SqliteMailbox(Mailbox):
    """One account's mailbox in a SQLite file (WAL; writes in BEGIN IMMEDIATE transactions, so several
    processes can share the file). Several accounts live side by side, keyed by `account_key`.

    Seeding hook (not part of the port): `deliver(raw_mime, label_ids, internal_date=..., thread_id=...)`.
    """

    def __init__(
        self,
        path: str | Path,
        account_key: str,
        *,
        address: str = DEFAULT_ADDRESS,
        clock: Callable[[], datetime] | None = None,
        history_limit: int = HISTORY_LIMIT,
    ) -> None:
        self._path = str(path)
        self._history_limit = max(1, history_limit)
        self._account = account_key
        self._address = address
        self._clock = clock or (lambda: datetime.now(UTC))
        self._lock = threading.RLock()
        if self._path != ":memory:":
            Path(self._path).parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(self._path, timeout=30, isolation_level=None, check_same_thread=False)
            weakref.finalize(self, self._db.close)  # a dropped mailbox does not leak its connection
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA busy_timeout=30000")
            with self._write() as db:
                version = int(db.execute("PRAGMA user_version").fetchone()[0])
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        db.execute(statement)
                if version < 3:  # a file from before the index: encode what it holds (before the triggers exist)
                    db.create_function("mb_fts_words", 1, _fts_words, deterministic=True)
                    db.execute(  # idempotent: an encoded column encodes to itself
                        "UPDATE mb_messages SET "  # noqa: S608 - column names only
                        + ", ".join(f"{c} = mb_fts_words({c})" for c in _TOKEN_COLUMNS)
                    )
                for statement in _statements(_INDEX_SCHEMA):
                    db.execute(statement)
                if version < 3:  # ...and index and count it, once
                    db.execute("INSERT INTO mb_fts (mb_fts) VALUES ('rebuild')")
                    db.execute(
                        "INSERT OR REPLACE INTO mb_counts (account, label_id, messages) "
                        "SELECT account, '*', COUNT(*) FROM mb_messages GROUP BY account"
                    )
                    db.execute(
                        "INSERT OR REPLACE INTO mb_counts (account, label_id, messages) "
                        "SELECT account, label_id, COUNT(*) FROM mb_message_labels GROUP BY account, label_id"
                    )
                db.execute("INSERT OR IGNORE INTO mb_accounts (account) VALUES (?)", (self._account,))
                db.execute("INSERT OR IGNORE INTO mb_history_state (account) VALUES (?)", (self._account,))
                db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        except sqlite3.Error as exc:
            raise ServiceUnavailable("The mailbox store cannot be opened.", service="mailbox") from exc

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # ------------------------------------------------------------ transactions

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise ServiceUnavailable("The mailbox store is busy; try again.", service="mailbox") from exc
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            else:
                self._db.execute("COMMIT")

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN")
            try:
                yield self._db
            finally:
                self._db.execute("COMMIT")

    def _next_id(self, db: sqlite3.Connection) -> int:
        row = db.execute(
            "UPDATE mb_accounts SET counter = counter + 1 WHERE account = ? RETURNING counter",
            (self._account,),
        ).fetchone()
        return int(row[0])

    # ------------------------------------------------------------ seeding

    def deliver(
        self,
        raw: bytes,
        label_ids: Iterable[str] = (INBOX, UNREAD),
        *,
        internal_date: datetime | None = None,
        thread_id: str | None = None,
    ) -> str:
        """Store a message as if it had arrived (Gmail's messages.insert); returns its id."""
        labels = frozenset(label_ids)
        parsed = parse_mime(raw)
        when = internal_date or parsed.date or self._clock()
        with self._write() as db:
            self._check_labels(db, labels)
            thread = self._thread_for(db, parsed.references, parsed.in_reply_to, thread_id)
            return self._store(db, raw, parsed, labels, when, thread).id

    def seed(
        self,
        messages: Iterable[tuple[bytes, Sequence[str], Sequence[str], datetime]],
        *,
        only_if_empty: bool = True,
    ) -> int:
        """Bulk-load (raw, system label ids, user label names, internal date) tuples in one transaction, creating
        missing labels by name. With only_if_empty the check and the load are atomic, so several processes
        starting at once seed the shared file once. Returns how many messages were added."""
        with self._write() as db:
            if only_if_empty:
                row = db.execute("SELECT 1 FROM mb_messages WHERE account = ? LIMIT 1", (self._account,)).fetchone()
                if row is not None:
                    return 0
            by_name = {name.lower(): label_id for label_id, name in self._label_names(db).items()}
            count = 0
            for raw, system_labels, user_labels, internal_date in messages:
                label_ids = set(system_labels)
                self._check_labels(db, label_ids)
                for name in user_labels:
                    key = validate_label_name(name).lower()
                    if key not in by_name:
                        by_name[key] = self._insert_label(db, name.strip())
                    label_ids.add(by_name[key])
                parsed = parse_mime(raw)
                thread = self._thread_for(db, parsed.references, parsed.in_reply_to, None)
                # a bulk load is the mailbox's starting point, not a change: it leaves no history
                self._store(db, raw, parsed, frozenset(label_ids), internal_date, thread, record=False)
                count += 1
            return count

    def expunge(self, message_id: str) -> None:
        """Forget a message the provider no longer has (and its draft, if it was one), as a MESSAGE_DELETED change:
        how a local index follows a message deleted on the server (adapters.imap_smtp)."""
        with self._write() as db:
            db.execute("DELETE FROM mb_drafts WHERE account = ? AND message_id = ?", (self._account, message_id))
            self._delete(db, message_id)

    def apply_provider_labels(self, message_id: str, *, add: Iterable[str] = (), remove: Iterable[str] = ()) -> None:
        """Labels as the provider now has them, including SENT and DRAFT, which no user action may change (a sync
        sees a copy of a message appear in the Sent folder)."""
        with self._write() as db:
            to_add, to_remove = frozenset(add), frozenset(remove)
            self._check_labels(db, to_add | to_remove)
            message = self._get(db, message_id)
            labels = (message.label_ids | to_add) - to_remove
            if labels != message.label_ids:
                self._set_labels(db, message, labels)

    def register_draft(self, message_id: str) -> str:
        """Make a stored message (with the DRAFT label) a draft, e.g. one written by another mail client; returns
        the draft id (the existing one when it already is a draft)."""
        with self._write() as db:
            self._get(db, message_id)
            row = db.execute(
                "SELECT id FROM mb_drafts WHERE account = ? AND message_id = ?", (self._account, message_id)
            ).fetchone()
            if row is not None:
                return str(row[0])
            draft_id = f"r{self._next_id(db):016x}"
            db.execute(
                "INSERT INTO mb_drafts (account, id, message_id) VALUES (?, ?, ?)",
                (self._account, draft_id, message_id),
            )
            return draft_id

    def expire_history(self) -> None:
        """Test hook: forget the change feed so far (a cursor from before now gets HistoryExpired)."""
        with self._write() as db:
            db.execute("DELETE FROM mb_history WHERE account = ?", (self._account,))
            db.execute("UPDATE mb_history_state SET pruned_through = last_id WHERE account = ?", (self._account,))

    def raw(self, message_id: str) -> bytes:
        with self._read() as db:
            row = db.execute(
                "SELECT raw FROM mb_contents WHERE account = ? AND id = ?", (self._account, message_id)
            ).fetchone()
        if row is None:
            raise NotFound(f"Message {message_id} was not found in this mailbox.")
        return bytes(row[0])

    def count(self) -> int:
        with self._read() as db:
            row = db.execute("SELECT COUNT(*) FROM mb_messages WHERE account = ?", (self._account,)).fetchone()
        return int(row[0])

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
        with self._read() as db:
            self._check_labels(db, label_ids)
            plan = _Plan(self._label_names(db), now, self._address)
            clauses = ["m.account = ?"]
            params: list[Any] = [self._account]
            for label_id in label_ids:
                clauses.append(_HAS_LABEL)
                params.append(_label_key(label_id))
            scope = scope_labels(node) | (frozenset(label_ids) & {TRASH, SPAM})
            hidden = [label for label in (TRASH, SPAM) if label not in scope]
            for label in hidden:
                clauses.append(f"NOT {_HAS_LABEL}")
                params.append(_label_key(label))
            condition, condition_params = plan.sql(node)
            clauses.append(condition)
            params += condition_params
            where = " AND ".join(clauses)
            fts = plan.fts(node) if _FTS_TOKEN.fullmatch(self._account) else None
            if fts is not None or node == MATCH_ALL:  # anchored on the account, with the label filter and hiding
                anchor = [f'account : "{self._account}"', *(f"({_fts_labels([i])})" for i in label_ids)]
                if fts is not None:
                    anchor.append(fts)
                fts = _fts_and(anchor, [f"({_fts_labels(hidden)})"] if hidden else [])
            search = _Search(
                db,
                self._account,
                where,
                params,
                plan.drivers(node, label_ids),
                hidden=hidden,
                everything=node == MATCH_ALL and not label_ids,
                fts=fts,
            )
            total = search.count()
            if cursor is not None:
                search.where += " AND (m.internal_ms < ? OR (m.internal_ms = ? AND m.id < ?))"
                search.params += [cursor[0], cursor[0], cursor[1]]
            rows = search.page(limit + 1, total)
        found = [_row_message(r) for r in rows]
        page, more = found[:limit], len(found) > limit
        token = encode_page_token(page[-1].internal_date, page[-1].id) if more and page else None
        return SearchPage(messages=tuple(page), next_page_token=token, result_size_estimate=total)

    def get_message(self, message_id: str) -> Message:
        with self._read() as db:
            return self._get(db, message_id)

    def get_attachment(self, message_id: str, attachment_id: str) -> bytes:
        part = parse_mime(self.raw(message_id)).attachment(attachment_id)
        if part is None:
            raise NotFound(f"Attachment {attachment_id} of message {message_id} was not found.")
        return part.content

    def get_thread(self, thread_id: str) -> Thread:
        with self._read() as db:
            rows = db.execute(
                f"{_SELECT} WHERE m.account = ? AND m.thread_id = ? ORDER BY m.internal_ms, m.id",
                (self._account, thread_id),
            ).fetchall()
        if not rows:
            raise NotFound(f"Thread {thread_id} was not found.")
        return Thread(id=thread_id, messages=tuple(_row_message(r) for r in rows))

    def send(self, message: OutgoingMessage) -> Message:
        message.require_recipients()
        with self._write() as db:
            thread = self._thread_for(db, message.references, message.in_reply_to, message.thread_id)
            return self._build_and_store(db, message, frozenset({SENT}), thread)

    def find_by_message_id(self, rfc822_message_id: str) -> Message | None:
        wanted = _rfc822_key(normalize_message_id(rfc822_message_id))
        with self._read() as db:
            rows = db.execute(
                f"{_SELECT} WHERE m.account = ? AND m.rfc822_id = ?",
                (self._account, wanted),
            ).fetchall()
        if not rows:
            return None
        return max((_row_message(r) for r in rows), key=lambda m: (SENT in m.label_ids, _key(m)))

    def create_draft(self, message: OutgoingMessage) -> Draft:
        with self._write() as db:
            thread = self._thread_for(db, message.references, message.in_reply_to, message.thread_id)
            stored = self._build_and_store(db, message, frozenset({DRAFT}), thread)
            draft_id = f"r{self._next_id(db):016x}"
            db.execute(
                "INSERT INTO mb_drafts (account, id, message_id) VALUES (?, ?, ?)",
                (self._account, draft_id, stored.id),
            )
            return Draft(id=draft_id, message=stored)

    def update_draft(self, draft_id: str, message: OutgoingMessage) -> Draft:
        with self._write() as db:
            old = self._get(db, self._draft_message_id(db, draft_id))
            if message.message_id is None and old.message_id_header:
                message = replace(message, message_id=old.message_id_header)
            if message.thread_id:
                thread: str | None = self._thread_for(db, (), None, message.thread_id)
            else:
                thread = old.thread_id
            self._delete(db, old.id)
            stored = self._build_and_store(db, message, old.label_ids | {DRAFT}, thread)
            db.execute(
                "UPDATE mb_drafts SET message_id = ? WHERE account = ? AND id = ?",
                (stored.id, self._account, draft_id),
            )
            return Draft(id=draft_id, message=stored)

    def get_draft(self, draft_id: str) -> Draft:
        with self._read() as db:
            return Draft(id=draft_id, message=self._get(db, self._draft_message_id(db, draft_id)))

    def list_drafts(self, *, page_token: str | None = None, limit: int = 50) -> DraftPage:
        check_page_limit(limit)
        cursor = decode_page_token(page_token) if page_token else None
        sql = (
            # CROSS JOIN keeps drafts as the outer loop: a mailbox has few drafts and many messages
            "SELECT d.id, m.id, m.labels, c.meta FROM mb_drafts d CROSS JOIN mb_messages m "
            "ON m.account = d.account AND m.id = d.message_id "
            "JOIN mb_contents c ON c.account = m.account AND c.id = m.id WHERE d.account = ?"
        )
        params: list[Any] = [self._account]
        if cursor is not None:
            sql += " AND (m.internal_ms < ? OR (m.internal_ms = ? AND m.id < ?))"
            params += [cursor[0], cursor[0], cursor[1]]
        sql += " ORDER BY m.internal_ms DESC, m.id DESC LIMIT ?"
        with self._read() as db:
            rows = db.execute(sql, [*params, limit + 1]).fetchall()
        drafts = [Draft(id=r[0], message=_row_message(r[1:])) for r in rows]
        page = drafts[:limit]
        token = encode_page_token(page[-1].message.internal_date, page[-1].message.id) if len(drafts) > limit else None
        return DraftPage(drafts=tuple(page), next_page_token=token)

    def delete_draft(self, draft_id: str) -> None:
        with self._write() as db:
            message_id = self._draft_message_id(db, draft_id)
            db.execute("DELETE FROM mb_drafts WHERE account = ? AND id = ?", (self._account, draft_id))
            self._delete(db, message_id)

    def send_draft(self, draft_id: str) -> Message:
        with self._write() as db:
            message_id = self._draft_message_id(db, draft_id)
            old = self._get(db, message_id)
            row = db.execute(
                "SELECT raw FROM mb_contents WHERE account = ? AND id = ?", (self._account, message_id)
            ).fetchone()
            outgoing = outgoing_from_parsed(parse_mime(bytes(row[0])))
            outgoing.require_recipients()
            db.execute("DELETE FROM mb_drafts WHERE account = ? AND id = ?", (self._account, draft_id))
            self._delete(db, message_id)
            labels = (old.label_ids - {DRAFT}) | {SENT}
            return self._build_and_store(db, outgoing, labels, old.thread_id, message_id=message_id)

    def list_labels(self) -> list[Label]:
        with self._read() as db:
            totals = dict(
                db.execute(
                    "SELECT label_id, COUNT(*) FROM mb_message_labels WHERE account = ? GROUP BY label_id",
                    (self._account,),
                ).fetchall()
            )
            unread = dict(
                db.execute(
                    # unread messages drive the loop (CROSS JOIN fixes the order): cost grows with unread mail only
                    "SELECT l.label_id, COUNT(*) FROM mb_message_labels u CROSS JOIN mb_message_labels l "
                    "ON l.account = u.account AND l.message_id = u.message_id "
                    "WHERE u.account = ? AND u.label_id = ? GROUP BY l.label_id",
                    (self._account, UNREAD),
                ).fetchall()
            )
            user = db.execute(
                "SELECT id, name FROM mb_labels WHERE account = ? ORDER BY name_lower", (self._account,)
            ).fetchall()
        labels = [
            Label(
                id=i,
                name=i,
                type=LabelType.SYSTEM,
                messages_total=int(totals.get(i, 0)),
                messages_unread=int(unread.get(i, 0)),
            )
            for i in SYSTEM_LABEL_IDS
        ]
        labels += [
            Label(
                id=i,
                name=name,
                type=LabelType.USER,
                messages_total=int(totals.get(i, 0)),
                messages_unread=int(unread.get(i, 0)),
            )
            for i, name in user
        ]
        return labels

    def create_label(self, name: str) -> Label:
        trimmed = validate_label_name(name)
        with self._write() as db:
            exists = db.execute(
                "SELECT 1 FROM mb_labels WHERE account = ? AND name_lower = ?",
                (self._account, trimmed.lower()),
            ).fetchone()
            if exists:
                raise Conflict(f"A label named '{trimmed}' already exists.")
            return Label(id=self._insert_label(db, trimmed), name=trimmed, type=LabelType.USER)

    def modify_labels(self, message_ids: Sequence[str], *, add: Sequence[str] = (), remove: Sequence[str] = ()) -> None:
        ids, to_add, to_remove = validate_label_change(message_ids, add, remove)
        with self._write() as db:
            self._check_labels(db, to_add | to_remove)
            targets = [self._get(db, message_id) for message_id in ids]
            for message in targets:
                labels = (message.label_ids | to_add) - to_remove
                if labels != message.label_ids:
                    self._set_labels(db, message, labels)

    # ------------------------------------------------------------ change feed

    def current_cursor(self) -> str:
        with self._read() as db:
            return str(self._history_state(db)[0])

    def history(self, cursor: str, *, limit: int = MAX_HISTORY_PAGE) -> MailHistory:
        if not 1 <= limit <= MAX_HISTORY_PAGE:
            raise ValidationFailed(f"limit must be between 1 and {MAX_HISTORY_PAGE}.", details=[{"field": "limit"}])
        after = cursor_value(cursor)
        with self._read() as db:
            current, pruned_through = self._history_state(db)
            if after < pruned_through:
                raise HistoryExpired(f"The changes after {cursor} are no longer kept; sync the mailbox in full.")
            # the ids of the first `limit` records after the cursor (+1 to know whether more follow)
            ids = [
                int(r[0])
                for r in db.execute(
                    "SELECT DISTINCT id FROM mb_history WHERE account = ? AND id > ? ORDER BY id LIMIT ?",
                    (self._account, after, limit + 1),
                ).fetchall()
            ]
            more = len(ids) > limit
            ids = ids[:limit]
            rows = (
                db.execute(
                    "SELECT id, kind, message_id, thread_id, labels, changed FROM mb_history "
                    "WHERE account = ? AND id > ? AND id <= ? ORDER BY id, kind",
                    (self._account, after, ids[-1]),
                ).fetchall()
                if ids
                else []
            )
        changes = tuple(
            MailChange(
                history_id=str(r[0]),
                kind=ChangeKind(r[1]),
                message_id=str(r[2]),
                thread_id=str(r[3]),
                label_ids=frozenset(str(r[4]).split()),
                changed_label_ids=frozenset(str(r[5]).split()),
            )
            for r in rows
        )
        return MailHistory(cursor=str(ids[-1] if more else current), changes=changes, has_more=more)

    def _history_state(self, db: sqlite3.Connection) -> tuple[int, int]:
        row = db.execute(
            "SELECT last_id, pruned_through FROM mb_history_state WHERE account = ?", (self._account,)
        ).fetchone()
        return (int(row[0]), int(row[1])) if row else (0, 0)

    def _record(
        self,
        db: sqlite3.Connection,
        changes: Sequence[tuple[ChangeKind, str, str, frozenset[str], frozenset[str]]],
    ) -> None:
        """One history record (in the caller's write transaction) holding these changes; old records beyond the
        kept number are dropped."""
        if not changes:
            return
        row = db.execute(
            "UPDATE mb_history_state SET last_id = last_id + 1 WHERE account = ? RETURNING last_id, pruned_through",
            (self._account,),
        ).fetchone()
        history_id, pruned_through = int(row[0]), int(row[1])
        db.executemany(
            "INSERT INTO mb_history (account, id, kind, message_id, thread_id, labels, changed) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (self._account, history_id, kind.value, mid, tid, _labels_text(labels), _labels_text(changed))
                for kind, mid, tid, labels, changed in changes
            ],
        )
        floor = history_id - self._history_limit
        if floor > pruned_through:
            db.execute("DELETE FROM mb_history WHERE account = ? AND id <= ?", (self._account, floor))
            db.execute("UPDATE mb_history_state SET pruned_through = ? WHERE account = ?", (floor, self._account))

    # ------------------------------------------------------------ internals

    def _get(self, db: sqlite3.Connection, message_id: str) -> Message:
        row = db.execute(
            f"{_SELECT} WHERE m.account = ? AND m.id = ?",
            (self._account, message_id),
        ).fetchone()
        if row is None:
            raise NotFound(f"Message {message_id} was not found in this mailbox.")
        return _row_message(row)

    def _draft_message_id(self, db: sqlite3.Connection, draft_id: str) -> str:
        row = db.execute(
            "SELECT message_id FROM mb_drafts WHERE account = ? AND id = ?", (self._account, draft_id)
        ).fetchone()
        if row is None:
            raise NotFound(f"Draft {draft_id} was not found in this mailbox.")
        return str(row[0])

    def _insert_label(self, db: sqlite3.Connection, name: str) -> str:
        label_id = f"Label_{self._next_id(db)}"
        db.execute(
            "INSERT INTO mb_labels (account, id, name, name_lower) VALUES (?, ?, ?, ?)",
            (self._account, label_id, name, name.lower()),
        )
        return label_id

    def _label_names(self, db: sqlite3.Connection) -> dict[str, str]:
        rows = db.execute("SELECT id, name FROM mb_labels WHERE account = ?", (self._account,)).fetchall()
        return {str(i): str(n) for i, n in rows}

    def _check_labels(self, db: sqlite3.Connection, label_ids: Iterable[str]) -> None:
        wanted = {i for i in label_ids if i not in SYSTEM_LABEL_IDS}
        if not wanted:
            return
        known = set(self._label_names(db))
        unknown = sorted(wanted - known)
        if unknown:
            raise NotFound(f"No label with id {', '.join(unknown)} exists in this mailbox.")

    def _thread_for(
        self,
        db: sqlite3.Connection,
        references: Sequence[str],
        in_reply_to: str | None,
        thread_id: str | None,
    ) -> str | None:
        if thread_id is not None:
            row = db.execute(
                "SELECT 1 FROM mb_messages WHERE account = ? AND thread_id = ? LIMIT 1",
                (self._account, thread_id),
            ).fetchone()
            if row is None:
                raise NotFound(f"Thread {thread_id} was not found.")
            return thread_id
        wanted = sorted({_rfc822_key(r) for r in (*references, in_reply_to or "") if r})
        if not wanted:
            return None
        marks = ", ".join("?" for _ in wanted)
        # without INDEXED BY the planner walks the date index for ORDER BY ... LIMIT 1: O(mailbox) per send
        sql = (
            "SELECT thread_id FROM mb_messages INDEXED BY mb_messages_rfc822 "  # noqa: S608 - placeholders only
            f"WHERE account = ? AND rfc822_id IN ({marks}) ORDER BY internal_ms DESC, id DESC LIMIT 1"
        )
        row = db.execute(sql, (self._account, *wanted)).fetchone()
        return str(row[0]) if row else None

    def _build_and_store(
        self,
        db: sqlite3.Connection,
        message: OutgoingMessage,
        labels: frozenset[str],
        thread_id: str | None,
        message_id: str | None = None,
    ) -> Message:
        if message.from_ is None:
            message = replace(message, from_=EmailAddress(address=self._address))
        message = ensure_message_id(message, sender=self._address)
        assert message.message_id is not None
        now = self._clock()
        raw, parsed = build_and_parse(message, message_id=message.message_id, date=now)
        return self._store(db, raw, parsed, labels, now, thread_id, message_id=message_id)

    def _store(
        self,
        db: sqlite3.Connection,
        raw: bytes,
        parsed: ParsedMessage,
        labels: frozenset[str],
        internal_date: datetime,
        thread_id: str | None,
        message_id: str | None = None,
        *,
        record: bool = True,
    ) -> Message:
        if message_id is None:
            message_id = f"{self._next_id(db):016x}"
        message = parsed.to_message(
            id=message_id,
            thread_id=thread_id or message_id,
            label_ids=labels,
            internal_date=truncate_to_millis(internal_date),
            size_estimate=len(raw),
        )
        db.execute(
            "INSERT INTO mb_messages (account, id, thread_id, internal_ms, labels, rfc822_id, has_attachment, "
            "size, from_address, to_addresses, cc_addresses, bcc_addresses, text_tokens, from_tokens, to_tokens, "
            "cc_tokens, bcc_tokens, subject_tokens, filename_tokens) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                self._account,
                message.id,
                message.thread_id,
                _millis(message.internal_date),
                _labels_text(labels),
                _rfc822_key(message.message_id_header) if message.message_id_header else None,
                int(message.has_attachments),
                message.size_estimate,
                message.from_.address.lower() if message.from_ else "",
                _addresses(message.to + message.cc + message.bcc),
                _addresses(message.cc),
                _addresses(message.bcc),
                *(_fts_words(token_string(message, name)) for name in TEXT_FIELDS),
            ),
        )
        db.execute(
            "INSERT INTO mb_contents (account, id, meta, raw) VALUES (?, ?, ?, ?)",
            (self._account, message.id, json.dumps(_to_json(message), ensure_ascii=False), raw),
        )
        db.executemany(
            "INSERT INTO mb_message_labels (account, label_id, message_id, internal_ms) VALUES (?, ?, ?, ?)",
            [(self._account, label, message.id, _millis(message.internal_date)) for label in labels],
        )
        if record:
            self._record(db, [(ChangeKind.MESSAGE_ADDED, message.id, message.thread_id, labels, frozenset())])
        return message

    def _set_labels(self, db: sqlite3.Connection, message: Message, labels: frozenset[str]) -> None:
        added, removed = labels - message.label_ids, message.label_ids - labels
        self._record(
            db,
            [
                (kind, message.id, message.thread_id, labels, changed)
                for kind, changed in ((ChangeKind.LABELS_ADDED, added), (ChangeKind.LABELS_REMOVED, removed))
                if changed
            ],
        )
        db.execute(
            "UPDATE mb_messages SET labels = ? WHERE account = ? AND id = ?",
            (_labels_text(labels), self._account, message.id),
        )
        db.execute("DELETE FROM mb_message_labels WHERE account = ? AND message_id = ?", (self._account, message.id))
        db.executemany(
            "INSERT INTO mb_message_labels (account, label_id, message_id, internal_ms) VALUES (?, ?, ?, ?)",
            [(self._account, label, message.id, _millis(message.internal_date)) for label in labels],
        )

    def _delete(self, db: sqlite3.Connection, message_id: str) -> None:
        row = db.execute(
            "SELECT thread_id, labels FROM mb_messages WHERE account = ? AND id = ?", (self._account, message_id)
        ).fetchone()
        if row is not None:
            labels = frozenset(str(row[1]).split())
            self._record(db, [(ChangeKind.MESSAGE_DELETED, message_id, str(row[0]), labels, frozenset())])
        db.execute("DELETE FROM mb_messages WHERE account = ? AND id = ?", (self._account, message_id))
        db.execute("DELETE FROM mb_contents WHERE account = ? AND id = ?", (self._account, message_id))
        db.execute("DELETE FROM mb_message_labels WHERE account = ? AND message_id = ?", (self._account, message_id))


# ---------------------------------------------------------------- query planning


class _Plan:
    """Turns a query tree into one SQL condition with the exact meaning of `domain.mail_query.matches` (the
    contract suite checks both against the same oracle), so the database pages and counts by itself."""

    def __init__(self, label_names: dict[str, str], now: datetime, owner: str) -> None:
        self.label_names = label_names
        self.now = now
        self.owner = owner.lower()

    def sql(self, node: QueryNode) -> tuple[str, list[Any]]:
        if isinstance(node, Term):
            return self._term(node)
        if isinstance(node, Not):
            inner, params = self.sql(node.child)
            return f"NOT ({inner})", params
        if not node.children:
            return ("1" if isinstance(node, And) else "0"), []
        parts = [self.sql(child) for child in node.children]
        joiner = " AND " if isinstance(node, And) else " OR "
        return "(" + joiner.join(p[0] for p in parts) + ")", [param for p in parts for param in p[1]]

    def fts(self, node: QueryNode) -> str | None:
        """The same condition as an FTS5 query over the index's columns, or None when it needs more than words
        and labels (dates, sizes, attachments, `me`, ...) or a negation FTS5 cannot say (NOT is binary there)."""
        positive, negative = [], []
        for conjunct in _conjuncts(node):
            if isinstance(conjunct, Not):
                inner = self._fts_positive(conjunct.child)
                if not inner:  # None: not for FTS5; "": NOT of everything, which FTS5 cannot say either
                    return None
                negative.append(inner)
            else:
                inner = self._fts_positive(conjunct)
                if inner is None:
                    return None
                if inner != "":
                    positive.append(inner)
        return _fts_and(positive, negative)

    def _fts_positive(self, node: QueryNode) -> str | None:
        """FTS5 for a node without negations; "" for one that matches everything."""
        if isinstance(node, Term):
            op, value = node.field, node.value
            if op in TEXT_FIELDS and not (op != "text" and value.lower() == "me"):
                return _fts_match(op, value) or ""
            if op in ("label", "in"):
                if op == "in" and value == "anywhere":
                    return ""
                return _fts_labels(self._labels(value))
            if op == "category":
                return _fts_labels([CATEGORY_VALUES[value]])
            if op == "is" and IS_VALUES[value] is not None:
                return _fts_labels([str(IS_VALUES[value])])
            return None
        if isinstance(node, Not) or not node.children:
            return None
        parts = [self._fts_positive(child) for child in node.children]
        if any(p is None for p in parts):
            return None
        if isinstance(node, And):
            kept = [p for p in parts if p]
            return " AND ".join(f"({p})" for p in kept) if kept else ""
        if any(p == "" for p in parts):
            return ""  # an alternative that matches everything
        return " OR ".join(f"({p})" for p in parts)

    def drivers(self, node: QueryNode, label_ids: Sequence[str]) -> list[_Driver]:
        """The conditions every match must meet that an index can list: an FTS5 phrase, or one label. Only the
        query's top-level AND (and the label filter) qualify: under OR or NOT a term does not bound the matches."""
        found: list[_Driver] = [_Driver("label", label_id) for label_id in label_ids]
        for term in _conjuncts(node):
            if not isinstance(term, Term):
                continue
            if term.field in TEXT_FIELDS and not (term.field != "text" and term.value.lower() == "me"):
                match = _fts_match(term.field, term.value)
                if match is not None:
                    found.append(_Driver("fts", match))
            elif term.field in ("label", "in") and term.value != "anywhere":
                ids = self._labels(term.value)
                if len(ids) == 1:
                    found.append(_Driver("label", ids[0]))
            elif term.field == "category":
                found.append(_Driver("label", CATEGORY_VALUES[term.value]))
            elif term.field == "is" and IS_VALUES[term.value] is not None:
                found.append(_Driver("label", str(IS_VALUES[term.value])))
        return found

    def _labels(self, value: str) -> list[str]:
        return sorted(resolve_label(value, self.label_names))

    def _any_label(self, label_ids: Sequence[str]) -> tuple[str, list[Any]]:
        if not label_ids:
            return "0", []
        return "(" + " OR ".join(_HAS_LABEL for _ in label_ids) + ")", [_label_key(i) for i in label_ids]

    def _term(self, term: Term) -> tuple[str, list[Any]]:
        op, value = term.field, term.value
        if op in ("from", "to", "cc", "bcc") and value.lower() == "me":
            if op == "from":
                return "m.from_address = ?", [self.owner]
            return f"instr(m.{op}_addresses, ?) > 0", [f" {self.owner} "]
        if op in TEXT_FIELDS:
            match = _fts_match(op, value)
            return (
                ("1", []) if match is None else ("m.rowid IN (SELECT rowid FROM mb_fts WHERE mb_fts MATCH ?)", [match])
            )
        if op == "rfc822msgid":
            return "m.rfc822_id = ?", [_rfc822_key(value)]
        if op in ("label", "in"):
            if op == "in" and value == "anywhere":
                return "1", []
            return self._any_label(self._labels(value))
        if op == "category":
            return _HAS_LABEL, [_label_key(CATEGORY_VALUES[value])]
        if op == "is":
            label = IS_VALUES[value]
            if label is None:
                return f"NOT {_HAS_LABEL}", [_label_key(UNREAD)]
            return _HAS_LABEL, [_label_key(label)]
        if op == "has":
            if value == "attachment":
                return "m.has_attachment = 1", []
            user = _HAS_USER_LABEL
            return (user if value == "userlabels" else f"NOT {user}"), list(SYSTEM_LABEL_IDS)
        if op in ("after", "before"):
            assert term.when is not None
            return ("m.internal_ms >= ?" if op == "after" else "m.internal_ms < ?"), [to_millis(term.when)]
        if op in ("newer_than", "older_than"):
            # internal dates are whole milliseconds: I > t <=> I > floor(t), and I < t <=> I < ceil(t)
            assert term.age is not None
            threshold = self.now - term.age
            if op == "newer_than":
                return "m.internal_ms > ?", [to_millis(threshold)]
            return "m.internal_ms < ?", [_ceil_millis(threshold)]
        if op in ("larger", "smaller"):
            assert term.size is not None
            return ("m.size > ?" if op == "larger" else "m.size < ?"), [term.size]
        raise AssertionError(f"unknown operator {op}")


def _conjuncts(node: QueryNode) -> list[QueryNode]:
    """The children of the top-level AND (nested ANDs flattened); the node itself otherwise."""
    if isinstance(node, And):
        return [leaf for child in node.children for leaf in _conjuncts(child)]
    return [node]


@dataclass(frozen=True)
class _Driver:
    kind: str  # "fts" (value: an FTS5 query) or "label" (value: a label id)
    value: str


# Rough relative costs, per message visited, of the two ways to visit candidates: walking the covering date index
# (checking labels on the way), against looking each candidate up by key (measured on the benchmark machine).
_SCAN_COST = 1.0
_LOOKUP_COST = 6.0


class _Search:
    """One search's COUNT and page queries, each visiting as few messages as it can. The WHERE clause holds every
    condition of the query whichever way is chosen; a driver only decides which messages are visited, and since
    every match satisfies the driver's condition, visiting only the driver's messages misses none."""

    def __init__(
        self,
        db: sqlite3.Connection,
        account: str,
        where: str,
        params: list[Any],
        drivers: list[_Driver],
        *,
        hidden: list[str],
        everything: bool,
        fts: str | None,
    ) -> None:
        self.db, self.account, self.where, self.params = db, account, where, params
        self.hidden = hidden  # labels whose messages the search leaves out (trash, spam)
        self.everything = everything  # no condition but leaving those out
        self.size = self._counted("*")
        if fts is not None and not everything:  # the index alone answers the whole query: it is the driver
            drivers = [_Driver("fts", fts)]
        self.fts_only = fts is not None and not everything
        # the smallest driver: a label's size comes from the counts, a phrase's from the index (a few ms)
        self.driver = min(((self._driver_size(d), d) for d in drivers), key=lambda x: x[0], default=None)

    def _counted(self, label_id: str) -> int:
        row = self.db.execute(
            "SELECT messages FROM mb_counts WHERE account = ? AND label_id = ?", (self.account, label_id)
        ).fetchone()
        return int(row[0]) if row else 0

    def _driver_size(self, driver: _Driver) -> int:
        if driver.kind == "label":
            return self._counted(driver.value)
        return int(self.db.execute("SELECT COUNT(*) FROM mb_fts WHERE mb_fts MATCH ?", (driver.value,)).fetchone()[0])

    def _driven(self, select: str, extra_join: str = "") -> tuple[str, list[Any]]:
        """`SELECT ... FROM` the driver's messages (CROSS JOIN keeps the driver as the outer loop) `WHERE ...`."""
        assert self.driver is not None
        driver = self.driver[1]
        if driver.kind == "fts":
            source, condition, params = (
                "mb_fts f CROSS JOIN mb_messages m ON m.rowid = f.rowid",
                "f.mb_fts MATCH ?",
                [driver.value],
            )
        else:
            source = "mb_message_labels d CROSS JOIN mb_messages m ON m.account = d.account AND m.id = d.message_id"
            condition, params = "d.account = ? AND d.label_id = ?", [self.account, driver.value]
        sql = f"SELECT {select} FROM {source} {extra_join} WHERE {condition} AND {self.where}"  # noqa: S608
        return sql, [*params, *self.params]

    def count(self) -> int:
        if self.everything:  # all but trash and spam: from the counts, no message visited
            hidden = (
                self.db.execute(
                    "SELECT COUNT(DISTINCT message_id) FROM mb_message_labels "  # noqa: S608 - placeholders only
                    f"WHERE account = ? AND label_id IN ({', '.join('?' for _ in self.hidden)})",
                    (self.account, *self.hidden),
                ).fetchone()[0]
                if self.hidden
                else 0
            )
            return self.size - int(hidden)
        if self.fts_only and self.driver is not None:
            return self.driver[0]  # the index counted exactly the matches
        if self.driver is not None and self.driver[0] * _LOOKUP_COST < self.size * _SCAN_COST:
            sql, params = self._driven("COUNT(*)")
            return int(self.db.execute(sql, params).fetchone()[0])
        sql = f"SELECT COUNT(*) FROM mb_messages m WHERE {self.where}"  # noqa: S608 - only our fragments
        return int(self.db.execute(sql, self.params).fetchone()[0])

    def page(self, limit: int, total: int) -> list[Any]:
        # Walking the date index stops after `limit` matches: about limit * size / total messages visited when the
        # matches are spread out. The driver's way visits all its messages, then sorts the matches.
        walk = limit * self.size / max(total, 1) * _SCAN_COST
        order = "ORDER BY m.internal_ms DESC, m.id DESC LIMIT ?"
        if self.driver is not None and self.driver[0] * _LOOKUP_COST < walk:
            sql, params = self._driven(
                "m.id, m.labels, c.meta", "JOIN mb_contents c ON c.account = m.account AND c.id = m.id"
            )
            return self.db.execute(f"{sql} {order}", [*params, limit]).fetchall()
        sql = f"{_SELECT} WHERE {self.where} {order}"
        return self.db.execute(sql, [*self.params, limit]).fetchall()


# ---------------------------------------------------------------- (de)serialising


_FTS_TOKEN = re.compile(r"[a-z0-9_-]+")  # one FTS5 token, never case-folded: e.g. an account key the index can name


def _fts_word(word: str) -> str:
    return word if word.isascii() else "-" + word.encode().hex()


def _fts_words(tokens: str) -> str:
    """A `token_string` as the index reads it: ASCII words kept, other words hex-encoded, '--' between parts."""
    return " " + " ".join("--" if w == "\x1f" else _fts_word(w) for w in tokens.split()) + " "


def _fts_match(field_name: str, value: str) -> str | None:
    """The FTS5 query for `field:value` (a phrase in that field's column), or None when the value has no words."""
    key = phrase_key(value)
    return None if key is None else f'{field_name}_tokens : "{" ".join(_fts_word(w) for w in key.split())}"'


def _fts_labels(label_ids: Sequence[str]) -> str | None:
    """Any of these labels (None: no label by that name, which FTS5 cannot say as `false`)."""
    if not label_ids:
        return None
    return "labels : (" + " OR ".join(f'"{label_id}"' for label_id in label_ids) + ")"


def _fts_and(positive: Sequence[str], negative: Sequence[str]) -> str | None:
    if not positive:
        return None  # FTS5 cannot start with NOT; the caller anchors it on the account
    query = " AND ".join(f"({p})" for p in positive)
    return f"({query})" + "".join(f" NOT ({n})" for n in negative)


def _statements(script: str) -> list[str]:
    """Split a script into statements (a trigger's body holds semicolons of its own)."""
    found: list[str] = []
    current = ""
    for piece in script.split(";"):
        current += piece + ";"
        if sqlite3.complete_statement(current):
            if current.strip(" ;\n"):
                found.append(current.strip())
            current = ""
    return found


def _millis(when: datetime) -> int:
    return to_millis(when)


def _ceil_millis(when: datetime) -> int:
    return -((from_millis(0) - when) // _MS)


def _key(message: Message) -> tuple[int, str]:
    return _millis(message.internal_date), message.id


def _addresses(group: Iterable[EmailAddress]) -> str:
    return " " + " ".join(a.address.lower() for a in group) + " "


def _label_key(label_id: str) -> str:
    return f" {label_id} "


def _labels_text(labels: Iterable[str]) -> str:
    return " " + " ".join(sorted(labels)) + " "


def _rfc822_key(value: str) -> str:
    return "<" + value.strip().strip("<>").lower() + ">"


def _address_json(address: EmailAddress) -> list[str]:
    return [address.name, address.address]


def _address_from(value: list[str]) -> EmailAddress:
    return EmailAddress(name=value[0], address=value[1])


def _to_json(m: Message) -> dict[str, Any]:
    return {
        "thread_id": m.thread_id,
        "snippet": m.snippet,
        "subject": m.subject,
        "from": _address_json(m.from_) if m.from_ else None,
        "to": [_address_json(a) for a in m.to],
        "cc": [_address_json(a) for a in m.cc],
        "bcc": [_address_json(a) for a in m.bcc],
        "reply_to": [_address_json(a) for a in m.reply_to],
        "date": m.date.isoformat(),
        "headers": dict(m.headers),
        "text": m.text_body,
        "html": m.html_body,
        "attachments": [[a.id, a.filename, a.mime_type, a.size, a.content_id, a.inline] for a in m.attachments],
        "message_id": m.message_id_header,
        "in_reply_to": m.in_reply_to,
        "references": list(m.references),
        "internal_date": m.internal_date.isoformat(),
        "size": m.size_estimate,
    }


def _row_message(row: Sequence[Any]) -> Message:
    message_id, labels, meta = row[0], row[1], row[2]
    data = json.loads(meta)
    return Message(
        id=message_id,
        thread_id=data["thread_id"],
        label_ids=frozenset(labels.split()),
        snippet=data["snippet"],
        subject=data["subject"],
        from_=_address_from(data["from"]) if data["from"] else None,
        to=tuple(_address_from(a) for a in data["to"]),
        cc=tuple(_address_from(a) for a in data["cc"]),
        bcc=tuple(_address_from(a) for a in data["bcc"]),
        reply_to=tuple(_address_from(a) for a in data["reply_to"]),
        date=datetime.fromisoformat(data["date"]),
        headers=data["headers"],
        text_body=data["text"],
        html_body=data["html"],
        attachments=tuple(
            Attachment(id=a[0], filename=a[1], mime_type=a[2], size=a[3], content_id=a[4], inline=a[5])
            for a in data["attachments"]
        ),
        message_id_header=data["message_id"],
        in_reply_to=data["in_reply_to"],
        references=tuple(data["references"]),
        internal_date=datetime.fromisoformat(data["internal_date"]),
        size_estimate=data["size"],
    )
