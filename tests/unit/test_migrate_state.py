"""Telling cheaply whether a database is migrated: the scripts' head read without Alembic, one query for current."""

from __future__ import annotations

from pathlib import Path

from adapters.sqlalchemy.migrate import head, known_head, schema_state, upgrade


def test_the_head_read_from_the_scripts_is_alembics_head() -> None:
    assert known_head() == head()


def test_a_fresh_database_is_behind_until_upgraded(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    state = schema_state(url)
    assert state.current is None and state.head == head() and not state.up_to_date
    upgrade(url)
    assert schema_state(url).up_to_date
