"""SqlAlchemyUnitOfWork: one ORM session per `with` block; rolled back unless committed.

A lost or refused database connection (a restart, a failover, a full pool) leaves the block as ServiceUnavailable
(service "database"), which the API answers with 503 and Retry-After and a worker waits out; other database errors
(a constraint, a bug) go through unchanged."""

from __future__ import annotations

import importlib
from types import TracebackType
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session, sessionmaker

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
        self._session = self._factory()

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
        audit = self.__dict__.get("audit")  # built only if this unit of work used it
        if audit is not None:
            audit.write_pending()  # the entries appended in this transaction (one INSERT, see SqlAlchemyAuditLog)
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
