"""Send what is due: claim due rows (and rows whose lease expired after a crash) in batches under a lease, and send
each batch with a bounded pool. Runs on a wake-up at a send time and periodically as the safety net."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta

from application.outbox import OutboxRelay
from application.ports.clock import Clock
from application.ports.job_queue import JobQueue
from application.ports.unit_of_work import UnitOfWork
from application.use_cases.scheduled.common import DISPATCH_JOB, DeliveryPolicy, help_job_id
from application.use_cases.scheduled.send_scheduled_email import Checkpoint, SendScheduledEmail
from domain.errors import DomainError, InfrastructureError
from domain.scheduled_email import ScheduledEmail

RELAY_EVERY = timedelta(seconds=0.5)  # during a burst: live clients hear of sends within about this


@dataclass(frozen=True)
class DispatchDueScheduledEmailsInput:
    owner: str  # who claims (worker host/pid), kept on the rows for operators
    checkpoint: Checkpoint | None = None  # called between steps (crash tests hook in here)


class DispatchDueScheduledEmails:
    """`sender` makes one SendScheduledEmail per call (each pool thread needs its own unit of work). `jobs`, when
    given, is asked to start another dispatcher whenever a batch comes back full, so the other workers join in."""

    def __init__(
        self,
        uow: UnitOfWork,
        clock: Clock,
        relay: OutboxRelay,
        policy: DeliveryPolicy,
        sender: Callable[[], SendScheduledEmail],
        jobs: JobQueue | None = None,
    ) -> None:
        self.uow, self.clock, self.relay, self.policy = uow, clock, relay, policy
        self.sender, self.jobs = sender, jobs

    def execute(self, inp: DispatchDueScheduledEmailsInput) -> int:
        """Returns how many rows were claimed. What the batches committed (events, the follow-up sync) is relayed
        at most every RELAY_EVERY during a burst and once at the end, not after every batch: each relay is a few
        transactions of its own, and a batch of sends takes only tens of milliseconds."""
        step = inp.checkpoint or (lambda _step, _detail: None)
        batch = max(1, self.policy.dispatch_batch)
        total = 0
        relayed_at = self.clock.now()
        with ThreadPoolExecutor(max_workers=max(1, self.policy.send_concurrency), thread_name_prefix="send") as pool:
            while True:
                with self.uow as uow:
                    claimed = uow.scheduled_emails.claim_due(
                        now=self.clock.now(), lease_seconds=self.policy.lease_seconds, owner=inp.owner, limit=batch
                    )
                    uow.commit()
                if claimed:
                    total += len(claimed)
                    step("claimed", ",".join(e.id for e in claimed))
                    if len(claimed) == batch:
                        self._ask_for_help()
                    self._send_all(pool, claimed, inp.checkpoint)
                last = len(claimed) < batch
                if total and (last or self.clock.now() - relayed_at >= RELAY_EVERY):
                    self.relay.flush()
                    relayed_at = self.clock.now()
                if last:
                    return total

    def _send_all(
        self, pool: ThreadPoolExecutor, claimed: Sequence[ScheduledEmail], checkpoint: Checkpoint | None
    ) -> None:
        """The sends run on the pool; the checks before them and the marks after them are one transaction each
        for the whole batch (SendScheduledEmail.deliver_batch)."""
        concurrent = self.policy.send_concurrency > 1
        self.sender().deliver_batch(claimed, checkpoint, pool if concurrent else None)

    def _ask_for_help(self) -> None:
        if self.jobs is None:
            return
        job_id = help_job_id(self.policy, int(self.clock.now().timestamp()))
        with contextlib.suppress(DomainError, InfrastructureError):  # if the queue is down, this one goes on alone
            self.jobs.enqueue(DISPATCH_JOB, {}, job_id=job_id)
