"""InMemoryUnitOfWork: dict-backed repositories with real transaction semantics (isolated until commit)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from adapters.in_memory.agent import (
    InMemoryAgentChangeRepository,
    InMemoryAgentPolicyRepository,
    InMemoryConversationRepository,
    InMemoryPendingActionRepository,
)
from adapters.in_memory.attachments import InMemoryAttachmentRepository
from adapters.in_memory.calendar_sync import InMemoryCalendarSyncRepository
from adapters.in_memory.mail_sync import InMemoryMailSyncRepository
from adapters.in_memory.scheduled_emails import InMemoryScheduledEmailRepository
from adapters.in_memory.slack import InMemorySlackIntegrationRepository
from adapters.in_memory.webhooks import InMemoryWebhookRepository
from application.ports.agent_store import ConversationRecord
from application.ports.unit_of_work import (
    ApiKeyRepository,
    AuditBacklog,
    AuditLog,
    AuditQuery,
    EventStore,
    JobOutbox,
    MailAccountRepository,
    OAuthStateRepository,
    OneTimeTokenRepository,
    OutboxJob,
    SessionRepository,
    UnitOfWork,
    UserRepository,
)
from domain.agent import AgentChange, AgentPolicy, PendingAction
from domain.attachments import Upload
from domain.audit import GENESIS, AuditDraft, AuditEvent, AuditHead, entry_id, new_entry
from domain.errors import Conflict
from domain.events import DomainEvent, StoredEvent
from domain.identity import ApiKey, OneTimePurpose, OneTimeToken, RefreshToken, Session, User
from domain.mail_account import MailAccount, MailProvider, OAuthState
from domain.mail_sync import MailSyncState
from domain.scheduled_email import ScheduledEmail


@dataclass
class InMemoryStore:
    """The committed state shared by every unit of work of one installation (one process)."""

    users: dict[str, User] = field(default_factory=dict)
    sessions: dict[str, Session] = field(default_factory=dict)
    refresh_tokens: dict[str, RefreshToken] = field(default_factory=dict)
    one_time_tokens: dict[str, OneTimeToken] = field(default_factory=dict)
    api_keys: dict[str, ApiKey] = field(default_factory=dict)
    mail_accounts: dict[str, MailAccount | None] = field(default_factory=dict)
    oauth_states: dict[str, OAuthState] = field(default_factory=dict)
    audit: dict[str, AuditEvent] = field(default_factory=dict)  # by id, in commit order; sealed or not
    head: AuditHead = GENESIS  # kept apart from the entries, like the SQL chain-head row
    sealer: object | None = None  # the transaction that holds the sealer's lock
    events: dict[int, StoredEvent] = field(default_factory=dict)  # by seq, in insertion (= seq) order
    event_ids: set[str] = field(default_factory=set)
    published: set[int] = field(default_factory=set)
    last_seq: int = 0
    job_outbox: dict[str, OutboxJob] = field(default_factory=dict)
    scheduled_emails: dict[str, ScheduledEmail] = field(default_factory=dict)
    mail_sync: dict[str, MailSyncState] = field(default_factory=dict)
    agent_conversations: dict[str, ConversationRecord] = field(default_factory=dict)
    pending_actions: dict[str, PendingAction] = field(default_factory=dict)
    agent_policies: dict[str, AgentPolicy] = field(default_factory=dict)
    attachments: dict[str, Upload | None] = field(default_factory=dict)
    agent_changes: dict[str, AgentChange] = field(default_factory=dict)
    webhook_endpoints: dict[str, Any] = field(default_factory=dict)
    webhook_deliveries: dict[str, Any] = field(default_factory=dict)
    webhook_attempts: dict[str, Any] = field(default_factory=dict)
    slack_integrations: dict[str, Any] = field(default_factory=dict)
    calendar_sync: dict[str, Any] = field(default_factory=dict)
    locked: set[tuple[str, Any]] = field(default_factory=set)  # rows claimed by an open transaction (SKIP LOCKED)
    lock: threading.RLock = field(default_factory=threading.RLock)

    TABLES = (
        "users",
        "sessions",
        "refresh_tokens",
        "one_time_tokens",
        "api_keys",
        "mail_accounts",
        "oauth_states",
        "scheduled_emails",
        "agent_conversations",
        "pending_actions",
        "agent_policies",
        "attachments",
        "agent_changes",
        "webhook_endpoints",
        "webhook_deliveries",
        "webhook_attempts",
        "slack_integrations",
        "calendar_sync",
    )


class _Tx:
    """A transaction's private view: reads fall through to the store, writes stay here until commit."""

    def __init__(self, store: InMemoryStore) -> None:
        self.store = store
        self.writes: dict[str, dict[str, Any]] = {t: {} for t in InMemoryStore.TABLES}
        self.checks: list[Callable[[], bool]] = []  # preconditions re-checked atomically at commit
        self.audit: list[AuditEvent] = []
        self.seals: tuple[list[AuditEvent], AuditHead, datetime] | None = None
        self.events: list[DomainEvent] = []
        self.claimed_events: list[int] = []
        self.outbox_adds: list[OutboxJob] = []
        self.claimed_jobs: list[str] = []
        self.mail_sync_ops: list[tuple[str, Callable[[MailSyncState | None], MailSyncState]]] = []
        self.claimed_scheduled: list[str] = []  # scheduled_emails rows this transaction locked
        self.scheduled_base: dict[str, int | None] = {}  # the version each of them had when first touched
        self.pruned: list[int] = []

    def release(self) -> None:
        with self.store.lock:
            if self.store.sealer is self:
                self.store.sealer = None
            self.store.locked.difference_update(
                [("event", s) for s in self.claimed_events]
                + [("job", j) for j in self.claimed_jobs]
                + [("scheduled_emails", i) for i in self.claimed_scheduled]
            )

    def get(self, table: str, key: str) -> Any:
        if key in self.writes[table]:
            return self.writes[table][key]
        with self.store.lock:
            return getattr(self.store, table).get(key)

    def values(self, table: str) -> list[Any]:
        with self.store.lock:
            merged = dict(getattr(self.store, table))
        merged.update(self.writes[table])
        return list(merged.values())

    def put(self, table: str, key: str, value: Any) -> None:
        self.writes[table][key] = value


class InMemoryUserRepository(UserRepository):
    def __init__(self, tx: _Tx) -> None:
        self.tx = tx

    def add(self, user: User) -> None:
        if self.get_by_email(user.email) is not None:
            raise Conflict("An account with this e-mail address already exists.")
        email = user.email.lower()
        self.tx.checks.append(lambda: all(u.email.lower() != email for u in self.tx.store.users.values()))
        self.tx.put("users", user.id, user)

    def get(self, user_id: str) -> User | None:
        found: User | None = self.tx.get("users", user_id)
        return found

    def get_by_email(self, email: str) -> User | None:
        return next((u for u in self.tx.values("users") if u.email.lower() == email.lower()), None)

    def get_by_external_subject(self, subject: str) -> User | None:
        return next((u for u in self.tx.values("users") if u.external_subject == subject), None)

    def update(self, user: User) -> None:
        self.tx.put("users", user.id, user)

    def list(self, *, offset: int, limit: int) -> Sequence[User]:
        ordered = sorted(self.tx.values("users"), key=lambda u: (u.created_at, u.id))
        return ordered[offset : offset + limit]

    def count(self) -> int:
        return len(self.tx.values("users"))


class InMemorySessionRepository(SessionRepository):
    def __init__(self, tx: _Tx) -> None:
        self.tx = tx

    def add(self, session: Session) -> None:
        self.tx.put("sessions", session.id, session)

    def get(self, session_id: str) -> Session | None:
        found: Session | None = self.tx.get("sessions", session_id)
        return found

    def update(self, session: Session) -> None:
        self.tx.put("sessions", session.id, session)

    def list_for_user(self, user_id: str) -> Sequence[Session]:
        return [s for s in self.tx.values("sessions") if s.user_id == user_id]

    def add_refresh_token(self, token: RefreshToken) -> None:
        self.tx.put("refresh_tokens", token.id, token)

    def get_refresh_token(self, token_id: str) -> RefreshToken | None:
        found: RefreshToken | None = self.tx.get("refresh_tokens", token_id)
        return found

    def consume_refresh_token(self, token_id: str, *, at: datetime) -> bool:
        token = self.get_refresh_token(token_id)
        if token is None or token.used_at is not None:
            return False
        store = self.tx.store
        self.tx.checks.append(lambda: (t := store.refresh_tokens.get(token_id)) is not None and t.used_at is None)
        self.tx.put("refresh_tokens", token_id, replace(token, used_at=at))
        return True

    def revoke_all_for_user(self, user_id: str, *, at: datetime, reason: str) -> list[str]:
        ids = []
        for session in self.list_for_user(user_id):
            if session.revoked_at is None:
                self.update(replace(session, revoked_at=at, revoked_reason=reason))
                ids.append(session.id)
        return ids


class InMemoryOneTimeTokenRepository(OneTimeTokenRepository):
    def __init__(self, tx: _Tx) -> None:
        self.tx = tx

    def add(self, token: OneTimeToken) -> None:
        self.tx.put("one_time_tokens", token.id, token)

    def get(self, token_id: str) -> OneTimeToken | None:
        found: OneTimeToken | None = self.tx.get("one_time_tokens", token_id)
        return found

    def update(self, token: OneTimeToken) -> None:
        self.tx.put("one_time_tokens", token.id, token)

    def invalidate_for_user(self, user_id: str, purpose: OneTimePurpose, now: datetime) -> None:
        for token in self.tx.values("one_time_tokens"):
            if token.user_id == user_id and token.purpose is purpose and token.used_at is None:
                self.update(replace(token, used_at=now))


class InMemoryApiKeyRepository(ApiKeyRepository):
    def __init__(self, tx: _Tx) -> None:
        self.tx = tx

    def add(self, key: ApiKey) -> None:
        self.tx.put("api_keys", key.id, key)

    def get(self, key_id: str) -> ApiKey | None:
        found: ApiKey | None = self.tx.get("api_keys", key_id)
        return found

    def update(self, key: ApiKey) -> None:
        self.tx.put("api_keys", key.id, key)

    def list_for_user(self, user_id: str) -> Sequence[ApiKey]:
        return [k for k in self.tx.values("api_keys") if k.user_id == user_id]


class InMemoryMailAccountRepository(MailAccountRepository):
    """Deleted accounts are kept as None tombstones so a delete inside a transaction hides committed rows."""

    def __init__(self, tx: _Tx) -> None:
        self.tx = tx

    def _live(self) -> list[MailAccount]:
        return [a for a in self.tx.values("mail_accounts") if a is not None]

    def add(self, account: MailAccount) -> None:
        if self.find(account.user_id, account.provider, account.address) is not None:
            raise Conflict("This mailbox is already connected.")
        self.tx.put("mail_accounts", account.id, account)

    def get(self, account_id: str) -> MailAccount | None:
        found: MailAccount | None = self.tx.get("mail_accounts", account_id)
        return found

    def update(self, account: MailAccount) -> None:
        self.tx.put("mail_accounts", account.id, account)

    def delete(self, account_id: str) -> None:
        self.tx.put("mail_accounts", account_id, None)

    def list_for_user(self, user_id: str) -> Sequence[MailAccount]:
        return sorted((a for a in self._live() if a.user_id == user_id), key=lambda a: (a.created_at, a.id))

    def find(self, user_id: str, provider: MailProvider, address: str) -> MailAccount | None:
        return next(
            (
                a
                for a in self._live()
                if a.user_id == user_id and a.provider is provider and a.address.lower() == address.lower()
            ),
            None,
        )


class InMemoryOAuthStateRepository(OAuthStateRepository):
    def __init__(self, tx: _Tx) -> None:
        self.tx = tx

    def add(self, state: OAuthState) -> None:
        self.tx.put("oauth_states", state.id, state)

    def get(self, state_id: str) -> OAuthState | None:
        found: OAuthState | None = self.tx.get("oauth_states", state_id)
        return found

    def consume(self, state_id: str, *, at: datetime) -> bool:
        state = self.get(state_id)
        if state is None or state.used_at is not None:
            return False
        store = self.tx.store
        self.tx.checks.append(lambda: (s := store.oauth_states.get(state_id)) is not None and s.used_at is None)
        self.tx.put("oauth_states", state_id, replace(state, used_at=at))
        return True


class InMemoryAuditLog(AuditLog):
    def __init__(self, tx: _Tx) -> None:
        self.tx = tx

    def append(self, draft: AuditDraft, *, at: datetime) -> AuditEvent:
        entry = new_entry(draft, id=entry_id(at), occurred_at=at)
        self.tx.audit.append(entry)
        return entry

    def _committed(self) -> list[AuditEvent]:
        with self.tx.store.lock:
            return list(self.tx.store.audit.values())

    def query(self, query: AuditQuery) -> tuple[Sequence[AuditEvent], int]:
        found = [
            e
            for e in sorted(self._committed(), key=lambda e: (e.occurred_at, e.id), reverse=True)
            if (query.actor_id is None or e.actor_id == query.actor_id)
            and (query.action is None or e.action == query.action)
            and e.action not in query.exclude_actions
            and (query.since is None or e.occurred_at >= query.since)
            and (query.until is None or e.occurred_at <= query.until)
        ]
        return found[query.offset : query.offset + query.limit], len(found)

    def sealed_page(self, *, after_seq: int, limit: int) -> Sequence[AuditEvent]:
        sealed = [e for e in self._committed() if e.seq is not None and e.seq > after_seq]
        return sorted(sealed, key=lambda e: e.seq or 0)[:limit]

    def head(self) -> AuditHead:
        with self.tx.store.lock:
            return self.tx.store.head

    def backlog(self) -> AuditBacklog:
        unsealed = [e.occurred_at for e in self._committed() if e.seq is None]
        return AuditBacklog(len(unsealed), min(unsealed, default=None))

    def lock_for_sealing(self) -> bool:
        with self.tx.store.lock:
            if self.tx.store.sealer not in (None, self.tx):
                return False
            self.tx.store.sealer = self.tx
            return True

    def unsealed(self, *, limit: int) -> Sequence[AuditEvent]:
        pending = [e for e in self._committed() if e.seq is None]
        return sorted(pending, key=lambda e: (e.occurred_at, e.id))[:limit]

    def record_seals(self, sealed: Sequence[AuditEvent], head: AuditHead, *, at: datetime) -> None:
        if self.tx.store.sealer is not self.tx:
            raise RuntimeError("record_seals outside lock_for_sealing")
        self.tx.seals = (list(sealed), head, at)


class InMemoryEventStore(EventStore):
    def __init__(self, tx: _Tx) -> None:
        self.tx = tx

    def append(self, event: DomainEvent) -> bool:
        with self.tx.store.lock:
            if event.id in self.tx.store.event_ids or any(e.id == event.id for e in self.tx.events):
                return False
        self.tx.events.append(event)
        return True

    def after(self, user_id: str, after_seq: int, *, limit: int) -> Sequence[StoredEvent]:
        with self.tx.store.lock:
            found = [e for s, e in self.tx.store.events.items() if s > after_seq and e.event.user_id == user_id]
        return found[:limit]

    def latest_seq(self, user_id: str) -> int:
        with self.tx.store.lock:
            return max((s for s, e in self.tx.store.events.items() if e.event.user_id == user_id), default=0)

    def claim_unpublished(self, *, limit: int, at: datetime) -> Sequence[StoredEvent]:
        store = self.tx.store
        with store.lock:
            found = [
                e
                for s, e in store.events.items()
                if s not in store.published and ("event", s) not in store.locked and s not in self.tx.claimed_events
            ][:limit]
            store.locked.update(("event", e.seq) for e in found)
        self.tx.claimed_events.extend(e.seq for e in found)
        return found

    def prune(self, *, before: datetime) -> int:
        # Like the SQL DELETE: the rows go when the transaction commits, and stay if it rolls back.
        store = self.tx.store
        with store.lock:
            gone = [s for s, e in store.events.items() if s in store.published and e.event.occurred_at < before]
        fresh = [s for s in gone if s not in self.tx.pruned]
        self.tx.pruned.extend(fresh)
        return len(fresh)


class InMemoryJobOutbox(JobOutbox):
    def __init__(self, tx: _Tx) -> None:
        self.tx = tx

    def add(self, job: OutboxJob) -> None:
        self.tx.outbox_adds.append(job)

    def claim(self, *, limit: int) -> Sequence[OutboxJob]:
        store = self.tx.store
        with store.lock:
            found = sorted(
                (
                    j
                    for j in store.job_outbox.values()
                    if ("job", j.id) not in store.locked and j.id not in self.tx.claimed_jobs
                ),
                key=lambda j: (j.created_at, j.id),
            )[:limit]
            store.locked.update(("job", j.id) for j in found)
        self.tx.claimed_jobs.extend(j.id for j in found)
        return found


class InMemoryUnitOfWork(UnitOfWork):
    def __init__(self, store: InMemoryStore | None = None) -> None:
        self.store = store if store is not None else InMemoryStore()
        self._tx: _Tx | None = None
        self.committed = False

    def begin(self) -> None:
        if self._tx is not None:
            raise RuntimeError("this unit of work is already in use; create one per use case")
        self._tx = _Tx(self.store)
        self.users = InMemoryUserRepository(self._tx)
        self.sessions = InMemorySessionRepository(self._tx)
        self.one_time_tokens = InMemoryOneTimeTokenRepository(self._tx)
        self.api_keys = InMemoryApiKeyRepository(self._tx)
        self.mail_accounts = InMemoryMailAccountRepository(self._tx)
        self.oauth_states = InMemoryOAuthStateRepository(self._tx)
        self.audit = InMemoryAuditLog(self._tx)
        self.events = InMemoryEventStore(self._tx)
        self.job_outbox = InMemoryJobOutbox(self._tx)
        self.scheduled_emails = InMemoryScheduledEmailRepository(self._tx)
        self.mail_sync = InMemoryMailSyncRepository(self._tx)
        self.agent_conversations = InMemoryConversationRepository(self._tx)
        self.pending_actions = InMemoryPendingActionRepository(self._tx)
        self.agent_policies = InMemoryAgentPolicyRepository(self._tx)
        self.attachments = InMemoryAttachmentRepository(self._tx)
        self.agent_changes = InMemoryAgentChangeRepository(self._tx)
        self.webhooks = InMemoryWebhookRepository(self._tx)
        self.slack = InMemorySlackIntegrationRepository(self._tx)
        self.calendar_sync = InMemoryCalendarSyncRepository(self._tx)

    def commit(self) -> None:
        tx = self._tx
        if tx is None:
            raise RuntimeError("commit outside `with uow:`")
        if self.reads_only:
            raise RuntimeError("a reading unit of work commits nothing (see UnitOfWork.reading)")
        with self.store.lock:
            if not all(check() for check in tx.checks):
                raise Conflict("Someone else changed this at the same time; try again.")
            for table, writes in tx.writes.items():
                getattr(self.store, table).update(writes)
            for entry in tx.audit:
                self.store.audit[entry.id] = entry
            if tx.seals is not None:
                sealed, self.store.head, _ = tx.seals
                for entry in sealed:
                    self.store.audit[entry.id] = entry
            for domain_event in tx.events:
                if domain_event.id not in self.store.event_ids:  # a concurrent transaction may have added it
                    self.store.last_seq += 1
                    self.store.events[self.store.last_seq] = StoredEvent(self.store.last_seq, domain_event)
                    self.store.event_ids.add(domain_event.id)
            self.store.published.update(tx.claimed_events)
            for seq in tx.pruned:
                if seq in self.store.events:
                    self.store.event_ids.discard(self.store.events.pop(seq).event.id)
                    self.store.published.discard(seq)
            for job in tx.outbox_adds:
                self.store.job_outbox[job.id] = job
            for job_id in tx.claimed_jobs:
                self.store.job_outbox.pop(job_id, None)
            for account_id, change in tx.mail_sync_ops:  # applied to the committed state: racing syncs merge
                self.store.mail_sync[account_id] = change(self.store.mail_sync.get(account_id))
            tx.release()
        self.committed = True
        self._tx = _Tx(self.store)  # later writes in the same block start a fresh transaction
        self._rebind()

    def _rebind(self) -> None:
        assert self._tx is not None
        repos = (self.users, self.sessions, self.one_time_tokens, self.api_keys, self.mail_accounts, self.oauth_states)
        agent = (self.agent_conversations, self.pending_actions, self.agent_policies, self.agent_changes)
        others = (self.attachments, self.webhooks, self.slack, self.calendar_sync)
        for repo in (
            *repos,
            self.audit,
            self.events,
            self.job_outbox,
            self.scheduled_emails,
            self.mail_sync,
            *agent,
            *others,
        ):
            repo.tx = self._tx  # type: ignore[attr-defined]

    def rollback(self) -> None:
        if self._tx is not None:
            self._tx.release()
            self._tx = _Tx(self.store)
            self._rebind()

    def close(self) -> None:
        if self._tx is not None:
            self._tx.release()
        self._tx = None

    def ping(self) -> None:
        return None
