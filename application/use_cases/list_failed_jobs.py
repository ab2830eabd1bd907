"""Admin: background jobs that failed their last attempt, newest failure first, paged."""

from __future__ import annotations

from dataclasses import dataclass

from application.authorization import require_admin
from application.ports.job_queue import FailedJob, JobQueue
from domain.identity import Principal


@dataclass(frozen=True)
class ListFailedJobsInput:
    principal: Principal
    offset: int = 0
    limit: int = 50


class ListFailedJobs:
    def __init__(self, jobs: JobQueue) -> None:
        self.jobs = jobs

    def execute(self, inp: ListFailedJobsInput) -> tuple[list[FailedJob], int]:
        """The page and the total. Errors are the queue's one-line, secret-scrubbed summaries."""
        require_admin(inp.principal)
        failed = self.jobs.failed()[::-1]  # the port lists oldest first; an operator wants the latest first
        return failed[inp.offset : inp.offset + inp.limit], len(failed)
