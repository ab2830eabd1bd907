"""SqlAlchemyMailSyncRepository: each account's sync state on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session as OrmSession

from adapters.sqlalchemy.models import MailAccountRow, MailSyncRow
from adapters.sqlalchemy.repositories import _account
from application.ports.mail_sync import MailSyncRepository
from domain.mail_account import MailAccount, MailProvider
from domain.mail_sync import MailSyncState, WatchStatus, cursor_value


def _state(row: MailSyncRow) -> MailSyncState:
    return MailSyncState(
        account_id=row.account_id,
        cursor=row.cursor,
        last_synced_at=row.last_synced_at,
        last_full_sync_at=row.last_full_sync_at,
        watch_expires_at=row.watch_expires_at,
        watch_status=WatchStatus(row.watch_status),
        watch_error=row.watch_error,
    )


class SqlAlchemyMailSyncRepository(MailSyncRepository):
    def __init__(self, session: OrmSession) -> None:
        self.s = session

    def _ensure(self, account_id: str) -> None:
        """INSERT .. ON CONFLICT DO NOTHING: two first syncs racing must not abort either transaction."""
        dialect = self.s.get_bind().dialect.name
        insert: Any = postgresql.insert if dialect == "postgresql" else sqlite.insert
        self.s.execute(
            insert(MailSyncRow)
            .values(account_id=account_id, watch_status=WatchStatus.NONE.value)
            .on_conflict_do_nothing(index_elements=["account_id"])
        )

    def get(self, account_id: str) -> MailSyncState | None:
        row = self.s.execute(
            select(MailSyncRow).where(MailSyncRow.account_id == account_id).execution_options(populate_existing=True)
        ).scalar_one_or_none()
        return _state(row) if row else None

    def advance(self, account_id: str, cursor: str, *, at: datetime, full_sync: bool = False) -> None:
        new = str(cursor_value(cursor))  # canonical decimal: comparing (length, text) compares the numbers
        self._ensure(account_id)
        stored = MailSyncRow.cursor
        further = or_(
            stored.is_(None),
            func.length(stored) < len(new),
            and_(func.length(stored) == len(new), stored < new),
        )
        # one conditional UPDATE, atomic in the database: a slower racing sync cannot move the cursor back
        self.s.execute(
            update(MailSyncRow)
            .where(MailSyncRow.account_id == account_id, further)
            .values(cursor=new)
            .execution_options(synchronize_session=False)
        )
        values: dict[str, Any] = {"last_synced_at": at}
        if full_sync:
            values["last_full_sync_at"] = at
        self.s.execute(
            update(MailSyncRow)
            .where(MailSyncRow.account_id == account_id)
            .values(**values)
            .execution_options(synchronize_session=False)
        )

    def record_watch(
        self, account_id: str, *, status: WatchStatus, expires_at: datetime | None, error: str | None = None
    ) -> None:
        self._ensure(account_id)
        self.s.execute(
            update(MailSyncRow)
            .where(MailSyncRow.account_id == account_id)
            .values(watch_status=status.value, watch_expires_at=expires_at, watch_error=error[:500] if error else None)
            .execution_options(synchronize_session=False)
        )

    def accounts(self, provider: MailProvider | None = None) -> Sequence[MailAccount]:
        query = select(MailAccountRow).order_by(MailAccountRow.created_at, MailAccountRow.id)
        if provider is not None:
            query = query.where(MailAccountRow.provider == provider.value)
        return [_account(r) for r in self.s.scalars(query)]

    def accounts_with_address(self, provider: MailProvider, address: str) -> Sequence[MailAccount]:
        rows = self.s.scalars(
            select(MailAccountRow)
            .where(
                MailAccountRow.provider == provider.value,
                func.lower(MailAccountRow.address) == address.strip().lower(),
            )
            .order_by(MailAccountRow.created_at, MailAccountRow.id)
        )
        return [_account(r) for r in rows]
