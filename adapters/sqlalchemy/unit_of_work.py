"""SqlAlchemyUnitOfWork: one ORM session per `with` block; rolled back unless committed.

A lost or refused database connection (a restart, a failover, a full pool) leaves the block as ServiceUnavailable
(service "database"), which the API answers with 503 and Retry-After and a worker waits out; other database errors
(a constraint, a bug) go through unchanged."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session, sessionmaker

from adapters.sqlalchemy.agent import (
    SqlAlchemyAgentChangeRepository,
    SqlAlchemyAgentPolicyRepository,
    SqlAlchemyConversationRepository,
    SqlAlchemyPendingActionRepository,
)
from adapters.sqlalchemy.attachments import SqlAlchemyAttachmentRepository
from adapters.sqlalchemy.calendar_sync import SqlAlchemyCalendarSyncRepository
from adapters.sqlalchemy.events import SqlAlchemyEventStore, SqlAlchemyJobOutbox
from adapters.sqlalchemy.mail_sync import SqlAlchemyMailSyncRepository
from adapters.sqlalchemy.repositories import (
    SqlAlchemyApiKeyRepository,
    SqlAlchemyAuditLog,
    SqlAlchemyMailAccountRepository,
    SqlAlchemyOAuthStateRepository,
    SqlAlchemyOneTimeTokenRepository,
    SqlAlchemySessionRepository,
    SqlAlchemyUserRepository,
)
from adapters.sqlalchemy.scheduled_emails import SqlAlchemyScheduledEmailRepository
from adapters.sqlalchemy.slack import SqlAlchemySlackIntegrationRepository
from adapters.sqlalchemy.webhooks import SqlAlchemyWebhookRepository
from application.ports.unit_of_work import UnitOfWork
from domain.errors import ServiceUnavailable


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

    def begin(self) -> None:
        if self._session is not None:
            raise RuntimeError("this unit of work is already in use; create one per use case")
        self._session = self._factory()
        self.users = SqlAlchemyUserRepository(self._session)
        self.sessions = SqlAlchemySessionRepository(self._session)
        self.one_time_tokens = SqlAlchemyOneTimeTokenRepository(self._session)
        self.api_keys = SqlAlchemyApiKeyRepository(self._session)
        self.mail_accounts = SqlAlchemyMailAccountRepository(self._session)
        self.oauth_states = SqlAlchemyOAuthStateRepository(self._session)
        self.audit = SqlAlchemyAuditLog(self._session)
        self.events = SqlAlchemyEventStore(self._session)
        self.job_outbox = SqlAlchemyJobOutbox(self._session)
        self.scheduled_emails = SqlAlchemyScheduledEmailRepository(self._session)
        self.mail_sync = SqlAlchemyMailSyncRepository(self._session)
        self.agent_conversations = SqlAlchemyConversationRepository(self._session)
        self.pending_actions = SqlAlchemyPendingActionRepository(self._session)
        self.agent_policies = SqlAlchemyAgentPolicyRepository(self._session)
        self.attachments = SqlAlchemyAttachmentRepository(self._session)
        self.agent_changes = SqlAlchemyAgentChangeRepository(self._session)
        self.webhooks = SqlAlchemyWebhookRepository(self._session)
        self.slack = SqlAlchemySlackIntegrationRepository(self._session)
        self.calendar_sync = SqlAlchemyCalendarSyncRepository(self._session)

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
        self.session.commit()

    def rollback(self) -> None:
        if self._session is not None:
            self._session.rollback()

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None

    def ping(self) -> None:
        try:
            with self._factory() as session:
                session.execute(text("SELECT 1"))
        except (OperationalError, DBAPIError) as exc:
            raise ServiceUnavailable("The database cannot be reached.", service="database") from exc
