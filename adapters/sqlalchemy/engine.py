"""Engine construction: SQLite tuned for one laptop, PostgreSQL with a connection pool."""

from __future__ import annotations

import select
import threading
import time
from typing import Any

from sqlalchemy import Engine, create_engine, event, exc
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 30_000
# A pooled PostgreSQL connection idle longer than this is pinged (a round trip) before it is handed out; a busier
# one only if its socket says the server spoke or hung up (ADR 0025).
PING_AFTER_IDLE_SECONDS = 10.0
_IDLE_SINCE = "mailagent_idle_since"
CONNECTED = "mailagent_connected"  # Session.info key: the session's transaction has taken a connection


def make_engine(
    url: str,
    *,
    pool_size: int = 10,
    max_overflow: int = 20,
    echo: bool = False,
    ping_after_idle_seconds: float = PING_AFTER_IDLE_SECONDS,
) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, echo=echo, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cursor.close()

        queue_sqlite_writers(engine)
        return engine
    engine = create_engine(url, echo=echo, pool_size=pool_size, max_overflow=max_overflow, pool_recycle=1800)
    check_connections_on_checkout(engine, ping_after_idle_seconds=ping_after_idle_seconds)
    return engine


def check_connections_on_checkout(engine: Engine, *, ping_after_idle_seconds: float) -> None:
    """What `pool_pre_ping` guaranteed — a connection a database restart killed is never handed out — without its
    round trip on every checkout (two per API request, ~0.1 ms of CPU each here and as much in PostgreSQL).

    A connection that was used a moment ago is checked locally: a restart or a terminated backend closes the socket
    after a FATAL notice, so it is readable (or already known broken). Only a readable socket, or a connection idle
    for `ping_after_idle_seconds` (whatever a firewall or proxy may have done to it meanwhile), costs the real ping.
    A failed check invalidates the whole pool, as the pre-ping did, and a fresh connection is handed out."""

    @event.listens_for(engine, "checkin")
    def _note_idle(_dbapi_connection: Any, record: Any) -> None:
        if record is not None:
            record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _check(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.pop(_IDLE_SINCE, None)
        if idle_since is None:
            return  # a new connection: nothing happened to it yet
        quiet = _looks_alive(dbapi_connection)
        if quiet is False:
            raise exc.InvalidatePoolError("the database closed this connection")
        if quiet is None or time.monotonic() - idle_since >= ping_after_idle_seconds:
            try:
                alive = engine.dialect.do_ping(dbapi_connection)
            except Exception as error:
                raise exc.InvalidatePoolError(f"the database did not answer a ping: {error!r}") from error
            if not alive:
                raise exc.InvalidatePoolError("the database did not answer a ping")


def _looks_alive(dbapi_connection: Any) -> bool | None:
    """False: certainly dead. True: nothing arrived on the idle socket. None: something did (a shutdown notice, or
    anything else the server may send unasked): only a ping can tell."""
    if getattr(dbapi_connection, "closed", False) or getattr(dbapi_connection, "broken", False):
        return False
    pgconn = getattr(dbapi_connection, "pgconn", None)
    if pgconn is None:
        return None  # not psycopg 3: ask the server
    try:
        fd = pgconn.socket
    except Exception:
        return False  # psycopg raises once the connection is gone
    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLPRI)
    events = poller.poll(0)
    if not events:
        return True
    if any(flags & (select.POLLHUP | select.POLLERR | select.POLLNVAL) for _, flags in events):
        return False
    return None


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    factory = sessionmaker(bind=engine, expire_on_commit=False, autoflush=False)

    @event.listens_for(factory, "after_begin")
    def _connected(session: Session, _transaction: Any, _connection: Any) -> None:
        session.info[CONNECTED] = True  # statements ran in this session's transaction (see SqlAlchemyUnitOfWork)

    return factory


_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


def queue_sqlite_writers(engine: Engine) -> None:
    """SQLite has one writer at a time; a second one waits in SQLite's busy handler, which sleeps 1, 2, 5 ... 100 ms
    between looks instead of waking when the lock is free. Under a burst (dispatchers, the relay, the sync and the
    audit sealer of one process writing in turn) that left the process idle most of the time. So this process's
    writers queue on a lock of their own, from their first write until their commit or rollback is done (or the
    statement, outside a transaction), and the next one is woken the moment it is free. Other processes (a CLI
    command) still meet SQLite's busy handler. A writer that cannot get the lock within the busy timeout goes on and
    lets SQLite decide, as before, so this adds no deadlock that SQLite's own lock did not have."""
    lock = threading.Lock()
    holders: set[int] = set()  # id() of the DBAPI connections holding it
    guard = threading.Lock()
    waits: dict[int, float] = {}  # a connection's own busy timeout (seconds), when it set one other than the default

    def release(connection: Any) -> None:
        key = id(getattr(connection, "dbapi_connection", connection))  # the pool's proxy or the sqlite3 connection
        with guard:
            held = key in holders
            holders.discard(key)
        if held:
            lock.release()

    @event.listens_for(engine, "before_cursor_execute")
    def _queue(conn: Any, _cursor: Any, statement: str, _params: Any, _context: Any, _many: bool) -> None:
        raw = conn.connection.dbapi_connection
        head = statement.lstrip()[:20].upper()
        if head.startswith("PRAGMA BUSY_TIMEOUT"):  # e.g. the audit sealer waits 250 ms, not 30 s: so does the queue
            waits[id(raw)] = int(statement.rpartition("=")[2].strip()) / 1000
            return
        if id(raw) in holders or not head.startswith(_WRITES):
            return
        if lock.acquire(timeout=waits.get(id(raw), SQLITE_BUSY_TIMEOUT_MS / 1000)):
            with guard:
                holders.add(id(raw))

    @event.listens_for(engine, "after_cursor_execute")
    def _done(conn: Any, _cursor: Any, _statement: str, _params: Any, _context: Any, _many: bool) -> None:
        raw = conn.connection.dbapi_connection
        if id(raw) in holders and not raw.in_transaction:
            release(raw)  # written without a transaction (autocommit): done with the statement

    @event.listens_for(engine, "handle_error")
    def _failed(context: Any) -> None:
        raw = getattr(context.connection, "connection", None)
        raw = getattr(raw, "dbapi_connection", None)
        if raw is not None and id(raw) in holders and not raw.in_transaction:
            release(raw)

    dialect = engine.dialect
    do_commit, do_rollback = dialect.do_commit, dialect.do_rollback

    def commit_then_release(dbapi_connection: Any) -> None:
        try:
            do_commit(dbapi_connection)
        finally:
            release(dbapi_connection)

    def rollback_then_release(dbapi_connection: Any) -> None:
        try:
            do_rollback(dbapi_connection)
        finally:
            release(dbapi_connection)

    # The dialect's own commit and rollback (also used by the pool's reset on return), so the lock is free only once
    # SQLite's is; and any connection going back to the pool or away lets go of it.
    dialect.do_commit = commit_then_release  # type: ignore[method-assign]
    dialect.do_rollback = rollback_then_release  # type: ignore[method-assign]
    event.listen(engine.pool, "checkin", lambda dbapi_connection, *_: release(dbapi_connection))

    def gone(dbapi_connection: Any, *_: Any) -> None:
        release(dbapi_connection)
        waits.pop(id(dbapi_connection), None)

    for name in ("close", "invalidate"):
        event.listen(engine.pool, name, gone)
