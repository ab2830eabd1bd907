"""Engine construction: SQLite tuned for one laptop, PostgreSQL with a connection pool."""

from __future__ import annotations

import select
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
