"""Admin: how the outside services and the caches of this process are doing, how many jobs failed, and who takes
jobs (live workers, the scheduler role's holder, queue depths)."""

from __future__ import annotations

from dataclasses import dataclass, field

from application.authorization import require_admin
from application.caching_mailbox import MailCacheStats
from application.ports.cache import Cache, CacheStats
from application.ports.circuit_breaker import CircuitBreakers, CircuitStats
from application.ports.clock import Clock
from application.ports.job_queue import JobQueue, QueueStatus
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
    queue: QueueStatus | None = None  # None: the job queue could not be asked (failed_jobs_error says why)


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
        queue: QueueStatus | None = None
        try:
            failed = len(self.jobs.failed())
            queue = self.jobs.status()
        except InfrastructureError as exc:  # metrics must still show the rest when Redis is down
            failed_error = exc.message
        return SystemMetrics(
            circuits=self.breakers.stats(),
            cache=self.cache.stats(),
            mail_cache=self.mail_cache.snapshot() if self.mail_cache is not None else {},
            failed_jobs=failed,
            failed_jobs_error=failed_error,
            audit=self._audit(),
            queue=queue,
        )

    def _audit(self) -> AuditSealing | None:
        if self.uow is None or self.clock is None:
            return None
        with self.uow as uow:
            head, backlog = uow.audit.head(), uow.audit.backlog()
        lag = (self.clock.now() - backlog.oldest_at).total_seconds() if backlog.oldest_at else 0.0
        return AuditSealing(head_seq=head.seq, unsealed=backlog.count, lag_seconds=max(0.0, lag))


def workers_problem(status: QueueStatus) -> str | None:
    """What is wrong with who takes jobs, in one sentence a person acts on; None when nothing is."""
    if status.in_process:
        return None if status.workers else "The in-process job threads are not running: jobs wait."
    waiting = sum(n for lane, n in status.depths.items() if lane not in ("running", "failed"))
    if not status.workers:
        return (
            f"No worker is running: {waiting} job(s) wait and nothing runs them until a `mailagent worker` "
            "process starts."
        )
    if status.scheduler is None:
        return (
            f"{len(status.workers)} worker(s) live, but none holds the scheduler role: delayed jobs (send times, "
            "retries) wait until one takes it (within 15 s of the last holder's end)."
        )
    return None


def workers_summary(status: QueueStatus) -> str:
    """Who takes jobs, in one sentence: the problem if there is one, else the live workers and the scheduler."""
    problem = workers_problem(status)
    if problem is not None:
        return problem
    if status.in_process:
        return "Jobs run in this server process (the embedded default)."
    waiting_for = sorted({d for w in status.workers for d in w.down})
    held = f"; {status.scheduler} holds the scheduler role"
    stalled = f"; waiting for {', '.join(waiting_for)}" if waiting_for else ""
    return f"{len(status.workers)} worker(s) live{held}{stalled}."
