"""SqliteCalendar and SqliteContacts: the demo calendar and address book of the embedded default, kept in one SQLite
file in the data dir (beside the demo mailbox) and shared by every process of the installation, one account per key."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from application.calendar_book import BookCalendar, BookContacts
from domain.calendar import CalendarEvent, event_from_dict, event_to_dict
from domain.contacts import Contact

SCHEMA = """
CREATE TABLE IF NOT EXISTS calendar_events (
    account_id TEXT NOT NULL,
    id TEXT NOT NULL,
    ical_uid TEXT NOT NULL DEFAULT '',
    data TEXT NOT NULL,
    PRIMARY KEY (account_id, id)
);
CREATE TABLE IF NOT EXISTS contacts (
    account_id TEXT NOT NULL,
    id TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (account_id, id)
);
CREATE TABLE IF NOT EXISTS calendar_settings (
    account_id TEXT PRIMARY KEY,
    timezone TEXT NOT NULL
);
"""

_schema_lock = threading.Lock()
_ready: set[Path] = set()


@contextmanager
def _connect(path: Path) -> Iterator[sqlite3.Connection]:
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=30)
    try:
        with _schema_lock:
            if path not in _ready:
                conn.execute("PRAGMA journal_mode=WAL")
                conn.executescript(SCHEMA)
                _ready.add(path)
        with conn:
            yield conn
    finally:
        conn.close()


class SqliteCalendar(BookCalendar):
    def __init__(
        self, path: Path, account_id: str, *, owner: str, timezone: str, clock: Callable[[], datetime]
    ) -> None:
        self.path, self.account_id = path, account_id
        with _connect(path) as conn:
            row = conn.execute("SELECT timezone FROM calendar_settings WHERE account_id = ?", (account_id,)).fetchone()
            if row is None:
                conn.execute("INSERT INTO calendar_settings VALUES (?, ?)", (account_id, timezone))
            else:
                timezone = str(row[0])
        super().__init__(owner, timezone, clock)

    def _all(self) -> list[CalendarEvent]:
        with _connect(self.path) as conn:
            rows = conn.execute("SELECT data FROM calendar_events WHERE account_id = ?", (self.account_id,)).fetchall()
        return [event_from_dict(json.loads(r[0])) for r in rows]

    def _get(self, event_id: str) -> CalendarEvent | None:
        with _connect(self.path) as conn:
            row = conn.execute(
                "SELECT data FROM calendar_events WHERE account_id = ? AND id = ?", (self.account_id, event_id)
            ).fetchone()
        return None if row is None else event_from_dict(json.loads(row[0]))

    def _put(self, event: CalendarEvent) -> None:
        self.put_all([event])

    def put_all(self, events: Iterable[CalendarEvent]) -> None:
        rows = [(self.account_id, e.id, e.ical_uid, json.dumps(event_to_dict(e))) for e in events]
        with _connect(self.path) as conn:
            conn.executemany("INSERT OR REPLACE INTO calendar_events VALUES (?, ?, ?, ?)", rows)

    def is_empty(self) -> bool:
        with _connect(self.path) as conn:
            row = conn.execute("SELECT 1 FROM calendar_events WHERE account_id = ? LIMIT 1", (self.account_id,))
            return row.fetchone() is None


class SqliteContacts(BookContacts):
    def __init__(self, path: Path, account_id: str) -> None:
        self.path, self.account_id = path, account_id

    def _all(self) -> list[Contact]:
        with _connect(self.path) as conn:
            rows = conn.execute("SELECT data FROM contacts WHERE account_id = ?", (self.account_id,)).fetchall()
        return [Contact.from_dict(json.loads(r[0])) for r in rows]

    def put_all(self, contacts: Iterable[Contact]) -> None:
        rows = [(self.account_id, c.id, json.dumps(c.to_dict())) for c in contacts]
        with _connect(self.path) as conn:
            conn.executemany("INSERT OR REPLACE INTO contacts VALUES (?, ?, ?)", rows)

    def is_empty(self) -> bool:
        with _connect(self.path) as conn:
            row = conn.execute("SELECT 1 FROM contacts WHERE account_id = ? LIMIT 1", (self.account_id,))
            return row.fetchone() is None
