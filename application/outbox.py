"""OutboxRelay: after a transaction commits, hand its jobs to the JobQueue and its events to the EventBus.

Use cases write `uow.events.append(...)` / `enqueue_after_commit(uow, ...)` inside their transaction and call
`relay.flush()` after `uow.commit()`. Nothing reaches a queue or a client unless it committed; if the process dies
between commit and flush, the periodic `outbox.relay` job picks the rows up (at-least-once: enqueueing is idempotent
by job id, and clients drop an event id they have seen)."""

from __future__ import annotations

import itertools
import logging
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

from application.dependency_health import Outages
from application.ports.clock import Clock
from application.ports.event_bus import EventBus
from application.ports.job_queue import JobQueue, JsonScalar, RetryPolicy
from application.ports.unit_of_work import OutboxJob, UnitOfWork
from domain.errors import InfrastructureError, ValidationFailed
from domain.events import StoredEvent
from domain.identity import new_id

logger = logging.getLogger(__name__)

BATCH = 500
_ROW_COUNTER = itertools.count()
_ROW_COUNTER_LOCK = threading.Lock()


def _outbox_row_id() -> str:
    """32 hex characters that sort in the order this process made them: the outbox is claimed by (created_at,
    id), so jobs recorded in the same instant (one transaction, or a frozen test clock) keep their order."""
    with _ROW_COUNTER_LOCK:
        n = next(_ROW_COUNTER) % 16**10
    return f"{n:010x}{new_id()[:22]}"


def enqueue_after_commit(
    uow: UnitOfWork,
    clock: Clock,
    name: str,
    payload: Mapping[str, JsonScalar],
    *,
    job_id: str | None = None,
    at: datetime | None = None,
    retry: RetryPolicy | None = None,
) -> str:
    """Record a job in the transaction of `uow`; the relay enqueues it once that commits. Returns the job id."""
    job_id = job_id or new_id()
    uow.job_outbox.add(
        OutboxJob(
            id=_outbox_row_id(),
            name=name,
            payload=dict(payload),
            created_at=clock.now(),
            job_id=job_id,
            run_at=at,
            max_attempts=retry.max_attempts if retry else 1,
            base_delay_seconds=retry.base_delay_seconds if retry else 0.0,
            max_delay_seconds=retry.max_delay_seconds if retry else 0.0,
            jitter=retry.jitter if retry else True,
        )
    )
    return job_id


class EventSink(ABC):
    """Work that follows from committed events and must not be lost (webhook deliveries): called by the relay inside
    the transaction that marks the events relayed, so either both commit or the events are relayed again."""

    @abstractmethod
    def accept(self, uow: UnitOfWork, events: Sequence[StoredEvent]) -> int:
        """Record what these events call for in `uow` (jobs through `enqueue_after_commit`); returns how many jobs
        it recorded. Must not commit."""


class OutboxRelay:
    """`outages`, when given, counts a queue, bus or database that cannot be reached (logged once per outage);
    without it such a failure is one warning line per flush."""

    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        jobs: JobQueue,
        bus: EventBus,
        clock: Clock,
        outages: Outages | None = None,
        sinks: Sequence[EventSink] = (),
    ) -> None:
        self._uow_factory, self._jobs, self._bus, self._clock = uow_factory, jobs, bus, clock
        self._outages = outages
        self._sinks = tuple(sinks)

    def flush(self) -> tuple[int, int]:
        """Relay everything committed and not yet relayed; returns (jobs enqueued, events published). Never
        raises: a failure is logged and the rows stay for the next flush."""
        jobs = events = 0
        try:
            jobs = self._relay_jobs()
        except InfrastructureError as exc:
            self._unreachable(exc, "enqueueing committed jobs")
        except Exception:
            logger.exception("outbox: enqueueing committed jobs failed; will retry")
        follow_up = 0
        try:
            events, follow_up = self._relay_events()
        except InfrastructureError as exc:
            self._unreachable(exc, "publishing committed events")
        except Exception:
            logger.exception("outbox: publishing committed events failed; will retry")
        if follow_up:  # jobs the sinks recorded with the events (webhook deliveries): enqueue them now
            try:
                jobs += self._relay_jobs()
            except InfrastructureError as exc:
                self._unreachable(exc, "enqueueing committed jobs")
            except Exception:
                logger.exception("outbox: enqueueing committed jobs failed; will retry")
        return jobs, events

    def _unreachable(self, exc: InfrastructureError, doing: str) -> None:
        # A dependency outage: the rows stay and the next flush (or the periodic relay) takes them.
        if self._outages is not None:
            self._outages.failed(exc.service, exc)
        else:
            logger.warning("outbox: %s failed (%s); will retry", doing, exc.message)

    def _relay_jobs(self) -> int:
        total = 0
        while True:
            with self._uow_factory() as uow:
                batch = uow.job_outbox.claim(limit=BATCH)
                for job in batch:
                    try:
                        retry = (
                            RetryPolicy(job.max_attempts, job.base_delay_seconds, job.max_delay_seconds, job.jitter)
                            if job.max_attempts > 1
                            else None
                        )
                        self._jobs.enqueue(job.name, job.payload, job_id=job.job_id, at=job.run_at, retry=retry)
                    except ValidationFailed as exc:
                        # The queue will never take this one (an unknown name, a bad payload): drop it rather than
                        # block every job behind it forever. Anything else (the queue is down) aborts the batch.
                        logger.error("outbox: dropped job %s (%s): %s", job.job_id, job.name, exc.message)
                uow.commit()
            total += len(batch)
            if len(batch) < BATCH:
                return total

    def _relay_events(self) -> tuple[int, int]:
        total = follow_up = 0
        while True:
            with self._uow_factory() as uow:
                batch = uow.events.claim_unpublished(limit=BATCH, at=self._clock.now())
                if batch:
                    for sink in self._sinks:
                        follow_up += sink.accept(uow, batch)
                for stored in batch:
                    self._bus.publish(stored)
                uow.commit()
            total += len(batch)
            if len(batch) < BATCH:
                return total, follow_up
