"""What the IMAP sync remembers between runs: each folder's UIDVALIDITY/UIDNEXT/HIGHESTMODSEQ and which message of
the local index each (folder, UID) copy is, with the flags last seen on it (SQLite, next to the index)."""

from __future__ import annotations

import sqlite3
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS imap_folders (
    account TEXT NOT NULL, name TEXT NOT NULL, uidvalidity INTEGER NOT NULL, uidnext INTEGER NOT NULL,
    modseq INTEGER NOT NULL, messages INTEGER NOT NULL, PRIMARY KEY (account, name));
CREATE TABLE IF NOT EXISTS imap_copies (
    account TEXT NOT NULL, folder TEXT NOT NULL, uid INTEGER NOT NULL, message_id TEXT NOT NULL,
    flags TEXT NOT NULL, PRIMARY KEY (account, folder, uid));
CREATE INDEX IF NOT EXISTS imap_copies_message ON imap_copies (account, message_id);
"""


@dataclass(frozen=True)
class FolderState:
    uidvalidity: int
    uidnext: int
    modseq: int
    messages: int


@dataclass(frozen=True)
class Copy:
    folder: str
    uid: int
    message_id: str
    flags: frozenset[str]


class SyncState:
    def __init__(self, path: str | Path, account_key: str) -> None:
        self._account = account_key
        self._lock = threading.RLock()
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), timeout=30, isolation_level=None, check_same_thread=False)
        weakref.finalize(self, self._db.close)
        self._db.execute("PRAGMA busy_timeout=30000")
        if str(path) != ":memory:":
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
        for statement in _SCHEMA.split(";"):
            if statement.strip():
                self._db.execute(statement)

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Many changes in one transaction (a sync's worth): one commit instead of one per row."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def folder(self, name: str) -> FolderState | None:
        with self._lock:
            row = self._db.execute(
                "SELECT uidvalidity, uidnext, modseq, messages FROM imap_folders WHERE account = ? AND name = ?",
                (self._account, name),
            ).fetchone()
        return FolderState(*map(int, row)) if row else None

    def save_folder(self, name: str, state: FolderState) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO imap_folders (account, name, uidvalidity, uidnext, modseq, messages) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (self._account, name, state.uidvalidity, state.uidnext, state.modseq, state.messages),
            )

    def copies_in(self, folder: str) -> dict[int, Copy]:
        with self._lock:
            rows = self._db.execute(
                "SELECT uid, message_id, flags FROM imap_copies WHERE account = ? AND folder = ?",
                (self._account, folder),
            ).fetchall()
        return {int(u): Copy(folder, int(u), str(m), _flags(f)) for u, m, f in rows}

    def copies_of(self, message_id: str) -> list[Copy]:
        with self._lock:
            rows = self._db.execute(
                "SELECT folder, uid, flags FROM imap_copies WHERE account = ? AND message_id = ? ORDER BY folder, uid",
                (self._account, message_id),
            ).fetchall()
        return [Copy(str(f), int(u), message_id, _flags(fl)) for f, u, fl in rows]

    def count_in(self, folder: str) -> int:
        with self._lock:
            row = self._db.execute(
                "SELECT COUNT(*) FROM imap_copies WHERE account = ? AND folder = ?", (self._account, folder)
            ).fetchone()
        return int(row[0])

    def add_copy(self, copy: Copy) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO imap_copies (account, folder, uid, message_id, flags) VALUES (?, ?, ?, ?, ?)",
                (self._account, copy.folder, copy.uid, copy.message_id, _text(copy.flags)),
            )

    def set_flags(self, folder: str, uid: int, flags: frozenset[str]) -> None:
        with self._lock:
            self._db.execute(
                "UPDATE imap_copies SET flags = ? WHERE account = ? AND folder = ? AND uid = ?",
                (_text(flags), self._account, folder, uid),
            )

    def remove_copy(self, folder: str, uid: int) -> None:
        with self._lock:
            self._db.execute(
                "DELETE FROM imap_copies WHERE account = ? AND folder = ? AND uid = ?", (self._account, folder, uid)
            )

    def forget_folder(self, folder: str) -> None:
        with self._lock:
            self._db.execute("DELETE FROM imap_copies WHERE account = ? AND folder = ?", (self._account, folder))
            self._db.execute("DELETE FROM imap_folders WHERE account = ? AND name = ?", (self._account, folder))


def _flags(text: str) -> frozenset[str]:
    return frozenset(text.split())


def _text(flags: frozenset[str]) -> str:
    return " ".join(sorted(flags))
