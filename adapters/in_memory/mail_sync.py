"""InMemoryMailSyncRepository: each account's sync state in the in-memory unit of work (same semantics as SQL)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from application.ports.mail_sync import MailSyncRepository
from domain.mail_account import MailAccount, MailProvider
from domain.mail_sync import MailSyncState, WatchStatus, cursor_value, later_cursor

if TYPE_CHECKING:
    from adapters.in_memory.unit_of_work import _Tx

Change = Callable[[MailSyncState | None], MailSyncState]


class InMemoryMailSyncRepository(MailSyncRepository):
    """Writes are kept as changes and applied to the committed state at commit, under the store's lock, so two
    transactions racing on one account merge like the SQL adapter's conditional UPDATE: the cursor never moves
    back."""

    def __init__(self, tx: _Tx) -> None:
        self.tx = tx

    def _change(self, account_id: str, change: Change) -> None:
        self.tx.mail_sync_ops.append((account_id, change))

    def get(self, account_id: str) -> MailSyncState | None:
        with self.tx.store.lock:
            state = self.tx.store.mail_sync.get(account_id)
        for target, change in self.tx.mail_sync_ops:
            if target == account_id:
                state = change(state)
        return state

    def advance(self, account_id: str, cursor: str, *, at: datetime, full_sync: bool = False) -> None:
        cursor = str(cursor_value(cursor))

        def change(state: MailSyncState | None) -> MailSyncState:
            state = state or MailSyncState(account_id)
            return replace(
                state,
                cursor=later_cursor(state.cursor, cursor),
                last_synced_at=at,
                last_full_sync_at=at if full_sync else state.last_full_sync_at,
            )

        self._change(account_id, change)

    def record_watch(
        self, account_id: str, *, status: WatchStatus, expires_at: datetime | None, error: str | None = None
    ) -> None:
        def change(state: MailSyncState | None) -> MailSyncState:
            state = state or MailSyncState(account_id)
            return replace(
                state, watch_status=status, watch_expires_at=expires_at, watch_error=error[:500] if error else None
            )

        self._change(account_id, change)

    def accounts(self, provider: MailProvider | None = None) -> Sequence[MailAccount]:
        live = [a for a in self.tx.values("mail_accounts") if a is not None]
        return sorted(
            (a for a in live if provider is None or a.provider is provider), key=lambda a: (a.created_at, a.id)
        )

    def accounts_with_address(self, provider: MailProvider, address: str) -> Sequence[MailAccount]:
        wanted = address.strip().lower()
        return [a for a in self.accounts(provider) if a.address.lower() == wanted]
