"""Response shapes of the operations part of the admin API: failed jobs and runtime metrics."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from application.ports.cache import CacheStats
from application.ports.circuit_breaker import CircuitStats
from application.ports.job_queue import FailedJob, JsonScalar, QueueStatus, WorkerStatus
from application.use_cases.get_system_metrics import SystemMetrics, workers_problem, workers_summary


class FailedJobOut(BaseModel):
    id: str
    name: str
    payload: dict[str, JsonScalar]
    error: str = Field(description="One line: the exception type and message, secrets scrubbed")
    attempts: int
    failed_at: datetime

    @classmethod
    def of(cls, job: FailedJob) -> FailedJobOut:
        return cls(
            id=job.id,
            name=job.name,
            payload=dict(job.payload),
            error=job.error,
            attempts=job.attempts,
            failed_at=job.failed_at,
        )


class RequeuedOut(BaseModel):
    id: str
    name: str
    requeued: bool = True


class CircuitOut(BaseModel):
    service: str
    state: str = Field(description="closed, open or half_open")
    consecutive_failures: int
    failures: int
    successes: int
    ignored_errors: int = Field(description="Errors that say nothing about the service's health (e.g. not found)")
    rejections: int = Field(description="Calls refused without trying while the circuit was open")
    state_changes: int
    opened_at: datetime | None
    retry_after_seconds: int | None

    @classmethod
    def of(cls, c: CircuitStats) -> CircuitOut:
        return cls(
            service=c.service,
            state=c.state.value,
            consecutive_failures=c.consecutive_failures,
            failures=c.failures,
            successes=c.successes,
            ignored_errors=c.ignored_errors,
            rejections=c.rejections,
            state_changes=c.state_changes,
            opened_at=c.opened_at,
            retry_after_seconds=c.retry_after_seconds,
        )


class CacheStatsOut(BaseModel):
    hits: int
    misses: int

    @classmethod
    def of(cls, s: CacheStats) -> CacheStatsOut:
        return cls(hits=s.hits, misses=s.misses)


class WorkerOut(BaseModel):
    id: str
    host: str
    pid: int
    state: str = Field(description="idle, busy, waiting (for a dependency that is down) or stopping")
    scheduler: bool = Field(description="It holds the scheduler role (moves delayed jobs onto the queues when due)")
    started_at: datetime
    last_seen_at: datetime = Field(description="Its last heartbeat")
    jobs_done: int
    jobs_failed: int
    down: list[str] = Field(description="Dependencies it is waiting for right now")
    outages: dict[str, int] = Field(description="Outages it has waited out, per dependency")

    @classmethod
    def of(cls, w: WorkerStatus) -> WorkerOut:
        return cls(
            id=w.id,
            host=w.host,
            pid=w.pid,
            state=w.state,
            scheduler=w.scheduler,
            started_at=w.started_at,
            last_seen_at=w.last_seen_at,
            jobs_done=w.jobs_done,
            jobs_failed=w.jobs_failed,
            down=list(w.down),
            outages=dict(w.outages),
        )


class JobsMetricsOut(BaseModel):
    failed: int | None = Field(description="Jobs in the failed list; null when the queue cannot be asked")
    error: str | None = None
    workers: list[WorkerOut] | None = Field(None, description="The live workers; null when the queue cannot be asked")
    scheduler: str | None = Field(None, description="The worker holding the scheduler role; null: nobody")
    depths: dict[str, int] | None = Field(
        None, description="Jobs per lane waiting, and 'delayed', 'running', 'failed'; null when unknown"
    )
    in_process: bool = Field(False, description="Jobs run inside the serving process (the embedded default)")
    summary: str | None = Field(None, description="Who takes jobs, in one sentence; says so plainly when nobody does")
    problem: bool = Field(False, description="True when the summary describes something to fix (no worker...)")

    @classmethod
    def of(cls, failed: int | None, error: str | None, queue: QueueStatus | None) -> JobsMetricsOut:
        if queue is None:
            return cls(failed=failed, error=error)
        return cls(
            failed=failed,
            error=error,
            workers=[WorkerOut.of(w) for w in queue.workers],
            scheduler=queue.scheduler,
            depths=dict(queue.depths),
            in_process=queue.in_process,
            summary=workers_summary(queue),
            problem=workers_problem(queue) is not None,
        )


class AuditSealingOut(BaseModel):
    head_seq: int = Field(description="The newest audit entry sealed into the hash chain")
    unsealed: int = Field(description="Entries written but not sealed yet")
    lag_seconds: float = Field(description="Age of the oldest unsealed entry; 0 when every entry is sealed")


class MetricsOut(BaseModel):
    circuits: list[CircuitOut] = Field(description="One per outside service this process has called")
    cache: CacheStatsOut = Field(description="Every lookup this process made in the cache")
    mail_cache: dict[str, CacheStatsOut] = Field(description="Mail reads served by the cache, by kind")
    jobs: JobsMetricsOut
    audit: AuditSealingOut | None = Field(None, description="The audit log's sealer: how far behind it is")

    @classmethod
    def of(cls, m: SystemMetrics) -> MetricsOut:
        return cls(
            circuits=[CircuitOut.of(c) for c in m.circuits],
            cache=CacheStatsOut.of(m.cache),
            mail_cache={kind: CacheStatsOut.of(s) for kind, s in m.mail_cache.items()},
            jobs=JobsMetricsOut.of(m.failed_jobs, m.failed_jobs_error, m.queue),
            audit=AuditSealingOut(head_seq=m.audit.head_seq, unsealed=m.audit.unsealed, lag_seconds=m.audit.lag_seconds)
            if m.audit
            else None,
        )
