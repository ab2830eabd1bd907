"""On PostgreSQL a reading unit of work and an audited read open no transaction (no BEGIN/COMMIT round trips), and
everything else still runs inside one (ADR 0025's measurements: 8 round trips per GET /emails before)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from psycopg.pq import TransactionStatus
from sqlalchemy import Engine, event

from adapters.sqlalchemy.engine import make_engine, make_session_factory
from adapters.sqlalchemy.migrate import upgrade
from adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWork
from domain.audit import AuditDraft
from domain.identity import Role, User, UserStatus, new_id

pytestmark = pytest.mark.integration
T0 = datetime(2026, 12, 7, 18, 0, tzinfo=UTC)


@pytest.fixture
def engine(postgres_url: str) -> Iterator[Engine]:
    upgrade(postgres_url)
    engine = make_engine(postgres_url)
    yield engine
    engine.dispose()


def statuses(engine: Engine) -> list[tuple[str, TransactionStatus]]:
    """(statement's first word, the connection's transaction status right after it), for every statement."""
    seen: list[tuple[str, TransactionStatus]] = []

    @event.listens_for(engine, "after_cursor_execute")
    def _after(conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append((statement.split()[0].upper(), conn.connection.dbapi_connection.info.transaction_status))

    return seen


def user() -> User:
    return User(id=new_id(), email=f"{new_id()}@example.com", role=Role.USER, status=UserStatus.ACTIVE, created_at=T0)


def test_a_reading_unit_of_work_runs_its_statement_outside_a_transaction(engine: Engine) -> None:
    factory = make_session_factory(engine)
    seen = statuses(engine)
    with SqlAlchemyUnitOfWork(factory).reading() as uow:
        assert uow.users.get("nobody") is None
    assert seen == [("SELECT", TransactionStatus.IDLE)]
    seen.clear()
    with SqlAlchemyUnitOfWork(factory) as uow:  # a normal one still reads inside its transaction
        assert uow.users.get("nobody") is None
    assert seen == [("SELECT", TransactionStatus.INTRANS)]


def test_an_audited_read_writes_its_entry_as_one_statement_and_other_work_stays_in_a_transaction(
    engine: Engine,
) -> None:
    factory = make_session_factory(engine)
    seen = statuses(engine)
    with SqlAlchemyUnitOfWork(factory) as uow:  # only the audit entry: autocommitted on its own
        uow.audit.append(AuditDraft("mail.search", actor_id=None), at=T0)
        uow.commit()
    assert seen == [("INSERT", TransactionStatus.IDLE)]
    seen.clear()
    with SqlAlchemyUnitOfWork(factory) as uow:  # the entry and a change: one transaction
        uow.audit.append(AuditDraft("user.created", actor_id=None), at=T0)
        uow.users.add(user())
        uow.commit()
    assert [status for _, status in seen] == [TransactionStatus.INTRANS] * len(seen) and len(seen) == 2
    seen.clear()
    with SqlAlchemyUnitOfWork(factory) as uow:  # read, then the entry: the read's transaction carries it
        assert uow.users.get("nobody") is None
        uow.audit.append(AuditDraft("mail.read", actor_id=None), at=T0)
        uow.commit()
    assert seen == [("SELECT", TransactionStatus.INTRANS), ("INSERT", TransactionStatus.INTRANS)]
    with SqlAlchemyUnitOfWork(factory).reading() as uow:
        assert [e.action for e in uow.audit.all_in_order()] == ["mail.search", "user.created", "mail.read"]
