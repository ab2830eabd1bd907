"""UnitOfWork and its repositories: one transaction per use case; nothing is kept unless it commits."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Self

if TYPE_CHECKING:  # annotations only: a command that needs two repositories imports no other context's model
    from application.ports.agent_store import (
        AgentChangeRepository,
        AgentPolicyRepository,
        ConversationRepository,
        PendingActionRepository,
    )
    from application.ports.attachments import AttachmentRepository
    from application.ports.calendar_feed import CalendarSyncRepository
    from application.ports.mail_sync import MailSyncRepository
    from application.ports.notifier import SlackIntegrationRepository
    from application.ports.scheduled_emails import ScheduledEmailRepository
    from application.ports.webhooks import WebhookRepository
    from domain.audit import AuditDraft, AuditEvent, AuditHead
    from domain.events import DomainEvent, StoredEvent
    from domain.identity import ApiKey, OneTimePurpose, OneTimeToken, RefreshToken, Session, User
    from domain.mail_account import MailAccount, MailProvider, OAuthState


class UserRepository(ABC):
    @abstractmethod
    def add(self, user: User) -> None: ...

    @abstractmethod
    def get(self, user_id: str) -> User | None: ...

    @abstractmethod
    def get_by_email(self, email: str) -> User | None:
        """Case-insensitive."""

    @abstractmethod
    def get_by_external_subject(self, subject: str) -> User | None: ...

    @abstractmethod
    def update(self, user: User) -> None: ...

    @abstractmethod
    def list(self, *, offset: int, limit: int) -> Sequence[User]: ...

    @abstractmethod
    def count(self) -> int: ...


class SessionRepository(ABC):
    @abstractmethod
    def add(self, session: Session) -> None: ...

    @abstractmethod
    def get(self, session_id: str) -> Session | None: ...

    @abstractmethod
    def update(self, session: Session) -> None: ...

    @abstractmethod
    def list_for_user(self, user_id: str) -> Sequence[Session]: ...

    @abstractmethod
    def add_refresh_token(self, token: RefreshToken) -> None: ...

    @abstractmethod
    def get_refresh_token(self, token_id: str) -> RefreshToken | None: ...

    @abstractmethod
    def consume_refresh_token(self, token_id: str, *, at: datetime) -> bool:
        """Mark the token used if it was unused; False when another request already used it (atomic)."""

    @abstractmethod
    def revoke_all_for_user(self, user_id: str, *, at: datetime, reason: str) -> list[str]:
        """Revoke every live session of the user; return their ids."""


class OneTimeTokenRepository(ABC):
    @abstractmethod
    def add(self, token: OneTimeToken) -> None: ...

    @abstractmethod
    def get(self, token_id: str) -> OneTimeToken | None: ...

    @abstractmethod
    def update(self, token: OneTimeToken) -> None: ...

    @abstractmethod
    def invalidate_for_user(self, user_id: str, purpose: OneTimePurpose, now: datetime) -> None:
        """Mark every unused token of this purpose used (a new one supersedes them)."""


class ApiKeyRepository(ABC):
    @abstractmethod
    def add(self, key: ApiKey) -> None: ...

    @abstractmethod
    def get(self, key_id: str) -> ApiKey | None: ...

    @abstractmethod
    def update(self, key: ApiKey) -> None: ...

    @abstractmethod
    def list_for_user(self, user_id: str) -> Sequence[ApiKey]: ...


class MailAccountRepository(ABC):
    @abstractmethod
    def add(self, account: MailAccount) -> None: ...

    @abstractmethod
    def get(self, account_id: str) -> MailAccount | None: ...

    @abstractmethod
    def update(self, account: MailAccount) -> None: ...

    @abstractmethod
    def delete(self, account_id: str) -> None: ...

    @abstractmethod
    def list_for_user(self, user_id: str) -> Sequence[MailAccount]:
        """Oldest first (the first connected account is the default one)."""

    @abstractmethod
    def find(self, user_id: str, provider: MailProvider, address: str) -> MailAccount | None: ...


class OAuthStateRepository(ABC):
    @abstractmethod
    def add(self, state: OAuthState) -> None: ...

    @abstractmethod
    def get(self, state_id: str) -> OAuthState | None: ...

    @abstractmethod
    def consume(self, state_id: str, *, at: datetime) -> bool:
        """Mark the state used if it was unused; False when it was already used (atomic)."""


@dataclass(frozen=True)
class AuditQuery:
    actor_id: str | None = None
    action: str | None = None
    exclude_actions: tuple[str, ...] = ()  # routine entries (refreshes, searches) an admin chose to hide
    since: datetime | None = None
    until: datetime | None = None
    offset: int = 0
    limit: int = 50


@dataclass(frozen=True)
class AuditBacklog:
    """Entries written but not sealed yet: how many, and when the oldest was written (the sealer's lag)."""

    count: int
    oldest_at: datetime | None


class AuditLog(ABC):
    """Append-only. An append is one insert in the surrounding transaction and touches no shared row; the sealer
    (one at a time, under `lock_for_sealing`) later integrates committed entries into the hash chain."""

    @abstractmethod
    def append(self, draft: AuditDraft, *, at: datetime) -> AuditEvent:
        """Write the entry, unsealed."""

    @abstractmethod
    def query(self, query: AuditQuery) -> tuple[Sequence[AuditEvent], int]:
        """Matching entries (sealed or not) newest first, and the total count."""

    @abstractmethod
    def sealed_page(self, *, after_seq: int, limit: int) -> Sequence[AuditEvent]:
        """Sealed entries with seq > after_seq in sequence order, at most `limit` (chain verification)."""

    def all_in_order(self) -> Sequence[AuditEvent]:
        """Every committed entry in chain order: the sealed ones by seq, then the unsealed ones in the order they
        will be sealed (small logs: tests, fixtures)."""
        found: list[AuditEvent] = []
        after = 0
        while page := self.sealed_page(after_seq=after, limit=1000):
            found.extend(page)
            after = page[-1].seq or after + len(page)
        return [*found, *self.unsealed(limit=1_000_000)]

    @abstractmethod
    def head(self) -> AuditHead:
        """The newest sealed entry as the sealer recorded it (GENESIS before the first seal)."""

    @abstractmethod
    def backlog(self) -> AuditBacklog:
        """Committed entries the sealer has not integrated yet."""

    @abstractmethod
    def lock_for_sealing(self) -> bool:
        """Become this installation's sealer until the transaction ends; False if another transaction is sealing
        right now (then do nothing: it will seal what this one would have)."""

    @abstractmethod
    def unsealed(self, *, limit: int) -> Sequence[AuditEvent]:
        """Committed, unsealed entries in the order they will be sealed (oldest first), at most `limit`. Sealing
        them is only for the holder of `lock_for_sealing`."""

    @abstractmethod
    def record_seals(self, sealed: Sequence[AuditEvent], head: AuditHead, *, at: datetime) -> None:
        """Store the sealed entries (seq, prev_hash, hash) and the new head. Only under `lock_for_sealing`."""


class EventStore(ABC):
    """The events outbox: written in the transaction that caused the event, relayed to the EventBus after commit,
    and kept for a while so a reconnecting client can replay what it missed."""

    @abstractmethod
    def append(self, event: DomainEvent) -> bool:
        """Add the event; False (and nothing stored) if an event with the same id exists already."""

    def append_many(self, events: Sequence[DomainEvent]) -> int:
        """Add the events in order (as `append` one by one would: seqs in this order, a known id skipped, the
        first of two equal ids kept); returns how many were stored. Adapters may do it in one statement."""
        return sum(1 for event in events if self.append(event))

    @abstractmethod
    def after(self, user_id: str, after_seq: int, *, limit: int) -> Sequence[StoredEvent]:
        """The user's committed events with seq > after_seq, oldest first, at most `limit`."""

    @abstractmethod
    def latest_seq(self, user_id: str) -> int:
        """The seq of the user's newest committed event (0 when none)."""

    @abstractmethod
    def claim_unpublished(self, *, limit: int, at: datetime) -> Sequence[StoredEvent]:
        """Take up to `limit` committed events not yet relayed, oldest first, and mark them relayed at `at` (on
        PostgreSQL the rows are locked with SKIP LOCKED so replicas relay disjoint batches). The marks commit with
        the unit of work: commit after publishing."""

    @abstractmethod
    def prune(self, *, before: datetime) -> int:
        """Delete relayed events that occurred before `before`; returns how many."""


@dataclass(frozen=True)
class OutboxJob:
    """A job to enqueue once the transaction that asked for it commits."""

    id: str
    name: str
    payload: dict[str, str | int | float | bool | None]
    created_at: datetime
    job_id: str | None = None
    run_at: datetime | None = None
    max_attempts: int = 1
    base_delay_seconds: float = 0.0
    max_delay_seconds: float = 0.0
    jitter: bool = True


class JobOutbox(ABC):
    @abstractmethod
    def add(self, job: OutboxJob) -> None: ...

    @abstractmethod
    def claim(self, *, limit: int) -> Sequence[OutboxJob]:
        """Take up to `limit` pending jobs, oldest first (SKIP LOCKED on PostgreSQL) and delete them; the
        deletion commits with the unit of work, so commit only after they were enqueued."""


class UnitOfWork(ABC):
    users: UserRepository
    sessions: SessionRepository
    one_time_tokens: OneTimeTokenRepository
    api_keys: ApiKeyRepository
    mail_accounts: MailAccountRepository
    oauth_states: OAuthStateRepository
    audit: AuditLog
    events: EventStore
    job_outbox: JobOutbox
    scheduled_emails: ScheduledEmailRepository
    mail_sync: MailSyncRepository
    agent_conversations: ConversationRepository
    pending_actions: PendingActionRepository
    agent_policies: AgentPolicyRepository
    attachments: AttachmentRepository
    agent_changes: AgentChangeRepository
    webhooks: WebhookRepository
    slack: SlackIntegrationRepository
    calendar_sync: CalendarSyncRepository

    reads_only: bool = False

    def reading(self) -> Self:
        """Mark the next `with` block as reads only: `with uow.reading() as uow:`. It commits nothing (commit() is
        refused), so an adapter may run it without a transaction of its own: each statement then sees what was
        committed before it, which is what every statement sees at READ COMMITTED anyway. No locks either: a block
        that locks rows or takes advisory locks is not a reading one."""
        self.reads_only = True
        return self

    def __enter__(self) -> Self:
        self.begin()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            self.rollback()
        finally:
            self.reads_only = False
            self.close()

    @abstractmethod
    def begin(self) -> None: ...

    @abstractmethod
    def commit(self) -> None: ...

    @abstractmethod
    def rollback(self) -> None:
        """Discard whatever was not committed (a no-op after a commit)."""

    @abstractmethod
    def close(self) -> None: ...

    @abstractmethod
    def ping(self) -> None:
        """Raise ServiceUnavailable when the store cannot be reached."""
