"""LangGraph checkpointers: SQLite (a file in data_dir) in the local profile, PostgreSQL in production."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.memory import InMemorySaver


def sqlite_checkpointer(path: Path) -> BaseCheckpointSaver[Any]:
    from langgraph.checkpoint.sqlite import SqliteSaver

    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), check_same_thread=False)
    # WAL (SqliteSaver's own setup sets it too) with synchronous=NORMAL: a commit is no longer an fsync; a crash of
    # the process loses nothing committed, a power loss may lose the last turns' checkpoints (ADR 0017).
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    saver = SqliteSaver(conn)
    saver.setup()
    return saver


def postgres_checkpointer(url: str, *, max_size: int = 4) -> BaseCheckpointSaver[Any]:
    """`url` may be a SQLAlchemy URL (postgresql+psycopg://...). Own pool: autocommit, prepare_threshold=0, dict_row,
    as PostgresSaver needs; tables are created once by `.setup()` (idempotent)."""
    from langgraph.checkpoint.postgres import PostgresSaver
    from psycopg.rows import dict_row
    from psycopg_pool import ConnectionPool

    conninfo = url.replace("postgresql+psycopg://", "postgresql://", 1)
    pool: ConnectionPool[Any] = ConnectionPool(
        conninfo,
        min_size=1,
        max_size=max_size,
        kwargs={"autocommit": True, "prepare_threshold": 0, "row_factory": dict_row},
        open=True,
    )
    saver = PostgresSaver(pool)
    saver.setup()
    return saver


def memory_checkpointer() -> BaseCheckpointSaver[Any]:
    return InMemorySaver()
