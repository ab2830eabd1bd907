"""What the scheduled-send use cases share: the delivery policy, job names and ids, and ownership checks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from application.ports.job_queue import RetryPolicy
from application.ports.unit_of_work import UnitOfWork
from domain.errors import NotFound
from domain.scheduled_email import ScheduledEmail

SEND_JOB = "scheduled.send"
DISPATCH_JOB = "scheduled.dispatch"


@dataclass(frozen=True)
class DeliveryPolicy:
    """`lease_seconds` must exceed the longest send (a worker that holds a row longer may lose it to another);
    a send that fails for a passing reason is tried again after retry_base_seconds * 2**(attempt-1), capped at
    retry_max_seconds, until max_attempts claims have been made; then the email is `failed`."""

    lease_seconds: float = 300.0
    max_attempts: int = 5
    retry_base_seconds: float = 30.0
    retry_max_seconds: float = 900.0
    dispatch_batch: int = 200
    # The dispatcher leaves a due row to its own delayed job for this long: it only takes rows that job should
    # have taken by now (lost job, crashed worker), so the two do not race for every row of a busy minute.
    dispatch_grace_seconds: float = 30.0
    # The job itself (not the send) is retried for failures before it holds the row, e.g. the database is down.
    job_retry: RetryPolicy = RetryPolicy(max_attempts=3, base_delay_seconds=2.0, max_delay_seconds=30.0)

    @property
    def lease(self) -> timedelta:
        return timedelta(seconds=self.lease_seconds)

    def backoff(self, attempts: int) -> timedelta:
        seconds = self.retry_base_seconds * 2 ** max(0, attempts - 1)
        return timedelta(seconds=min(seconds, self.retry_max_seconds))


def send_job_id(email: ScheduledEmail) -> str:
    """One job id per version of a row: a job finds its row unchanged or knows it was superseded."""
    return f"sched-{email.id}-{email.version}"


def send_job_payload(email: ScheduledEmail) -> dict[str, str | int | float | bool | None]:
    return {"id": email.id, "version": email.version}


def owned(uow: UnitOfWork, user_id: str, email_id: str) -> ScheduledEmail:
    """The user's scheduled email; someone else's id is simply not found."""
    email = uow.scheduled_emails.get(email_id)
    if email is None or email.user_id != user_id:
        raise NotFound("No scheduled email with that id.")
    return email
