"""MailSyncRepository: where each connected account's mailbox sync stands (cursor, watch), on the unit of work."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from datetime import datetime

from domain.mail_account import MailAccount, MailProvider
from domain.mail_sync import MailSyncState, WatchStatus


class MailSyncRepository(ABC):
    """`uow.mail_sync`. Every write creates the account's state when it has none. Changes commit with the unit of
    work, so a sync stores its events and its new cursor in one transaction."""

    @abstractmethod
    def get(self, account_id: str) -> MailSyncState | None: ...

    @abstractmethod
    def advance(self, account_id: str, cursor: str, *, at: datetime, full_sync: bool = False) -> None:
        """Move the cursor to `cursor` if that is further than the stored one (never back: two syncs of one account
        may race, the slower must not undo the faster), and note the sync time (and the full sync's)."""

    @abstractmethod
    def record_watch(
        self, account_id: str, *, status: WatchStatus, expires_at: datetime | None, error: str | None = None
    ) -> None:
        """The push watch's state: ACTIVE with its expiry, FAILED with the error (expiry kept as given), LAPSED."""

    @abstractmethod
    def accounts(self, provider: MailProvider | None = None) -> Sequence[MailAccount]:
        """Every connected account (of one provider), oldest first: what polling and watch renewal go through."""

    @abstractmethod
    def accounts_with_address(self, provider: MailProvider, address: str) -> Sequence[MailAccount]:
        """The connected accounts of this provider and address (case-insensitive): whom a push is about. Several
        users may have connected the same mailbox."""
