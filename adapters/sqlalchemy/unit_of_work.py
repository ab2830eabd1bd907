"""SqlAlchemyUnitOfWork: one ORM session per `with` block; rolled back unless committed.

A lost or refused database connection (a restart, a failover, a full pool) leaves the block as ServiceUnavailable
(service "database"), which the API answers with 503 and Retry-After and a worker waits out; other database errors
(a constraint, a bug) go through unchanged."""

from __future__ import annotations

import importlib
import weakref
from types import TracebackType
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session, sessionmaker

from adapters.sqlalchemy.engine import CONNECTED
from application.ports.unit_of_work import UnitOfWork
from domain.errors import ServiceUnavailable


class _Repository:
    """A repository built on first use in a unit of work, its module imported then: a command that reads the audit
    log imports no agent, webhook or calendar mapping (issue 13: cheap CLI commands). The instance is kept in the
    unit of work's own attributes, so every later use in the same `with` block is a plain attribute read."""

    def __init__(self, module: str, cls: str) -> None:
        self.module, self.cls = module, cls

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, uow: SqlAlchemyUnitOfWork | None, owner: type) -> Any:
        if uow is None:
            return self
        repository = getattr(importlib.import_module(self.module), self.cls)(uow.session)
        uow.__dict__[self.name] = repository
        return repository


_SQL = "adapters.sqlalchemy."
AUTOCOMMIT = {"isolation_level": "AUTOCOMMIT"}  # reset to the engine's default when the connection goes back
_AUTOCOMMIT_ENGINES: weakref.WeakKeyDictionary[Engine, Engine] = weakref.WeakKeyDictionary()


def _autocommit(factory: sessionmaker[Session]) -> Engine:
    """The factory's engine in autocommit (same pool), made once per engine."""
    engine: Engine = factory.kw["bind"]
    found = _AUTOCOMMIT_ENGINES.get(engine)
    if found is None:
        found = _AUTOCOMMIT_ENGINES[engine] = engine.execution_options(**AUTOCOMMIT)
    return found


def database_unavailable(exc: BaseException) -> ServiceUnavailable | None:
    """The ServiceUnavailable an unreachable or overloaded database amounts to; None for any other error."""
    if isinstance(exc, PoolTimeout):
        return ServiceUnavailable("The database is too busy to answer; try again shortly.", service="database")
    if isinstance(exc, DisconnectionError | InterfaceError) or (
        isinstance(exc, DBAPIError) and exc.connection_invalidated
    ):
        return ServiceUnavailable("The database cannot be reached.", service="database")
    if isinstance(exc, OperationalError):
        # Shutdown, lost connection, too many clients, SQLite's "database is locked" after the busy timeout...
        return ServiceUnavailable("The database cannot answer right now; try again shortly.", service="database")
    return None


class SqlAlchemyUnitOfWork(UnitOfWork):
    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._factory = session_factory
        self._session: Session | None = None

    users = _Repository(_SQL + "repositories", "SqlAlchemyUserRepository")
    sessions = _Repository(_SQL + "repositories", "SqlAlchemySessionRepository")
    one_time_tokens = _Repository(_SQL + "repositories", "SqlAlchemyOneTimeTokenRepository")
    api_keys = _Repository(_SQL + "repositories", "SqlAlchemyApiKeyRepository")
    mail_accounts = _Repository(_SQL + "repositories", "SqlAlchemyMailAccountRepository")
    oauth_states = _Repository(_SQL + "repositories", "SqlAlchemyOAuthStateRepository")
    audit = _Repository(_SQL + "repositories", "SqlAlchemyAuditLog")
    events = _Repository(_SQL + "events", "SqlAlchemyEventStore")
    job_outbox = _Repository(_SQL + "events", "SqlAlchemyJobOutbox")
    scheduled_emails = _Repository(_SQL + "scheduled_emails", "SqlAlchemyScheduledEmailRepository")
    mail_sync = _Repository(_SQL + "mail_sync", "SqlAlchemyMailSyncRepository")
    agent_conversations = _Repository(_SQL + "agent", "SqlAlchemyConversationRepository")
    pending_actions = _Repository(_SQL + "agent", "SqlAlchemyPendingActionRepository")
    agent_policies = _Repository(_SQL + "agent", "SqlAlchemyAgentPolicyRepository")
    attachments = _Repository(_SQL + "attachments", "SqlAlchemyAttachmentRepository")
    agent_changes = _Repository(_SQL + "agent", "SqlAlchemyAgentChangeRepository")
    webhooks = _Repository(_SQL + "webhooks", "SqlAlchemyWebhookRepository")
    slack = _Repository(_SQL + "slack", "SqlAlchemySlackIntegrationRepository")
    calendar_sync = _Repository(_SQL + "calendar_sync", "SqlAlchemyCalendarSyncRepository")

    def begin(self) -> None:
        if self._session is not None:
            raise RuntimeError("this unit of work is already in use; create one per use case")
        # A reading block goes through the same pool in autocommit: no BEGIN and no ROLLBACK, one round trip per
        # statement instead of three for a one-statement read. Nothing touches the database before the first use.
        self._session = self._factory(bind=_autocommit(self._factory)) if self.reads_only else self._factory()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            super().__exit__(exc_type, exc, tb)
        except (DBAPIError, DisconnectionError, PoolTimeout) as cleanup:
            if exc is None:  # nothing else went wrong: the rollback itself met the outage
                raise database_unavailable(cleanup) or cleanup from cleanup
        if exc is not None:
            unavailable = database_unavailable(exc)
            if unavailable is not None:
                raise unavailable from exc

    @property
    def session(self) -> Session:
        if self._session is None:
            raise RuntimeError("use the unit of work inside `with uow:`")
        return self._session

    def commit(self) -> None:
        session = self.session
        if self.reads_only:
            raise RuntimeError("a reading unit of work commits nothing (see UnitOfWork.reading)")
        audit = self.__dict__.get("audit")  # built only if this unit of work used it
        if audit is not None and audit.pending:
            if not session.info.get(CONNECTED) and not (session.new or session.dirty or session.deleted):
                # The audit INSERT is all this unit of work writes (an audited read): one statement is atomic on
                # its own, so it goes without BEGIN and COMMIT, one round trip instead of three.
                session.connection(execution_options=AUTOCOMMIT)
            audit.write_pending()
        session.commit()

    def rollback(self) -> None:
        if self._session is not None:
            audit = self.__dict__.get("audit")
            if audit is not None:
                audit.discard_pending()
            self._session.rollback()

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None
        for name in [n for n, v in vars(type(self)).items() if isinstance(v, _Repository)]:
            self.__dict__.pop(name, None)  # a reused unit of work builds its repositories on its next session

    def ping(self) -> None:
        try:
            with self._factory() as session:
                session.execute(text("SELECT 1"))
        except (OperationalError, DBAPIError) as exc:
            raise ServiceUnavailable("The database cannot be reached.", service="database") from exc
