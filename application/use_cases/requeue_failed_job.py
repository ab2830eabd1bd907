"""Admin: run a failed background job once more, now (audited)."""

from __future__ import annotations

from dataclasses import dataclass

from application.authorization import require_admin
from application.ports.clock import Clock
from application.ports.job_queue import FailedJob, JobQueue
from application.ports.unit_of_work import UnitOfWork
from domain.audit import AuditAction, AuditContext, AuditDraft
from domain.errors import NotFound
from domain.identity import Principal


@dataclass(frozen=True)
class RequeueFailedJobInput:
    principal: Principal
    job_id: str
    context: AuditContext = AuditContext()


class RequeueFailedJob:
    def __init__(self, jobs: JobQueue, uow: UnitOfWork, clock: Clock) -> None:
        self.jobs, self.uow, self.clock = jobs, uow, clock

    def execute(self, inp: RequeueFailedJobInput) -> FailedJob:
        """The job as it was when it failed. NotFound when no failed job has that id (unknown, or already
        requeued)."""
        require_admin(inp.principal)
        job = next((j for j in self.jobs.failed() if j.id == inp.job_id), None)
        if job is None:
            raise NotFound(f"No failed job has the id {inp.job_id!r}.")
        self.jobs.requeue(job.id)
        with self.uow as uow:
            uow.audit.append(
                AuditDraft(
                    AuditAction.JOB_REQUEUED,
                    actor_id=inp.principal.user_id,
                    target=f"job:{job.id}",
                    context=inp.context,
                    details={"name": job.name, "attempts": job.attempts, "error": job.error},
                ),
                at=self.clock.now(),
            )
            uow.commit()
        return job
