"""One way to get a unit-of-work factory per adapter for contract suites: in-memory, SQLite file, PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from adapters.in_memory.unit_of_work import InMemoryStore, InMemoryUnitOfWork
from adapters.sqlalchemy.engine import make_engine, make_session_factory
from adapters.sqlalchemy.migrate import upgrade
from adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWork
from application.ports.unit_of_work import UnitOfWork

UowFactory = Callable[[], UnitOfWork]
KINDS = ["memory", "sqlite", "postgres"]


def _sqlalchemy_factory(url: str) -> Iterator[UowFactory]:
    upgrade(url)
    engine = make_engine(url)
    factory = make_session_factory(engine)
    yield lambda: SqlAlchemyUnitOfWork(factory)
    engine.dispose()


def uow_factory(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[UowFactory]:
    """Yields a factory of fresh units of work over one store of the given kind (migrated; PostgreSQL gets a
    brand-new database from the `postgres_url` fixture)."""
    if kind == "memory":
        store = InMemoryStore()
        yield lambda: InMemoryUnitOfWork(store)
    elif kind == "sqlite":
        yield from _sqlalchemy_factory(f"sqlite:///{tmp_path / 'contract.db'}")
    elif kind == "postgres":
        yield from _sqlalchemy_factory(request.getfixturevalue("postgres_url"))
    else:
        raise ValueError(f"unknown unit of work kind {kind!r}")
