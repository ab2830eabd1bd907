"""Alembic: upgrade head and downgrade base round-trip on SQLite and PostgreSQL; models and migrations never drift."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from adapters.sqlalchemy.migrate import current, downgrade, head, upgrade
from adapters.sqlalchemy.models import Base


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'm.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_upgrade_then_downgrade_round_trips(database_url: str) -> None:
    assert current(database_url) is None
    upgrade(database_url)
    assert current(database_url) == head()
    assert _tables(database_url) == set(Base.metadata.tables)
    downgrade(database_url, "base")
    assert current(database_url) is None
    assert _tables(database_url) == set()
    upgrade(database_url)  # and back up again: downgrade left nothing behind that blocks it
    assert _tables(database_url) == set(Base.metadata.tables)


def test_models_and_migrations_do_not_drift(database_url: str) -> None:
    upgrade(database_url)
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
    assert diff == [], f"models differ from the migrations; write a migration for: {diff}"
