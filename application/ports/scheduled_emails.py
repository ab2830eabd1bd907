"""ScheduledEmailRepository: scheduled sends, compare-and-set updates, and claiming due rows under a lease."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Collection, Sequence
from datetime import datetime

from domain.scheduled_email import ScheduledEmail, ScheduledStatus


class ScheduledEmailRepository(ABC):
    """Hangs off the UnitOfWork as `scheduled_emails`; nothing is kept unless the unit of work commits."""

    @abstractmethod
    def add(self, email: ScheduledEmail) -> None: ...

    @abstractmethod
    def get(self, email_id: str) -> ScheduledEmail | None: ...

    @abstractmethod
    def list_for_user(
        self,
        user_id: str,
        *,
        statuses: Collection[ScheduledStatus] | None = None,
        offset: int = 0,
        limit: int = 50,
    ) -> tuple[Sequence[ScheduledEmail], int]:
        """The user's scheduled emails (optionally only these statuses) by send time, then id; and the total."""

    @abstractmethod
    def update(self, email: ScheduledEmail, *, expected_version: int) -> None:
        """Store `email` if the stored row still has `expected_version` (compare-and-set); Conflict otherwise,
        including when another open transaction holds the row. The check is repeated atomically at commit."""

    def update_all(self, changes: Sequence[tuple[ScheduledEmail, int]]) -> None:
        """`update` for each (email, expected_version), as one write where the adapter can: Conflict if any row
        no longer has its expected version. Then some of the others may be written already: the caller rolls the
        unit of work back (and may go row by row)."""
        for email, expected_version in changes:
            self.update(email, expected_version=expected_version)

    @abstractmethod
    def claim_due(self, *, now: datetime, lease_seconds: float, owner: str, limit: int) -> Sequence[ScheduledEmail]:
        """Atomically move up to `limit` rows that are `scheduled` and due (`due_at <= now`), or `sending` under
        a lease that expired, to `sending` with a lease until now + lease_seconds held by `owner` (attempts + 1,
        version + 1); returns them, earliest due first. Concurrent claimers never get the same row: PostgreSQL
        locks with FOR UPDATE SKIP LOCKED, SQLite runs one conditional UPDATE under its write lock, the in-memory
        store skips rows another open transaction claimed. The claim commits with the unit of work."""
