"""RqJobQueue: jobs on Redis through RQ 3, with its scheduler for delays and retries and its failed registry.

Every job is the same RQ function, `adapters.rq.job_queue.run_job(name, payload)`, which looks the name up in
the process's JobRegistry. A worker process must therefore provide that registry before it takes jobs:

- preferred: the worker entrypoint builds the registry (from the container) and calls `make_worker(...)`
  (which calls `install_registry`), then `.work(with_scheduler=True)` (add `burst=True` to drain and exit).
  RQ's forking `Worker` runs each job in a child process that inherits the installed registry.
- the stock CLI works too: `MAILAGENT_JOB_REGISTRY=module:attribute rq worker -w
  adapters.rq.job_queue.RegistryWorker --with-scheduler <queue>`, where the attribute is a JobRegistry or a
  zero-argument callable returning one. RegistryWorker resolves it once before forking; with the default
  worker class `run_job` would import it afresh in every work horse.

At least one worker must run with the scheduler (`with_scheduler=True` / `--with-scheduler`), or delayed jobs
and retries never become due. RQ keeps time in whole seconds: `at` is rounded up to the next second (so a job
never starts early) and a retry waits at least its delay, rounded up to whole seconds, plus up to a second.
"""

from __future__ import annotations

import dataclasses
import importlib
import math
import os
import random
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import redis
from rq import Queue, Retry, SimpleWorker, Worker, get_current_job
from rq.exceptions import DuplicateJobError, InvalidJobOperation, NoSuchJobError
from rq.job import Job, JobStatus
from rq.registry import FailedJobRegistry, ScheduledJobRegistry, StartedJobRegistry
from rq.timeouts import TimerDeathPenalty

from adapters.rq.worker import Heartbeats, scheduler_holder, subscribe_briefly
from application.ports.job_queue import (
    DEFAULT_LANE,
    JOB_ID_PATTERN,
    LANES,
    SINGLE_ATTEMPT,
    FailedJob,
    JobPayload,
    JobQueue,
    JobRegistry,
    JsonScalar,
    QueueStatus,
    RetryPolicy,
    check_job,
    delays,
    failure_text,
    scrub_error_text,
)
from domain.errors import NotFound, ServiceUnavailable

REGISTRY_ENV = "MAILAGENT_JOB_REGISTRY"
DEFAULT_QUEUE = "mailagent"

_registry: JobRegistry | None = None
# Set by the worker supervisor: called when a job fails because a dependency is down (ServiceUnavailable); it waits
# until the dependency answers again and returns True (the job then runs again: jobs are idempotent), or False when
# it gave up waiting (the failure then counts as an attempt, as any other).
_outage_waiter: Callable[[ServiceUnavailable], bool] | None = None
MAX_OUTAGE_WAITS_PER_JOB = 3


def lane_queue_name(queue_name: str, lane: str) -> str:
    """The RQ queue of a lane: the default lane is the queue itself, another lane `<queue>-<lane>`."""
    return queue_name if lane == DEFAULT_LANE else f"{queue_name}-{lane}"


def lane_queue_names(queue_name: str) -> list[str]:
    """Every lane's RQ queue, in the order a worker takes jobs from them (LANES)."""
    return [lane_queue_name(queue_name, lane) for lane in LANES]


def install_registry(registry: JobRegistry) -> None:
    """Make `registry` the one `run_job` uses in this process (and in work horses forked from it)."""
    global _registry
    _registry = registry


def _current_registry() -> JobRegistry:
    global _registry
    if _registry is None:
        target = os.environ.get(REGISTRY_ENV, "")
        module_name, _, attribute = target.partition(":")
        if not module_name or not attribute:
            raise RuntimeError(
                "No job registry in this worker: call adapters.rq.job_queue.install_registry() before working, "
                f"or set {REGISTRY_ENV}=module:attribute."
            )
        found: Any = getattr(importlib.import_module(module_name), attribute)
        registry = found if isinstance(found, JobRegistry) else found()
        if not isinstance(registry, JobRegistry):
            raise RuntimeError(f"{REGISTRY_ENV}={target} is not a JobRegistry nor a callable returning one.")
        _registry = registry
    return _registry


def install_outage_waiter(waiter: Callable[[ServiceUnavailable], bool] | None) -> None:
    global _outage_waiter
    _outage_waiter = waiter


def _run_handler(name: str, payload: JobPayload) -> None:
    waits = 0
    while True:
        try:
            _current_registry().handler(name)(dict(payload))
            return
        except ServiceUnavailable as exc:
            # A database or Redis outage is not this job's fault: wait it out and run the job again, rather than
            # spend its retries (and fill the failed list) while the dependency is down.
            waiter = _outage_waiter
            if waiter is None or waits >= MAX_OUTAGE_WAITS_PER_JOB or not waiter(exc):
                raise
            waits += 1


def run_job(name: str, payload: JobPayload) -> None:
    """The RQ job function: runs the registered handler, counting attempts and keeping a safe error summary
    in the job's meta (RQ's own record keeps the full traceback, for operators only)."""
    job = get_current_job()
    if job is not None:
        job.meta["attempts"] = int(job.meta.get("attempts", 0)) + 1
        job.meta.pop("error", None)
        job.meta.pop("failed_at", None)
        job.save_meta()  # type: ignore[no-untyped-call]
    try:
        _run_handler(name, payload)
    except Exception as exc:
        if job is not None:
            job.meta["error"] = failure_text(exc)
            job.meta["failed_at"] = datetime.now(UTC).isoformat()
            job.save_meta()  # type: ignore[no-untyped-call]
        raise


def queue_depth(redis_client: redis.Redis[bytes], queue_name: str) -> dict[str, int]:
    """Jobs of a queue by state: queued, scheduled (delayed or waiting for a retry), running, failed."""
    queue = Queue(queue_name, connection=redis_client)
    try:
        return {
            "queued": queue.count,
            "scheduled": ScheduledJobRegistry(queue=queue).count,  # type: ignore[no-untyped-call]
            "running": StartedJobRegistry(queue=queue).count,
            "failed": FailedJobRegistry(queue=queue).count,
        }
    except redis.RedisError as exc:
        raise ServiceUnavailable("The job queue (Redis) cannot be reached.", service="redis") from exc


class RegistryWorker(Worker):
    """RQ's forking worker that resolves the job registry once, before forking, so work horses inherit it
    instead of importing it per job: `rq worker -w adapters.rq.job_queue.RegistryWorker --with-scheduler ...`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _current_registry()


def make_worker(
    redis_client: redis.Redis[bytes],
    *,
    registry: JobRegistry,
    queue_names: Sequence[str] = (DEFAULT_QUEUE,),
    worker_class: type[Worker] | type[SimpleWorker] = Worker,
    **worker_options: Any,
) -> Worker | SimpleWorker:
    """A worker for the given queues with `registry` installed; call `.work(with_scheduler=True)` on it."""
    install_registry(registry)
    queues = [Queue(name, connection=redis_client) for name in queue_names]
    return worker_class(queues, connection=redis_client, **worker_options)


class _BurstWorker(SimpleWorker):
    # A timer thread rather than SIGALRM enforces job timeouts, and SIGINT/SIGTERM stay with the host process.
    death_penalty_class = TimerDeathPenalty

    def _install_signal_handlers(self) -> None:
        pass

    def subscribe(self) -> None:
        subscribe_briefly(self)


def _whole_second_after(at: datetime) -> datetime:
    # RQ's scheduled registry scores are whole seconds, truncated; rounding up keeps jobs from starting early.
    at = at.astimezone(UTC)
    return at if at.microsecond == 0 else at.replace(microsecond=0) + timedelta(seconds=1)


def _retry_interval(wait: float) -> int:
    # RQ schedules a retry at the truncated second of now + interval, up to a second early; one more second
    # makes the wait at least the policy's. Zero stays zero: RQ then re-queues at once.
    return math.ceil(wait) + 1 if wait > 0 else 0


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


# Compare-and-set of a coalesce key: point it at the new copy only if it still names the copy we looked at (or
# nothing, when ARGV[1] is empty), so two enqueuers racing cannot both believe theirs is the waiting copy.
_SWAP_COPY = """
local current = redis.call('GET', KEYS[1])
if (current == false and ARGV[1] == '') or current == ARGV[1] then
    redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
    return 1
end
return 0
"""


class RqJobQueue(JobQueue):
    """`redis_client` must return bytes (no decode_responses), as RQ requires. Finished jobs are kept (and their
    ids stay taken) for `keep_finished_seconds`, failed ones for `keep_failed_seconds`. A job running longer than
    `job_timeout_seconds` is stopped and counts as a failed attempt."""

    def __init__(
        self,
        redis_client: redis.Redis[bytes],
        *,
        queue_name: str = DEFAULT_QUEUE,
        registry: JobRegistry,
        rng: random.Random | None = None,
        job_timeout_seconds: int = 600,
        keep_finished_seconds: int = 86_400,
        keep_failed_seconds: int = 30 * 86_400,
    ) -> None:
        self._redis = redis_client
        self._registry = registry
        self._name = queue_name
        self._lanes = {lane: Queue(lane_queue_name(queue_name, lane), connection=redis_client) for lane in LANES}
        self._queue = self._lanes[DEFAULT_LANE]
        self._rng = rng or random.Random()
        self._timeout = job_timeout_seconds
        self._keep_finished = keep_finished_seconds
        self._keep_failed = keep_failed_seconds
        self._swap_copy = redis_client.register_script(_SWAP_COPY)

    @property
    def queue(self) -> Queue:
        return self._queue

    @property
    def queues(self) -> list[Queue]:
        """Every lane's queue, in the order workers take jobs from them."""
        return [self._lanes[lane] for lane in LANES]

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
        waits = delays(retry or SINGLE_ATTEMPT, self._rng)
        options: dict[str, Any] = {
            "args": (name, clean),
            "job_id": job_id,
            "unique": job_id is not None,  # atomic in RQ: DuplicateJobError if the id exists in any state
            "description": name,
            "meta": {"attempts": 0},
            "job_timeout": self._timeout,
            "result_ttl": self._keep_finished,
            "failure_ttl": self._keep_failed,
        }
        if waits:
            options["retry"] = Retry(max=len(waits), interval=[_retry_interval(wait) for wait in waits])
        queue = self._lanes[self._registry.lane(name)]
        now = datetime.now(UTC)
        due = _whole_second_after(at) if at is not None and at > now else None
        key = self._registry.coalesce_key(name, clean)
        copy_key = f"{self._name}:coalesce:{key}" if key is not None else None
        try:
            seen = b""
            if copy_key is not None:
                if job_id is not None and Job.exists(job_id, connection=self._redis):
                    return job_id  # a taken id is a no-op, coalesced or not
                seen = self._redis.get(copy_key) or b""
                if seen and self._waits_no_later(seen.decode(), due):
                    return seen.decode()
            try:
                job = queue.enqueue_at(due, run_job, **options) if due else queue.enqueue(run_job, **options)
            except DuplicateJobError:
                assert job_id is not None
                return job_id
            if copy_key is not None:
                ttl = self._keep_finished + (math.ceil((due - now).total_seconds()) if due else 0)
                if not self._swap_copy(keys=[copy_key], args=[seen, job.id, max(ttl, 1)]):
                    # Another enqueuer put its copy in meanwhile: keep one waiting copy, theirs, if ours is
                    # still ours to withdraw.
                    other = (self._redis.get(copy_key) or b"").decode()
                    if other and other != job.id and self._waits_no_later(other, due) and self.cancel(job.id):
                        return other
        except redis.RedisError as exc:
            raise ServiceUnavailable("The job queue (Redis) cannot be reached.", service="redis") from exc
        return str(job.id)

    def _waits_no_later(self, job_id: str, due: datetime | None) -> bool:
        """The job has not started (no attempt yet) and is queued, or delayed to `due` (None: now) or earlier."""
        try:
            job = Job.fetch(job_id, connection=self._redis)
        except NoSuchJobError:
            return False
        if int(job.meta.get("attempts", 0)) > 0:
            return False
        status = job.get_status(refresh=False)
        if status == JobStatus.QUEUED:
            return True
        if status != JobStatus.SCHEDULED or due is None:
            return False
        try:
            scheduled = ScheduledJobRegistry(job.origin, connection=self._redis).get_scheduled_time(job_id)  # type: ignore[no-untyped-call]
        except NoSuchJobError:
            return False
        return bool(scheduled <= due)

    def cancel(self, job_id: str) -> bool:
        if not JOB_ID_PATTERN.fullmatch(job_id):
            return False
        try:
            job = Job.fetch(job_id, connection=self._redis)
            status = job.get_status(refresh=False)
            # Taking the id off the queue / scheduled set is atomic, so a worker cannot have it as well.
            if status == JobStatus.QUEUED:
                taken = Queue(job.origin, connection=self._redis).remove(job_id)
            elif status == JobStatus.SCHEDULED:
                taken = ScheduledJobRegistry(job.origin, connection=self._redis).remove(job_id)  # type: ignore[no-untyped-call]
            else:
                return False
            if not taken:
                return False
            job.delete(remove_from_queue=False)
            return True
        except NoSuchJobError:
            return False
        except redis.RedisError as exc:
            raise ServiceUnavailable("The job queue (Redis) cannot be reached.", service="redis") from exc

    def failed(self) -> list[FailedJob]:
        try:
            ids = [i for q in self.queues for i in FailedJobRegistry(queue=q).get_job_ids()]
            jobs = Job.fetch_many(ids, connection=self._redis)
            failed = [self._failed_job(job) for job in jobs if job is not None]
        except redis.RedisError as exc:
            raise ServiceUnavailable("The job queue (Redis) cannot be reached.", service="redis") from exc
        return sorted(failed, key=lambda f: (f.failed_at, f.id))

    def requeue(self, job_id: str) -> None:
        if not JOB_ID_PATTERN.fullmatch(job_id):
            raise NotFound(f"No failed job has the id {job_id!r}.")
        try:
            origin = Job.fetch(job_id, connection=self._redis).origin
            if origin not in {q.name for q in self.queues}:
                raise NoSuchJobError(job_id)
            FailedJobRegistry(origin, connection=self._redis).requeue(job_id)
        except (InvalidJobOperation, NoSuchJobError):
            raise NotFound(f"No failed job has the id {job_id!r}.") from None
        except redis.RedisError as exc:
            raise ServiceUnavailable("The job queue (Redis) cannot be reached.", service="redis") from exc

    # -- for workers and tests -------------------------------------------------------------------------------

    def work_burst(self) -> bool:
        """Run every job that is due, in this process and the calling thread (a SimpleWorker in burst mode, with
        a scheduler pass first), then return; True if any job ran. Installs this queue's registry for `run_job`.
        Leaves the caller's signal handlers alone, so it can run in any thread (and under pytest)."""
        install_registry(self._registry)
        worker = _BurstWorker(self.queues, connection=self._redis)
        try:
            return bool(worker.work(burst=True, with_scheduler=True, logging_level="WARNING"))
        finally:
            self._redis.delete(worker.key)  # RQ keeps a dead worker's record for a minute; bursts are many

    def run_until_idle(self, timeout: float = 10.0) -> bool:
        """Keep working in bursts until nothing is queued, delayed, retrying or running. False if `timeout`
        (seconds) passed first."""
        deadline = time.monotonic() + timeout
        while True:
            self.work_burst()
            if self.is_idle():
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.05)

    def work_for(self, seconds: float) -> None:
        """Keep working in bursts for `seconds`, whatever arrives or becomes due meanwhile."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if not self.work_burst():
                time.sleep(min(0.05, max(0.0, deadline - time.monotonic())))

    def depth(self) -> dict[str, int]:
        """Jobs by state, for the queue-depth gauge (four Redis calls)."""
        return queue_depth(self._redis, self._queue.name)

    def is_idle(self) -> bool:
        return all(
            q.count == 0
            and ScheduledJobRegistry(queue=q).count == 0  # type: ignore[no-untyped-call]
            and StartedJobRegistry(queue=q).count == 0
            for q in self.queues
        )

    def status(self) -> QueueStatus:
        try:
            workers = Heartbeats(self._redis, self._name).live()
            depths = {lane: self._lanes[lane].count for lane in LANES}
            depths["delayed"] = sum(ScheduledJobRegistry(queue=q).count for q in self.queues)  # type: ignore[no-untyped-call]
            depths["running"] = sum(StartedJobRegistry(queue=q).count for q in self.queues)
            depths["failed"] = sum(FailedJobRegistry(queue=q).count for q in self.queues)
            holder = scheduler_holder(self._redis, self._name)
        except redis.RedisError as exc:
            raise ServiceUnavailable("The job queue (Redis) cannot be reached.", service="redis") from exc
        # The role is whoever holds the lock now; a heartbeat's own flag can be a beat behind (written before the
        # worker took the role, or before it lost it), so each worker's flag is read from the holder too.
        live = sorted((dataclasses.replace(w, scheduler=w.id == holder) for w in workers), key=lambda w: w.id)
        return QueueStatus(workers=tuple(live), scheduler=holder, depths=depths, in_process=False)

    # -- internals -------------------------------------------------------------------------------------------

    def _failed_job(self, job: Job) -> FailedJob:
        args = list(job.args)
        name = str(args[0]) if args else str(job.func_name)
        payload: JobPayload = dict(args[1]) if len(args) > 1 and isinstance(args[1], dict) else {}
        meta = job.meta
        error = meta.get("error")
        if not error:
            # The last attempt never reached the except clause (worker killed, timeout outside the handler...).
            lines = (job.exc_info or "").strip().splitlines()
            error = scrub_error_text(lines[-1]) if lines else "The job failed without an error message."
        failed_at_text = meta.get("failed_at")
        failed_at = datetime.fromisoformat(failed_at_text) if failed_at_text else job.ended_at or datetime.now(UTC)
        return FailedJob(job.id, name, payload, str(error), int(meta.get("attempts", 0)), _aware(failed_at))
