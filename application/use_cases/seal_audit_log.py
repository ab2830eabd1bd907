"""The audit log's sealer: integrate committed entries into the hash chain, in order, in batches.

Requests only insert their entries; this runs shortly after (a periodic job: every second in-process in the
embedded default, on the workers in production), one sealer at a time per installation. Each batch is one
transaction: take the sealer's lock, read the head and the oldest unsealed entries, chain them, store them and the
new head. The new head is returned (and logged by the job) so it can be kept outside the database."""

from __future__ import annotations

from dataclasses import dataclass

from application.ports.clock import Clock
from application.ports.unit_of_work import UnitOfWork
from domain.audit import AuditHead, seal_batch


@dataclass(frozen=True)
class SealReport:
    sealed: int  # entries sealed by this run
    head: AuditHead  # the newest sealed entry afterwards
    backlog: int  # committed entries still unsealed after this run
    lag_seconds: float  # age of the oldest of them (0 when none)
    skipped: bool = False  # another sealer held the lock; it seals what this run would have


class SealAuditLog:
    def __init__(self, uow: UnitOfWork, clock: Clock, *, batch_size: int = 2000, max_batches: int = 50) -> None:
        self.uow, self.clock = uow, clock
        self.batch_size, self.max_batches = batch_size, max_batches

    def execute(self) -> SealReport:
        sealed = 0
        head: AuditHead | None = None
        skipped = False
        for _ in range(self.max_batches):
            with self.uow as uow:
                if not uow.audit.lock_for_sealing():
                    skipped = True
                    break
                head = uow.audit.head()
                pending = list(uow.audit.unsealed(limit=self.batch_size))
                if not pending:
                    break
                done, head = seal_batch(pending, head)
                uow.audit.record_seals(done, head, at=self.clock.now())
                uow.commit()
                sealed += len(done)
            if len(pending) < self.batch_size:
                break
        return self._report(sealed, head, skipped=skipped)

    def _report(self, sealed: int, head: AuditHead | None, *, skipped: bool = False) -> SealReport:
        with self.uow as uow:
            backlog = uow.audit.backlog()
            head = head or uow.audit.head()
        lag = (self.clock.now() - backlog.oldest_at).total_seconds() if backlog.oldest_at else 0.0
        return SealReport(sealed, head, backlog.count, max(0.0, lag), skipped)
