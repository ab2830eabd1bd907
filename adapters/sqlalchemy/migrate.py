"""Run Alembic migrations programmatically (CLI `mailagent db ...`, `serve` in the local profile, tests), and tell
cheaply whether a database is at the newest revision (every CLI command asks before it touches the database)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
VERSIONS_DIR = MIGRATIONS_DIR / "versions"


def alembic_config(url: str) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    """Migrate to REVISION. An empty SQLite database bound for the head gets the migrations' schema in one
    transaction (adapters/sqlalchemy/sqlite_schema.py) instead of Alembic replaying every script."""
    if url.startswith("sqlite") and revision in ("head", known_head()) and _install_sqlite_schema(url):
        return
    alembic_upgrade(url, revision)


def alembic_upgrade(url: str, revision: str = "head") -> None:
    """Migrate with Alembic, script by script (every database that is not a fresh SQLite one)."""
    from alembic import command

    command.upgrade(alembic_config(url), revision)


def _install_sqlite_schema(url: str) -> bool:
    """True when the schema file (at the scripts' head) was installed on an empty database."""
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    from adapters.sqlalchemy import sqlite_schema

    if sqlite_schema.file_revision() != known_head():
        return False  # stale file (a new migration, not regenerated yet): Alembic, and a unit test says so
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return sqlite_schema.install(conn.connection.driver_connection)
    finally:
        engine.dispose()


def downgrade(url: str, revision: str = "-1") -> None:
    from alembic import command

    command.downgrade(alembic_config(url), revision)


def current(url: str) -> str | None:
    """The database's revision (None: never migrated), read with one query and no Alembic import."""
    from sqlalchemy import create_engine, inspect, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            if not inspect(conn).has_table("alembic_version"):
                return None
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    finally:
        engine.dispose()


def head() -> str | None:
    """The newest revision Alembic knows (loads every migration script: use `known_head()` where speed counts)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


_ASSIGNMENT = re.compile(r"^(revision|down_revision)\s*(?::[^=]+)?=\s*(.+?)\s*$", re.MULTILINE)


@cache
def known_head() -> str | None:
    """The newest revision, read from the scripts' `revision`/`down_revision` lines without running them (the chain
    is linear: the one revision nothing revises). tests/unit/test_migrate_state.py checks it against `head()`."""
    revisions: set[str] = set()
    revised: set[str] = set()
    for script in VERSIONS_DIR.glob("*.py"):
        values = dict(_ASSIGNMENT.findall(script.read_text(encoding="utf-8")))
        if "revision" not in values:
            continue
        revisions.add(values["revision"].strip("'\""))
        down = values.get("down_revision", "None").strip("'\"")
        if down != "None":
            revised.add(down)
    heads = revisions - revised
    if len(heads) > 1:
        raise RuntimeError(f"migrations have several heads ({', '.join(sorted(heads))}): the chain must be linear")
    return next(iter(heads), None)


@dataclass(frozen=True)
class SchemaState:
    current: str | None
    head: str | None

    @property
    def up_to_date(self) -> bool:
        return self.current == self.head


def schema_state(url: str) -> SchemaState:
    return SchemaState(current=current(url), head=known_head())
