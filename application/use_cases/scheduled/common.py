"""What the scheduled-send use cases share: the delivery policy, job names and ids, wake-ups, ownership checks.

How a scheduled email goes out (docs/adr/0013-scheduled-sends-in-batches-and-workers-that-outlive-outages.md): its
row is the source of truth. When it is scheduled (or moved, or put off after a passing failure) a *wake-up* is
enqueued for its second: a `scheduled.dispatch` job whose id is that second, so a thousand emails due in the same
second share one wake-up. The dispatch claims due rows in batches under a lease and sends each batch with a bounded
pool; the same job runs periodically as the safety net (a lost wake-up, a crashed worker's expired lease)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from application.outbox import enqueue_after_commit
from application.ports.clock import Clock
from application.ports.job_queue import RetryPolicy
from application.ports.unit_of_work import UnitOfWork
from domain.errors import NotFound
from domain.scheduled_email import ScheduledEmail

SEND_JOB = "scheduled.send"  # one row by id and version: what versions before ADR 0013 enqueued; still honoured
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
    dispatch_batch: int = 50  # rows one dispatcher claims at a time; a full batch asks another worker to join
    send_concurrency: int = 4  # sends of one batch in flight at once
    wake_namespace: str = ""  # the installation's queue name: job ids are global to a Redis database
    # The job itself (not the send) is retried for failures before it holds the row, e.g. the database is down.
    job_retry: RetryPolicy = RetryPolicy(max_attempts=3, base_delay_seconds=2.0, max_delay_seconds=30.0)

    @property
    def lease(self) -> timedelta:
        return timedelta(seconds=self.lease_seconds)

    def backoff(self, attempts: int) -> timedelta:
        seconds = self.retry_base_seconds * 2 ** max(0, attempts - 1)
        return timedelta(seconds=min(seconds, self.retry_max_seconds))


def _job_id(kind: str, policy: DeliveryPolicy, second: int) -> str:
    namespace = re.sub(r"[^A-Za-z0-9_-]", "_", policy.wake_namespace)[:40]
    return f"sched-{kind}-{namespace}-{second}" if namespace else f"sched-{kind}-{second}"


def wake_job_id(policy: DeliveryPolicy, second: int) -> str:
    """The wake-up of every row due in `second` (epoch seconds)."""
    return _job_id("wake", policy, second)


def help_job_id(policy: DeliveryPolicy, second: int) -> str:
    """Another dispatcher asked for in `second` because a batch came back full (one request per second)."""
    return _job_id("more", policy, second)


def enqueue_wake_up(uow: UnitOfWork, clock: Clock, policy: DeliveryPolicy, due_at: datetime) -> str:
    """In `uow`'s transaction: wake a dispatcher at `due_at` (or now, if that has passed), to the whole second
    after it. Every row due in one second shares the wake-up; a wake-up that already ran for that second is not
    repeated, and the periodic dispatch picks up whatever it missed."""
    second = math.ceil(max(due_at, clock.now()).timestamp())
    at = datetime.fromtimestamp(second, tz=UTC)
    return enqueue_after_commit(
        uow, clock, DISPATCH_JOB, {}, job_id=wake_job_id(policy, second), at=at, retry=policy.job_retry
    )


def owned(uow: UnitOfWork, user_id: str, email_id: str) -> ScheduledEmail:
    """The user's scheduled email; someone else's id is simply not found."""
    email = uow.scheduled_emails.get(email_id)
    if email is None or email.user_id != user_id:
        raise NotFound("No scheduled email with that id.")
    return email
