"""A fresh SQLite database in one transaction from the schema the migrations produce, instead of replaying them.

Replaying every Alembic migration on an empty SQLite file costs ~0.3 s of CPU (Alembic's import, 16 scripts, the
batch table copies SQLite needs), which every first `mailagent serve` and every CLI command on a fresh data dir
paid (issue 13: cold start <= 3 s, cheap commands <= 1 s). `migrations/sqlite_schema.sql` is the dump of a database
the migrations built: its tables, indexes and triggers as SQLite recorded them (sqlite_master, in creation order)
and the rows the migrations wrote (the Alembic revision, the audit chain's genesis head). Installing it gives the
same database byte for byte in `sqlite_master` and in every row; tests/unit/test_sqlite_schema.py rebuilds the dump
from the migrations and fails until the file is regenerated:

    .venv/bin/python -m adapters.sqlalchemy.sqlite_schema      # after adding or changing a migration

The file is used only for an empty SQLite database and only while its revision is the scripts' head; anything else
(an older data dir, PostgreSQL, a downgrade, a stale file) goes through Alembic as before."""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path
from typing import Any

SCHEMA_FILE = Path(__file__).parent / "migrations" / "sqlite_schema.sql"
_REVISION_PREFIX = "-- revision: "


def dump(connection: sqlite3.Connection) -> str:
    """The schema objects (creation order) and every row of a migrated database, as SQL statements."""
    lines: list[str] = []
    objects = connection.execute(
        "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' ORDER BY rowid"
    ).fetchall()
    for _type, _name, sql in objects:
        lines.append(f"{sql};")
    for kind, name, _sql in objects:
        if kind != "table":
            continue
        columns = [row[1] for row in connection.execute(f'PRAGMA table_info("{name}")')]
        quoted = " || ',' || ".join(f'quote("{column}")' for column in columns)
        # names from sqlite_master of a database the migrations built, not input
        for (values,) in connection.execute(f'SELECT {quoted} FROM "{name}" ORDER BY rowid'):  # noqa: S608
            lines.append(f'INSERT INTO "{name}" VALUES({values});')
    return "\n".join(lines) + "\n"


def statements(script: str) -> list[str]:
    """The script's statements, split where SQLite says a statement is complete (comment lines dropped)."""
    found: list[str] = []
    pending = ""
    for line in script.splitlines(keepends=True):
        if not pending and line.startswith("--"):
            continue
        pending += line
        if sqlite3.complete_statement(pending):
            found.append(pending.strip())
            pending = ""
    if pending.strip():
        raise ValueError(f"incomplete statement at the end of the schema file: {pending[:80]!r}")
    return found


def file_revision(path: Path = SCHEMA_FILE) -> str | None:
    """The revision the schema file was generated at (None when there is no file)."""
    try:
        with path.open(encoding="utf-8") as f:
            for line in f:
                if line.startswith(_REVISION_PREFIX):
                    return line[len(_REVISION_PREFIX) :].strip()
    except FileNotFoundError:
        return None
    return None


def install(dbapi_connection: Any, path: Path = SCHEMA_FILE) -> bool:
    """Create the whole schema on an empty SQLite database in one transaction. False, with nothing changed, when the
    database already holds anything (another process got there first: the caller migrates with Alembic)."""
    script = statements(path.read_text(encoding="utf-8"))
    previous = dbapi_connection.isolation_level
    dbapi_connection.isolation_level = None  # the transaction below is ours: no implicit BEGIN or COMMIT
    try:
        dbapi_connection.execute("BEGIN IMMEDIATE")  # the write lock first: two processes never both install
        try:
            if dbapi_connection.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
                dbapi_connection.execute("ROLLBACK")
                return False
            for statement in script:
                dbapi_connection.execute(statement)
            dbapi_connection.execute("COMMIT")
        except BaseException:
            dbapi_connection.execute("ROLLBACK")
            raise
    finally:
        dbapi_connection.isolation_level = previous
    return True


def generate(revision: str) -> str:
    """The schema file's text: the migrations run by Alembic on a temporary SQLite file, then dumped."""
    import tempfile

    from adapters.sqlalchemy.migrate import alembic_upgrade

    with tempfile.TemporaryDirectory(prefix="mailagent-schema-") as tmp:
        database = Path(tmp) / "schema.db"
        alembic_upgrade(f"sqlite:///{database}", revision)
        connection = sqlite3.connect(database)
        try:
            body = dump(connection)
        finally:
            connection.close()
    header = (
        "-- The SQLite schema the Alembic migrations produce, installed in one transaction on an empty database\n"
        "-- (adapters/sqlalchemy/sqlite_schema.py). Generated: do not edit; after changing the migrations run\n"
        "--     .venv/bin/python -m adapters.sqlalchemy.sqlite_schema\n"
        f"{_REVISION_PREFIX}{revision}\n"
    )
    return header + body


def main() -> int:
    from adapters.sqlalchemy.migrate import head

    revision = head()
    if revision is None:
        print("no migrations", file=sys.stderr)
        return 1
    SCHEMA_FILE.write_text(generate(revision), encoding="utf-8")
    print(f"wrote {SCHEMA_FILE} at revision {revision}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
