"""InMemoryScheduledEmailRepository: scheduled sends in the in-memory unit of work (same semantics as SQL)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from application.ports.scheduled_emails import ScheduledEmailRepository
from domain.errors import Conflict
from domain.scheduled_email import ScheduledEmail, ScheduledStatus

if TYPE_CHECKING:
    from adapters.in_memory.unit_of_work import _Tx

TABLE = "scheduled_emails"


class InMemoryScheduledEmailRepository(ScheduledEmailRepository):
    """Rows written or claimed by an open transaction are locked (`store.locked`) until it ends: other claimers
    skip them (SKIP LOCKED) and other writers get Conflict; every write is compare-and-set on the version the
    transaction first saw, re-checked at commit."""

    def __init__(self, tx: _Tx) -> None:
        self.tx = tx

    def _lock(self, email_id: str) -> bool:
        """Take the row lock for this transaction; False if another open transaction holds it."""
        key = (TABLE, email_id)
        store = self.tx.store
        with store.lock:
            if email_id in self.tx.claimed_scheduled:
                return True
            if key in store.locked:
                return False
            store.locked.add(key)
        self.tx.claimed_scheduled.append(email_id)
        return True

    def _guard(self, email_id: str, base_version: int | None) -> None:
        """Re-check at commit that nobody committed a change to the row since this transaction first saw it."""
        if email_id in self.tx.scheduled_base:
            return
        self.tx.scheduled_base[email_id] = base_version
        store = self.tx.store

        def unchanged() -> bool:
            current = store.scheduled_emails.get(email_id)
            return (current.version if current else None) == base_version

        self.tx.checks.append(unchanged)

    def add(self, email: ScheduledEmail) -> None:
        if self.get(email.id) is not None:
            raise Conflict("A scheduled email with this id exists already.")
        if not self._lock(email.id):
            raise Conflict("A scheduled email with this id is being written.")
        self._guard(email.id, None)
        self.tx.put(TABLE, email.id, email)

    def get(self, email_id: str) -> ScheduledEmail | None:
        found: ScheduledEmail | None = self.tx.get(TABLE, email_id)
        return found

    def list_for_user(
        self,
        user_id: str,
        *,
        statuses: Collection[ScheduledStatus] | None = None,
        offset: int = 0,
        limit: int = 50,
    ) -> tuple[Sequence[ScheduledEmail], int]:
        wanted = set(statuses) if statuses else None
        found = sorted(
            (e for e in self.tx.values(TABLE) if e.user_id == user_id and (wanted is None or e.status in wanted)),
            key=lambda e: (e.send_at, e.id),
        )
        return found[offset : offset + limit], len(found)

    def update(self, email: ScheduledEmail, *, expected_version: int) -> None:
        if not self._lock(email.id):
            raise Conflict("This scheduled email is being changed right now; try again.")
        current = self.get(email.id)
        if current is None or current.version != expected_version:
            raise Conflict("This scheduled email was changed meanwhile; load it again.")
        self._guard(email.id, expected_version)
        self.tx.put(TABLE, email.id, email)

    def claim_due(self, *, now: datetime, lease_seconds: float, owner: str, limit: int) -> Sequence[ScheduledEmail]:
        lease = timedelta(seconds=lease_seconds)
        claimed: list[ScheduledEmail] = []
        candidates = sorted(
            (e for e in self.tx.values(TABLE) if e.is_due(now) or e.lease_expired(now)),
            key=lambda e: (e.due_at if e.status is ScheduledStatus.SCHEDULED else e.lease_expires_at or now, e.id),
        )
        for email in candidates:
            if len(claimed) >= limit:
                break
            if not self._lock(email.id):
                continue  # another open transaction holds it: skip, like SKIP LOCKED
            fresh = self.get(email.id)  # with the lock held, what was committed meanwhile is final
            if fresh is None or not (fresh.is_due(now) or fresh.lease_expired(now)):
                continue
            self._guard(fresh.id, fresh.version)
            taken = fresh.claim(owner, now, lease)
            self.tx.put(TABLE, email.id, taken)
            claimed.append(taken)
        return claimed
