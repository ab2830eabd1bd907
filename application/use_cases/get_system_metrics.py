"""Admin: how the outside services and the caches of this process are doing, and how many jobs failed."""

from __future__ import annotations

from dataclasses import dataclass, field

from application.authorization import require_admin
from application.caching_mailbox import MailCacheStats
from application.ports.cache import Cache, CacheStats
from application.ports.circuit_breaker import CircuitBreakers, CircuitStats
from application.ports.clock import Clock
from application.ports.job_queue import JobQueue
from application.ports.unit_of_work import UnitOfWork
from domain.errors import InfrastructureError
from domain.identity import Principal


@dataclass(frozen=True)
class GetSystemMetricsInput:
    principal: Principal


@dataclass(frozen=True)
class SystemMetrics:
    circuits: list[CircuitStats]
    cache: CacheStats  # every lookup this process made in the shared cache (sessions, API keys, mail)
    mail_cache: dict[str, CacheStats] = field(default_factory=dict)  # mail reads by kind: labels, message
    failed_jobs: int | None = None  # None: the job queue could not be asked
    failed_jobs_error: str | None = None
    audit: AuditSealing | None = None


@dataclass(frozen=True)
class AuditSealing:
    """The audit sealer's progress: the newest sealed entry and what still waits for it."""

    head_seq: int
    unsealed: int
    lag_seconds: float  # age of the oldest unsealed entry (0 when none)


class GetSystemMetrics:
    def __init__(
        self,
        breakers: CircuitBreakers,
        cache: Cache,
        jobs: JobQueue,
        mail_cache: MailCacheStats | None = None,
        *,
        uow: UnitOfWork | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.breakers, self.cache, self.jobs, self.mail_cache = breakers, cache, jobs, mail_cache
        self.uow, self.clock = uow, clock

    def execute(self, inp: GetSystemMetricsInput) -> SystemMetrics:
        require_admin(inp.principal)
        failed: int | None = None
        failed_error: str | None = None
        try:
            failed = len(self.jobs.failed())
        except InfrastructureError as exc:  # metrics must still show the rest when Redis is down
            failed_error = exc.message
        return SystemMetrics(
            circuits=self.breakers.stats(),
            cache=self.cache.stats(),
            mail_cache=self.mail_cache.snapshot() if self.mail_cache is not None else {},
            failed_jobs=failed,
            failed_jobs_error=failed_error,
            audit=self._audit(),
        )

    def _audit(self) -> AuditSealing | None:
        if self.uow is None or self.clock is None:
            return None
        with self.uow as uow:
            head, backlog = uow.audit.head(), uow.audit.backlog()
        lag = (self.clock.now() - backlog.oldest_at).total_seconds() if backlog.oldest_at else 0.0
        return AuditSealing(head_seq=head.seq, unsealed=backlog.count, lag_seconds=max(0.0, lag))
