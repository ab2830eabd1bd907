"""The safety net behind the per-email delayed jobs: claim every due row (and rows whose lease expired after a
crash) and enqueue one send job per claim, in the claiming transaction."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from application.outbox import OutboxRelay, enqueue_after_commit
from application.ports.clock import Clock
from application.ports.unit_of_work import UnitOfWork
from application.use_cases.scheduled.common import (
    SEND_JOB,
    DeliveryPolicy,
    send_job_id,
    send_job_payload,
)


@dataclass(frozen=True)
class DispatchDueScheduledEmailsInput:
    owner: str  # who claims (worker host/pid), kept on the rows for operators
    checkpoint: Callable[[str], None] | None = None  # called between steps (crash tests hook in here)


class DispatchDueScheduledEmails:
    def __init__(self, uow: UnitOfWork, clock: Clock, relay: OutboxRelay, policy: DeliveryPolicy) -> None:
        self.uow, self.clock, self.relay, self.policy = uow, clock, relay, policy

    def execute(self, inp: DispatchDueScheduledEmailsInput) -> int:
        """Returns how many rows were claimed."""
        step = inp.checkpoint or (lambda _: None)
        total = 0
        while True:
            with self.uow as uow:
                # "Due" as of grace seconds ago; the lease still ends lease_seconds from now.
                grace = self.policy.dispatch_grace_seconds
                claimed = uow.scheduled_emails.claim_due(
                    now=self.clock.now() - timedelta(seconds=grace),
                    lease_seconds=self.policy.lease_seconds + grace,
                    owner=inp.owner,
                    limit=self.policy.dispatch_batch,
                )
                for email in claimed:
                    enqueue_after_commit(
                        uow,
                        self.clock,
                        SEND_JOB,
                        send_job_payload(email),
                        job_id=send_job_id(email),
                        retry=self.policy.job_retry,
                    )
                uow.commit()
            total += len(claimed)
            if claimed:
                step("dispatch_claimed")
            self.relay.flush()
            if len(claimed) < self.policy.dispatch_batch:
                return total
