"""A fresh SQLite database gets the migrations' schema in one transaction: the same database Alembic would build."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from adapters.sqlalchemy import sqlite_schema
from adapters.sqlalchemy.migrate import alembic_upgrade, current, head, known_head, upgrade


def _facts(path: Path) -> dict[str, object]:
    """Everything about a database's schema and rows that SQLite and SQLAlchemy can tell, in a stable order.

    Not the CREATE TABLE text itself: Alembic's batch mode rebuilds a SQLite table from reflection and writes its
    unique constraints in an order that changes from run to run (set ordering), so two Alembic runs differ there."""
    from sqlalchemy import create_engine, inspect

    engine = create_engine(f"sqlite:///{path}")
    try:
        inspector = inspect(engine)
        facts: dict[str, object] = {}
        for table in sorted(inspector.get_table_names()):
            facts[table] = {
                "columns": [
                    (c["name"], str(c["type"]), c["nullable"], str(c.get("default")), c.get("autoincrement"))
                    for c in inspector.get_columns(table)
                ],
                "pk": inspector.get_pk_constraint(table),
                "fks": sorted(map(repr, inspector.get_foreign_keys(table))),
                "unique": sorted(map(repr, inspector.get_unique_constraints(table))),
                "indexes": sorted(
                    repr({**index, "dialect_options": {k: str(v) for k, v in index["dialect_options"].items()}})
                    for index in inspector.get_indexes(table)
                ),
                "checks": sorted(map(repr, inspector.get_check_constraints(table))),
            }
    finally:
        engine.dispose()
    connection = sqlite3.connect(path)
    try:
        master = "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE type != 'table' ORDER BY name"
        facts["indexes and triggers as SQLite keeps them"] = connection.execute(master).fetchall()
        facts["tables"] = connection.execute(
            "SELECT name, tbl_name FROM sqlite_master WHERE type = 'table' ORDER BY name"
        ).fetchall()
        facts["rows"] = [line for line in sqlite_schema.dump(connection).splitlines() if line.startswith("INSERT")]
    finally:
        connection.close()
    return facts


def test_the_schema_file_gives_the_database_the_migrations_give(tmp_path: Path) -> None:
    revision = head()
    assert sqlite_schema.file_revision() == revision, (
        "adapters/sqlalchemy/migrations/sqlite_schema.sql is not at the migrations' head: run "
        "`.venv/bin/python -m adapters.sqlalchemy.sqlite_schema` and commit the file"
    )
    by_alembic, by_file = tmp_path / "alembic.db", tmp_path / "file.db"
    alembic_upgrade(f"sqlite:///{by_alembic}")
    upgrade(f"sqlite:///{by_file}")
    assert current(f"sqlite:///{by_file}") == revision
    assert "users" in _facts(by_file) and "audit_chain_head" in _facts(by_file)
    assert _facts(by_file) == _facts(by_alembic), (
        "the schema file differs from what the migrations build: run "
        "`.venv/bin/python -m adapters.sqlalchemy.sqlite_schema` and commit the file"
    )


def test_the_installed_database_downgrades_and_upgrades_with_alembic(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    upgrade(url)
    from adapters.sqlalchemy.migrate import downgrade

    downgrade(url, "-1")
    assert current(url) != head()
    upgrade(url)  # not empty any more: Alembic applies the newest script again
    assert current(url) == head()


def test_a_database_that_holds_anything_is_left_to_alembic(tmp_path: Path) -> None:
    path = tmp_path / "m.db"
    sqlite3.connect(path).execute("CREATE TABLE unrelated (x INTEGER)").connection.commit()
    connection = sqlite3.connect(path)
    assert sqlite_schema.install(connection) is False
    assert [name for (name,) in connection.execute("SELECT name FROM sqlite_master")] == ["unrelated"]
    connection.close()


def test_a_stale_schema_file_is_not_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    installed: list[bool] = []
    real_install = sqlite_schema.install
    monkeypatch.setattr(sqlite_schema, "install", lambda *a, **k: installed.append(True) or real_install(*a, **k))
    monkeypatch.setattr(sqlite_schema, "file_revision", lambda *a: "0000_older")
    url = f"sqlite:///{tmp_path / 'm.db'}"
    upgrade(url)
    assert installed == [] and current(url) == known_head()


def test_two_processes_migrating_one_fresh_file_at_once_both_end_at_head(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    errors: list[BaseException] = []

    def migrate() -> None:
        try:
            upgrade(url)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=migrate) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert current(url) == head()
    assert sqlite3.connect(tmp_path / "m.db").execute("SELECT count(*) FROM audit_chain_head").fetchone() == (1,)
