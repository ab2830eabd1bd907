"""SqlAlchemyUnitOfWork: one ORM session per `with` block; rolled back unless committed."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from adapters.sqlalchemy.agent import (
    SqlAlchemyAgentPolicyRepository,
    SqlAlchemyConversationRepository,
    SqlAlchemyPendingActionRepository,
)
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
from application.ports.unit_of_work import UnitOfWork
from domain.errors import ServiceUnavailable


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
