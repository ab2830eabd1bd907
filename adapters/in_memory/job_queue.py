"""InProcessJobQueue: worker threads plus a scheduler loop inside one process, the embedded JobQueue."""

from __future__ import annotations

import heapq
import logging
import os
import random
import socket
import threading
import time
import uuid
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from application.ports.clock import Clock
from application.ports.job_queue import (
    LANES,
    SINGLE_ATTEMPT,
    FailedJob,
    JobPayload,
    JobQueue,
    JobRegistry,
    JsonScalar,
    QueueStatus,
    RetryPolicy,
    WorkerStatus,
    check_job,
    delays,
    failure_text,
)
from domain.errors import NotFound

logger = logging.getLogger(__name__)

SCHEDULED, READY, RUNNING, FINISHED, FAILED = "scheduled", "ready", "running", "finished", "failed"
PENDING = frozenset({SCHEDULED, READY, RUNNING})


@dataclass
class _Job:
    id: str
    name: str
    payload: JobPayload
    waits: list[float]  # the retry policy's delays, drawn once at enqueue time (as the RQ adapter does)
    attempts_allowed: int
    state: str
    run_at: datetime
    ticket: int  # which heap/ready entry is current; stale entries (cancelled, rescheduled) are skipped
    attempts: int = 0
    coalesce: str | None = None  # the registry's coalesce key, if copies of this job coalesce
    error: str = ""
    failed_at: datetime | None = None
    finished_at: datetime | None = field(default=None, repr=False)


class InProcessJobQueue(JobQueue):
    """Jobs live in this process only: they are lost when it exits (the embedded profile accepts that; durable
    work such as scheduled sends keeps its own state in the database). `start()` runs `workers` threads and a
    scheduler loop that promotes delayed jobs when `clock` reaches their time; with a test clock, moving the
    clock is what makes delayed jobs and retries due (the loop polls every `poll_seconds`)."""

    def __init__(
        self,
        registry: JobRegistry,
        clock: Clock,
        *,
        workers: int = 2,
        rng: random.Random | None = None,
        keep_finished_seconds: float = 86_400,
        poll_seconds: float = 0.05,
    ) -> None:
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self._registry = registry
        self._clock = clock
        self._workers = workers
        self._rng = rng or random.Random()
        self._keep_finished = timedelta(seconds=keep_finished_seconds)
        self._poll = poll_seconds
        self._cond = threading.Condition()
        self._jobs: dict[str, _Job] = {}
        self._delayed: list[tuple[datetime, int, str]] = []  # heap of (run_at, ticket, job id)
        # One ready line per lane, taken in LANES order: periodic sweeps never wait behind a burst.
        self._ready: dict[str, deque[tuple[int, str]]] = {lane: deque() for lane in LANES}
        self._finished: deque[tuple[datetime, str]] = deque()
        self._waiting_copy: dict[str, str] = {}  # coalesce key -> id of the copy that waits to start
        self._pending = 0
        self._tickets = 0
        self._threads: list[threading.Thread] = []
        self._stopping = False
        self._started_at: datetime | None = None
        self._done = self._failed_count = 0

    # -- lifecycle -------------------------------------------------------------------------------------------

    def start(self) -> None:
        with self._cond:
            if self._threads:
                return
            self._stopping = False
            self._started_at = self._clock.now()
            self._threads = [threading.Thread(target=self._schedule_loop, name="jobs-scheduler", daemon=True)]
            self._threads += [
                threading.Thread(target=self._work_loop, name=f"jobs-worker-{n}", daemon=True)
                for n in range(self._workers)
            ]
        for thread in self._threads:
            thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop taking jobs and wait (up to `timeout`) for running ones; pending jobs stay queued."""
        with self._cond:
            self._stopping = True
            threads, self._threads = self._threads, []
            self._cond.notify_all()
        deadline = time.monotonic() + timeout
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    def run_until_idle(self, timeout: float = 5.0) -> bool:
        """Wait until no job is waiting, delayed, retrying or running. False if `timeout` (real seconds) passed
        first, e.g. because a delayed job's time has not come on the clock."""
        deadline = time.monotonic() + timeout
        with self._cond:
            if not self._threads:
                raise RuntimeError("start() the job queue before waiting for it")
            while self._pending:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(min(remaining, self._poll))
            return True

    def run_until_nothing_due(self, timeout: float = 60.0) -> bool:
        """Wait until no job is waiting, running or due on the clock; jobs (and retries) due later are left
        alone (`mailagent worker --burst`). False if `timeout` (real seconds) passed first."""
        deadline = time.monotonic() + timeout
        with self._cond:
            if not self._threads:
                raise RuntimeError("start() the job queue before waiting for it")
            while True:
                now = self._clock.now()
                busy = any(
                    job.state in (READY, RUNNING) or (job.state == SCHEDULED and job.run_at <= now)
                    for job in self._jobs.values()
                )
                if not busy:
                    return True
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(min(remaining, self._poll))

    # -- the port --------------------------------------------------------------------------------------------

    def enqueue(
        self,
        name: str,
        payload: Mapping[str, JsonScalar],
        *,
        job_id: str | None = None,
        at: datetime | None = None,
        retry: RetryPolicy | None = None,
    ) -> str:
        clean = check_job(self._registry, name, payload, job_id, at)
        policy = retry or SINGLE_ATTEMPT
        with self._cond:
            now = self._clock.now()
            self._forget_finished(now)
            if job_id is not None and job_id in self._jobs:
                return job_id
            key = self._registry.coalesce_key(name, clean)
            due = at if at is not None and at > now else now
            if key is not None:
                waiting = self._jobs.get(self._waiting_copy.get(key, ""))
                if waiting is not None and waiting.state in (READY, SCHEDULED) and waiting.run_at <= due:
                    return waiting.id
            new_id = job_id or uuid.uuid4().hex
            job = _Job(
                id=new_id,
                name=name,
                payload=clean,
                waits=delays(policy, self._rng),
                attempts_allowed=policy.max_attempts,
                state=READY,
                run_at=now,
                ticket=0,
                coalesce=key,
            )
            self._jobs[new_id] = job
            if key is not None:
                self._waiting_copy[key] = new_id
            self._pending += 1
            self._put(job, at if at is not None and at > now else None)
            return new_id

    def cancel(self, job_id: str) -> bool:
        with self._cond:
            job = self._jobs.get(job_id)
            if job is None or job.state not in (SCHEDULED, READY):
                return False
            del self._jobs[job_id]  # its heap/ready entry is now stale and is skipped
            self._no_longer_waiting(job)
            self._pending -= 1
            self._cond.notify_all()
            return True

    def depth(self) -> dict[str, int]:
        """Jobs by state, for the queue-depth gauge."""
        with self._cond:
            states = [job.state for job in self._jobs.values()]
        names = {READY: "queued", SCHEDULED: "scheduled", RUNNING: "running", FAILED: "failed"}
        return {name: states.count(state) for state, name in names.items()}

    def failed(self) -> list[FailedJob]:
        with self._cond:
            failed = [
                FailedJob(job.id, job.name, dict(job.payload), job.error, job.attempts, job.failed_at)
                for job in self._jobs.values()
                if job.state == FAILED and job.failed_at is not None
            ]
        return sorted(failed, key=lambda f: (f.failed_at, f.id))

    def requeue(self, job_id: str) -> None:
        with self._cond:
            job = self._jobs.get(job_id)
            if job is None or job.state != FAILED:
                raise NotFound(f"No failed job has the id {job_id!r}.")
            job.attempts_allowed = job.attempts + 1
            job.error, job.failed_at = "", None
            self._pending += 1
            self._put(job, None)

    def status(self) -> QueueStatus:
        """This process is the only worker: its threads run every job while it is started."""
        with self._cond:
            states = [job.state for job in self._jobs.values()]
            waiting = dict.fromkeys(LANES, 0)
            for job in self._jobs.values():
                if job.state == READY:
                    waiting[self._registry.lane(job.name)] += 1
            workers: tuple[WorkerStatus, ...] = ()
            if self._threads and self._started_at is not None:
                workers = (
                    WorkerStatus(
                        id=f"{socket.gethostname()[:40]}:{os.getpid()}:in-process",
                        host=socket.gethostname(),
                        pid=os.getpid(),
                        started_at=self._started_at,
                        last_seen_at=self._clock.now(),
                        state="busy" if RUNNING in states else "idle",
                        jobs_done=self._done,
                        jobs_failed=self._failed_count,
                        scheduler=True,
                    ),
                )
        return QueueStatus(
            workers=workers,
            scheduler=workers[0].id if workers else None,
            depths={
                **waiting,
                "delayed": states.count(SCHEDULED),
                "running": states.count(RUNNING),
                "failed": states.count(FAILED),
            },
            in_process=True,
        )

    # -- internals (call with self._cond held) ---------------------------------------------------------------

    def _put(self, job: _Job, at: datetime | None) -> None:
        self._tickets += 1
        job.ticket = self._tickets
        if at is None:
            job.state, job.run_at = READY, self._clock.now()
            self._ready[self._registry.lane(job.name)].append((job.ticket, job.id))
        else:
            job.state, job.run_at = SCHEDULED, at
            heapq.heappush(self._delayed, (at, job.ticket, job.id))
        self._cond.notify_all()

    def _no_longer_waiting(self, job: _Job) -> None:
        # A started (or cancelled) copy no longer absorbs new requests: the next enqueue adds a fresh copy.
        if job.coalesce is not None and self._waiting_copy.get(job.coalesce) == job.id:
            del self._waiting_copy[job.coalesce]

    def _current(self, ticket: int, job_id: str, state: str) -> _Job | None:
        job = self._jobs.get(job_id)
        return job if job is not None and job.ticket == ticket and job.state == state else None

    def _forget_finished(self, now: datetime) -> None:
        while self._finished and now - self._finished[0][0] >= self._keep_finished:
            finished_at, job_id = self._finished.popleft()
            job = self._jobs.get(job_id)
            if job is not None and job.state == FINISHED and job.finished_at == finished_at:
                del self._jobs[job_id]

    # -- threads ---------------------------------------------------------------------------------------------

    def _schedule_loop(self) -> None:
        with self._cond:
            while not self._stopping:
                now = self._clock.now()
                while self._delayed and self._delayed[0][0] <= now:
                    _, ticket, job_id = heapq.heappop(self._delayed)
                    job = self._current(ticket, job_id, SCHEDULED)
                    if job is not None:
                        self._put(job, None)
                wait = self._poll
                if self._delayed:
                    wait = min(wait, max(0.0, (self._delayed[0][0] - now).total_seconds()))
                self._cond.wait(wait)

    def _work_loop(self) -> None:
        while True:
            with self._cond:
                job = None
                while job is None:
                    if self._stopping:
                        return
                    line = next((self._ready[lane] for lane in LANES if self._ready[lane]), None)
                    if line is None:
                        self._cond.wait()
                        continue
                    ticket, job_id = line.popleft()
                    job = self._current(ticket, job_id, READY)
                job.state = RUNNING
                job.attempts += 1
                self._no_longer_waiting(job)
                name, payload, attempt = job.name, dict(job.payload), job.attempts
            try:
                self._registry.handler(name)(payload)
            except Exception as exc:
                self._failed_attempt(job, attempt, exc)
            else:
                with self._cond:
                    self._done += 1
                    job.state, job.error = FINISHED, ""
                    job.finished_at = self._clock.now()
                    self._finished.append((job.finished_at, job.id))
                    self._pending -= 1
                    self._cond.notify_all()

    def _failed_attempt(self, job: _Job, attempt: int, exc: Exception) -> None:
        error = failure_text(exc)
        with self._cond:
            job.error = error
            if attempt < job.attempts_allowed:
                wait = job.waits[attempt - 1]
                logger.info(
                    "job %s (%s) attempt %d failed, retrying in %.1fs: %s", job.id, job.name, attempt, wait, error
                )
                self._put(job, self._clock.now() + timedelta(seconds=wait))
                return
            job.state, job.failed_at = FAILED, self._clock.now()
            self._failed_count += 1
            self._pending -= 1
            self._cond.notify_all()
        logger.warning("job %s (%s) failed after %d attempt(s): %s", job.id, job.name, attempt, error, exc_info=exc)
