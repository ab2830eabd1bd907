"""Repositories over a SQLAlchemy Session, converting rows to domain objects and back. They never commit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, func, insert, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session as OrmSession

from adapters.sqlalchemy.engine import SQLITE_BUSY_TIMEOUT_MS
from adapters.sqlalchemy.models import (
    ApiKeyRow,
    AuditChainHeadRow,
    AuditLogRow,
    MailAccountRow,
    OAuthStateRow,
    OneTimeTokenRow,
    RefreshTokenRow,
    SessionRow,
    UserRow,
)
from application.ports.unit_of_work import (
    ApiKeyRepository,
    AuditBacklog,
    AuditLog,
    AuditQuery,
    MailAccountRepository,
    OAuthStateRepository,
    OneTimeTokenRepository,
    SessionRepository,
    UserRepository,
)
from domain.audit import GENESIS, GENESIS_HASH, AuditDraft, AuditEvent, AuditHead, entry_id, new_entry
from domain.identity import (
    ApiKey,
    OneTimePurpose,
    OneTimeToken,
    RefreshToken,
    Role,
    Scope,
    Session,
    User,
    UserStatus,
)
from domain.mail_account import AccountStatus, MailAccount, MailProvider, OAuthState


def _user(row: UserRow) -> User:
    return User(
        id=row.id,
        email=row.email,
        role=Role(row.role),
        status=UserStatus(row.status),
        created_at=row.created_at,
        password_hash=row.password_hash,
        email_verified_at=row.email_verified_at,
        external_subject=row.external_subject,
        display_name=row.display_name,
        undo_send_seconds=row.undo_send_seconds,
        image_senders=tuple(row.image_senders or ()),
        conversation_view=bool(row.conversation_view),
    )


def _copy_user(user: User, row: UserRow) -> None:
    row.email = user.email
    row.role = user.role.value
    row.status = user.status.value
    row.password_hash = user.password_hash
    row.external_subject = user.external_subject
    row.display_name = user.display_name
    row.undo_send_seconds = user.undo_send_seconds
    row.image_senders = list(user.image_senders)
    row.conversation_view = user.conversation_view
    row.created_at = user.created_at
    row.email_verified_at = user.email_verified_at


class SqlAlchemyUserRepository(UserRepository):
    def __init__(self, session: OrmSession) -> None:
        self.s = session

    def add(self, user: User) -> None:
        row = UserRow(id=user.id)
        _copy_user(user, row)
        self.s.add(row)
        self.s.flush()

    def get(self, user_id: str) -> User | None:
        row = self.s.get(UserRow, user_id)
        return _user(row) if row else None

    def get_by_email(self, email: str) -> User | None:
        row = self.s.scalars(select(UserRow).where(func.lower(UserRow.email) == email.lower())).first()
        return _user(row) if row else None

    def get_by_external_subject(self, subject: str) -> User | None:
        row = self.s.scalars(select(UserRow).where(UserRow.external_subject == subject)).first()
        return _user(row) if row else None

    def update(self, user: User) -> None:
        row = self.s.get(UserRow, user.id)
        assert row is not None, "update of a user that was never added"
        _copy_user(user, row)
        self.s.flush()

    def list(self, *, offset: int, limit: int) -> Sequence[User]:
        rows = self.s.scalars(select(UserRow).order_by(UserRow.created_at, UserRow.id).offset(offset).limit(limit))
        return [_user(r) for r in rows]

    def count(self) -> int:
        return int(self.s.scalar(select(func.count()).select_from(UserRow)) or 0)


def _session(row: SessionRow) -> Session:
    return Session(
        id=row.id,
        user_id=row.user_id,
        created_at=row.created_at,
        expires_at=row.expires_at,
        ip=row.ip,
        user_agent=row.user_agent,
        revoked_at=row.revoked_at,
        revoked_reason=row.revoked_reason,
        last_used_at=row.last_used_at,
    )


def _refresh(row: RefreshTokenRow) -> RefreshToken:
    return RefreshToken(
        id=row.id,
        session_id=row.session_id,
        token_hash=row.token_hash,
        issued_at=row.issued_at,
        expires_at=row.expires_at,
        used_at=row.used_at,
    )


class SqlAlchemySessionRepository(SessionRepository):
    def __init__(self, session: OrmSession) -> None:
        self.s = session

    def add(self, session: Session) -> None:
        self.s.add(SessionRow(**session.__dict__))
        self.s.flush()

    def get(self, session_id: str) -> Session | None:
        row = self.s.get(SessionRow, session_id)
        return _session(row) if row else None

    def update(self, session: Session) -> None:
        row = self.s.get(SessionRow, session.id)
        assert row is not None
        for key, value in session.__dict__.items():
            setattr(row, key, value)
        self.s.flush()

    def list_for_user(self, user_id: str) -> Sequence[Session]:
        return [_session(r) for r in self.s.scalars(select(SessionRow).where(SessionRow.user_id == user_id))]

    def add_refresh_token(self, token: RefreshToken) -> None:
        self.s.add(RefreshTokenRow(**token.__dict__))
        self.s.flush()

    def get_refresh_token(self, token_id: str) -> RefreshToken | None:
        row = self.s.get(RefreshTokenRow, token_id)
        return _refresh(row) if row else None

    def consume_refresh_token(self, token_id: str, *, at: datetime) -> bool:
        result = self.s.execute(
            update(RefreshTokenRow)
            .where(RefreshTokenRow.id == token_id, RefreshTokenRow.used_at.is_(None))
            .values(used_at=at)
            .execution_options(synchronize_session=False)
        )
        self.s.expire_all()
        return bool(getattr(result, "rowcount", 0) == 1)

    def revoke_all_for_user(self, user_id: str, *, at: datetime, reason: str) -> list[str]:
        rows = self.s.scalars(
            select(SessionRow).where(SessionRow.user_id == user_id, SessionRow.revoked_at.is_(None))
        ).all()
        for row in rows:
            row.revoked_at, row.revoked_reason = at, reason
        self.s.flush()
        return [r.id for r in rows]


def _one_time(row: OneTimeTokenRow) -> OneTimeToken:
    return OneTimeToken(
        id=row.id,
        user_id=row.user_id,
        purpose=OneTimePurpose(row.purpose),
        token_hash=row.token_hash,
        created_at=row.created_at,
        expires_at=row.expires_at,
        used_at=row.used_at,
    )


class SqlAlchemyOneTimeTokenRepository(OneTimeTokenRepository):
    def __init__(self, session: OrmSession) -> None:
        self.s = session

    def add(self, token: OneTimeToken) -> None:
        self.s.add(OneTimeTokenRow(**{**token.__dict__, "purpose": token.purpose.value}))
        self.s.flush()

    def get(self, token_id: str) -> OneTimeToken | None:
        row = self.s.get(OneTimeTokenRow, token_id)
        return _one_time(row) if row else None

    def update(self, token: OneTimeToken) -> None:
        row = self.s.get(OneTimeTokenRow, token.id)
        assert row is not None
        row.used_at, row.expires_at = token.used_at, token.expires_at
        self.s.flush()

    def invalidate_for_user(self, user_id: str, purpose: OneTimePurpose, now: datetime) -> None:
        self.s.execute(
            update(OneTimeTokenRow)
            .where(
                OneTimeTokenRow.user_id == user_id,
                OneTimeTokenRow.purpose == purpose.value,
                OneTimeTokenRow.used_at.is_(None),
            )
            .values(used_at=now)
            .execution_options(synchronize_session=False)
        )
        self.s.expire_all()


def _api_key(row: ApiKeyRow) -> ApiKey:
    return ApiKey(
        id=row.id,
        user_id=row.user_id,
        name=row.name,
        prefix=row.prefix,
        key_hash=row.key_hash,
        scopes=frozenset(Scope(s) for s in row.scopes),
        created_at=row.created_at,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
        last_used_at=row.last_used_at,
    )


class SqlAlchemyApiKeyRepository(ApiKeyRepository):
    def __init__(self, session: OrmSession) -> None:
        self.s = session

    def add(self, key: ApiKey) -> None:
        self.s.add(ApiKeyRow(**{**key.__dict__, "scopes": sorted(s.value for s in key.scopes)}))
        self.s.flush()

    def get(self, key_id: str) -> ApiKey | None:
        row = self.s.get(ApiKeyRow, key_id)
        return _api_key(row) if row else None

    def update(self, key: ApiKey) -> None:
        row = self.s.get(ApiKeyRow, key.id)
        assert row is not None
        row.name, row.revoked_at, row.last_used_at = key.name, key.revoked_at, key.last_used_at
        row.expires_at, row.scopes = key.expires_at, sorted(s.value for s in key.scopes)
        self.s.flush()

    def list_for_user(self, user_id: str) -> Sequence[ApiKey]:
        return [_api_key(r) for r in self.s.scalars(select(ApiKeyRow).where(ApiKeyRow.user_id == user_id))]


def _event(row: AuditLogRow) -> AuditEvent:
    return AuditEvent(
        seq=row.seq,
        id=row.id,
        occurred_at=row.occurred_at,
        action=row.action,
        actor_id=row.actor_id,
        target=row.target,
        ip=row.ip,
        user_agent=row.user_agent,
        request_id=row.request_id,
        details=dict(row.details or {}),
        prev_hash=row.prev_hash,
        hash=row.hash,
    )


SEALER_LOCK_WAIT_MS = 250
_AUDIT_LOGS = cast(Table, AuditLogRow.__table__)


class SqlAlchemyAuditLog(AuditLog):
    HEAD_ID = 1

    def __init__(self, session: OrmSession) -> None:
        self.s = session
        self._pending: list[dict[str, Any]] = []

    def append(self, draft: AuditDraft, *, at: datetime) -> AuditEvent:
        # One insert, no shared row: concurrent requests never wait on each other's audit entries. Written when the
        # unit of work commits (`write_pending`), as the ORM flush did, but as one plain INSERT: nothing reads an
        # entry back in the transaction that wrote it, and the ORM's unit of work cost ~0.25 ms per entry.
        entry = new_entry(draft, id=entry_id(at), occurred_at=at)
        self._pending.append(dict(entry.__dict__))
        return entry

    @property
    def pending(self) -> bool:
        return bool(self._pending)

    def write_pending(self) -> None:
        """Insert the entries appended since the last commit (the unit of work calls this right before committing)."""
        if self._pending:
            rows, self._pending = self._pending, []
            self.s.execute(insert(_AUDIT_LOGS), rows)

    def discard_pending(self) -> None:
        self._pending = []

    def query(self, query: AuditQuery) -> tuple[Sequence[AuditEvent], int]:
        stmt = select(AuditLogRow)
        if query.actor_id:
            stmt = stmt.where(AuditLogRow.actor_id == query.actor_id)
        if query.action:
            stmt = stmt.where(AuditLogRow.action == query.action)
        if query.exclude_actions:
            stmt = stmt.where(AuditLogRow.action.not_in(query.exclude_actions))
        if query.since:
            stmt = stmt.where(AuditLogRow.occurred_at >= query.since)
        if query.until:
            stmt = stmt.where(AuditLogRow.occurred_at <= query.until)
        total = int(self.s.scalar(select(func.count()).select_from(stmt.subquery())) or 0)
        newest_first = stmt.order_by(AuditLogRow.occurred_at.desc(), AuditLogRow.id.desc())
        rows = self.s.scalars(newest_first.offset(query.offset).limit(query.limit))
        return [_event(r) for r in rows], total

    def sealed_page(self, *, after_seq: int, limit: int) -> Sequence[AuditEvent]:
        rows = self.s.scalars(
            select(AuditLogRow).where(AuditLogRow.seq > after_seq).order_by(AuditLogRow.seq).limit(limit)
        )
        return [_event(r) for r in rows]

    def head(self) -> AuditHead:
        row = self.s.execute(
            select(AuditChainHeadRow.seq, AuditChainHeadRow.hash).where(AuditChainHeadRow.id == self.HEAD_ID)
        ).first()
        return AuditHead(int(row.seq), str(row.hash)) if row else GENESIS

    def backlog(self) -> AuditBacklog:
        unsealed = select(func.count(), func.min(AuditLogRow.occurred_at)).where(AuditLogRow.seq.is_(None))
        count, oldest = self.s.execute(unsealed).one()
        return AuditBacklog(int(count or 0), oldest)

    def lock_for_sealing(self) -> bool:
        if self.s.get_bind().dialect.name == "postgresql":
            # Another sealer holding the row: skip this run instead of queueing behind it.
            locked = self.s.execute(
                select(AuditChainHeadRow.id)
                .where(AuditChainHeadRow.id == self.HEAD_ID)
                .with_for_update(skip_locked=True)
            ).first()
            if locked is not None:
                return True
            exists = self.s.execute(select(AuditChainHeadRow.id).where(AuditChainHeadRow.id == self.HEAD_ID)).first()
            if exists is not None:
                return False
        else:  # SQLite: the first write takes the database's write lock, which is held until commit
            connection = self.s.connection()
            # Wait a moment for a request's insert, not for another sealer's whole batch.
            connection.exec_driver_sql(f"PRAGMA busy_timeout={SEALER_LOCK_WAIT_MS}")
            try:
                touched = self.s.execute(
                    update(AuditChainHeadRow)
                    .where(AuditChainHeadRow.id == self.HEAD_ID)
                    .values(seq=AuditChainHeadRow.seq)
                    .execution_options(synchronize_session=False)
                )
            except OperationalError as exc:
                if "locked" in str(exc.orig):
                    return False
                raise
            finally:
                connection.exec_driver_sql(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            if getattr(touched, "rowcount", 0):
                return True
        self.s.add(AuditChainHeadRow(id=self.HEAD_ID, seq=0, hash=GENESIS_HASH))  # seeded by the migration
        self.s.flush()
        return True

    def unsealed(self, *, limit: int) -> Sequence[AuditEvent]:
        rows = self.s.scalars(
            select(AuditLogRow)
            .where(AuditLogRow.seq.is_(None))
            .order_by(AuditLogRow.occurred_at, AuditLogRow.id)
            .limit(limit)
        )
        return [_event(r) for r in rows]

    def record_seals(self, sealed: Sequence[AuditEvent], head: AuditHead, *, at: datetime) -> None:
        if not sealed:
            return
        self.s.execute(
            update(AuditLogRow),
            [{"id": e.id, "seq": e.seq, "prev_hash": e.prev_hash, "hash": e.hash} for e in sealed],
        )
        self.s.execute(
            update(AuditChainHeadRow)
            .where(AuditChainHeadRow.id == self.HEAD_ID)
            .values(seq=head.seq, hash=head.hash, sealed_at=at)
            .execution_options(synchronize_session=False)
        )


def _account(row: MailAccountRow) -> MailAccount:
    return MailAccount(
        id=row.id,
        user_id=row.user_id,
        provider=MailProvider(row.provider),
        address=row.address,
        status=AccountStatus(row.status),
        created_at=row.created_at,
        updated_at=row.updated_at,
        scopes=tuple(row.scopes or ()),
        secret_ref=row.secret_ref,
        last_error=row.last_error,
    )


def _copy_account(account: MailAccount, row: MailAccountRow) -> None:
    row.user_id, row.provider, row.address = account.user_id, account.provider.value, account.address
    row.status, row.scopes, row.secret_ref = account.status.value, list(account.scopes), account.secret_ref
    row.last_error, row.created_at, row.updated_at = account.last_error, account.created_at, account.updated_at


class SqlAlchemyMailAccountRepository(MailAccountRepository):
    def __init__(self, session: OrmSession) -> None:
        self.s = session

    def add(self, account: MailAccount) -> None:
        row = MailAccountRow(id=account.id)
        _copy_account(account, row)
        self.s.add(row)
        self.s.flush()

    def get(self, account_id: str) -> MailAccount | None:
        row = self.s.get(MailAccountRow, account_id)
        return _account(row) if row else None

    def update(self, account: MailAccount) -> None:
        row = self.s.get(MailAccountRow, account.id)
        assert row is not None
        _copy_account(account, row)
        self.s.flush()

    def delete(self, account_id: str) -> None:
        row = self.s.get(MailAccountRow, account_id)
        if row is not None:
            self.s.delete(row)
            self.s.flush()

    def list_for_user(self, user_id: str) -> Sequence[MailAccount]:
        rows = self.s.scalars(
            select(MailAccountRow)
            .where(MailAccountRow.user_id == user_id)
            .order_by(MailAccountRow.created_at, MailAccountRow.id)
        )
        return [_account(r) for r in rows]

    def find(self, user_id: str, provider: MailProvider, address: str) -> MailAccount | None:
        row = self.s.scalars(
            select(MailAccountRow).where(
                MailAccountRow.user_id == user_id,
                MailAccountRow.provider == provider.value,
                func.lower(MailAccountRow.address) == address.lower(),
            )
        ).first()
        return _account(row) if row else None


def _oauth_state(row: OAuthStateRow) -> OAuthState:
    return OAuthState(
        id=row.id,
        user_id=row.user_id,
        state_hash=row.state_hash,
        code_verifier=row.code_verifier,
        created_at=row.created_at,
        expires_at=row.expires_at,
        used_at=row.used_at,
        return_to=row.return_to,
        extra=dict(row.extra or {}),
    )


class SqlAlchemyOAuthStateRepository(OAuthStateRepository):
    def __init__(self, session: OrmSession) -> None:
        self.s = session

    def add(self, state: OAuthState) -> None:
        self.s.add(OAuthStateRow(**state.__dict__))
        self.s.flush()

    def get(self, state_id: str) -> OAuthState | None:
        row = self.s.get(OAuthStateRow, state_id)
        return _oauth_state(row) if row else None

    def consume(self, state_id: str, *, at: datetime) -> bool:
        result = self.s.execute(
            update(OAuthStateRow)
            .where(OAuthStateRow.id == state_id, OAuthStateRow.used_at.is_(None))
            .values(used_at=at)
            .execution_options(synchronize_session=False)
        )
        self.s.expire_all()
        return bool(getattr(result, "rowcount", 0) == 1)
