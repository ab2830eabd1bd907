"""JobQueue: background jobs by name with ids-only payloads, delays, retries with backoff, and a failed list."""

from __future__ import annotations

import math
import random
import re
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from application.ports.metrics import JOB_DURATION, JOB_RUNS, NO_METRICS, Metrics
from domain.errors import Conflict, DomainError, InfrastructureError, NotFound, ValidationFailed

JsonScalar = str | int | float | bool | None
JobPayload = dict[str, JsonScalar]
JobHandler = Callable[[JobPayload], None]

# RQ's own rule for job ids (it refuses anything else), so every adapter accepts exactly the same ids.
JOB_ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,128}")
JOB_NAME_PATTERN = re.compile(r"[a-z][a-z0-9_.]{0,99}")
MAX_ATTEMPTS = 100
MAX_ERROR_CHARS = 500
MAX_COALESCE_VALUE_CHARS = 200

# Lanes: periodic jobs (sweeps, relays, polls) are taken before anything else, so a burst of ordinary jobs can delay
# them by one job at most, never starve them. Every adapter serves the lanes in this order.
DEFAULT_LANE = "default"
PERIODIC_LANE = "periodic"
LANES = (PERIODIC_LANE, DEFAULT_LANE)


@dataclass(frozen=True)
class RetryPolicy:
    """How often a failing job runs in all (`max_attempts` >= 1) and how long it waits between attempts:
    attempt n+1 waits up to min(max_delay_seconds, base_delay_seconds * 2**(n-1)); with `jitter` the wait is
    drawn uniformly from [0, that bound] ("full jitter"), so many failing jobs do not retry in lockstep."""

    max_attempts: int
    base_delay_seconds: float
    max_delay_seconds: float
    jitter: bool = True

    def __post_init__(self) -> None:
        if not isinstance(self.max_attempts, int) or not 1 <= self.max_attempts <= MAX_ATTEMPTS:
            raise ValidationFailed(f"max_attempts must be a whole number from 1 to {MAX_ATTEMPTS}.")
        for name in ("base_delay_seconds", "max_delay_seconds"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
                raise ValidationFailed(f"{name} must be a finite number of seconds, zero or more.")


SINGLE_ATTEMPT = RetryPolicy(max_attempts=1, base_delay_seconds=0, max_delay_seconds=0)


def delays(policy: RetryPolicy, rng: random.Random) -> list[float]:
    """The waits before attempts 2..max_attempts (so max_attempts - 1 of them), in seconds."""
    result: list[float] = []
    bound = min(policy.base_delay_seconds, policy.max_delay_seconds)
    for _ in range(policy.max_attempts - 1):
        result.append(rng.uniform(0.0, bound) if policy.jitter else bound)
        # Doubling a float is exact, and capping as we go never overflows however many attempts there are.
        bound = min(bound * 2, policy.max_delay_seconds)
    return result


@dataclass(frozen=True)
class FailedJob:
    """A job that failed its last allowed attempt. `error` is a one-line summary (exception type and message,
    credentials in URLs and key=value pairs scrubbed), never a traceback."""

    id: str
    name: str
    payload: JobPayload
    error: str
    attempts: int  # every run so far, requeued runs included
    failed_at: datetime  # aware UTC


@dataclass(frozen=True)
class WorkerStatus:
    """One process taking jobs, as its last heartbeat described it."""

    id: str
    host: str
    pid: int
    started_at: datetime
    last_seen_at: datetime
    state: str  # idle, busy, waiting (for a dependency that is down), stopping
    jobs_done: int
    jobs_failed: int
    scheduler: bool  # it holds the scheduler role (moves delayed jobs and retries onto the queue when due)
    down: tuple[str, ...] = ()  # dependencies it is waiting for right now ("redis", "database")
    outages: Mapping[str, int] = field(default_factory=dict)  # outages it has waited out, per dependency


@dataclass(frozen=True)
class QueueStatus:
    """Who takes jobs and how much is waiting. `depths`: jobs waiting per lane, `delayed` (not due yet or between
    retries), `running` and `failed`."""

    workers: tuple[WorkerStatus, ...]  # the live ones: a heartbeat within the adapter's liveness window
    scheduler: str | None  # the id of the worker holding the scheduler role; None: nobody (delayed jobs wait)
    depths: Mapping[str, int]
    in_process: bool = False  # jobs run inside the serving process (the embedded default)


class JobQueue(ABC):
    """Runs named jobs (see JobRegistry) in the background, at most once at a time per job id.

    A job id is taken while its job is pending, running or failed, and (for a retention period the adapter
    sets) after it finished; enqueueing a taken id is a no-op. `cancel` frees the id. Unknown job names, bad
    ids, naive datetimes and payloads that are not flat JSON scalars raise ValidationFailed.

    Coalescing: a job registered with `coalesce_by=<payload field>` has at most one *waiting* copy per value of
    that field. Enqueueing it while a copy with the same value has not started yet (queued or delayed) and is
    due no later than the new one would be, adds nothing and returns that copy's id. A copy that has started
    (or is between retries) no longer counts, so work asked for while it runs is done by a new copy. Two
    enqueuers racing may both add a copy (the jobs are idempotent); the adapters keep that window short."""

    @abstractmethod
    def enqueue(
        self,
        name: str,
        payload: Mapping[str, JsonScalar],
        *,
        job_id: str | None = None,
        at: datetime | None = None,
        retry: RetryPolicy | None = None,
    ) -> str:
        """Run the job `name` with `payload` (ids only) now, or not before the aware datetime `at`. Failures are
        retried per `retry` (None: a single attempt) and then land in `failed()`. Returns the job id."""

    @abstractmethod
    def cancel(self, job_id: str) -> bool:
        """Withdraw a job that has not started (waiting, delayed or between retries). True if it will not run;
        False if the id is unknown, already running, finished or failed."""

    @abstractmethod
    def failed(self) -> list[FailedJob]:
        """Jobs that failed their last allowed attempt, oldest failure first."""

    @abstractmethod
    def requeue(self, job_id: str) -> None:
        """Run a failed job once more, now (no further retries; if it fails again it is back in `failed()`).
        NotFound if no failed job has that id."""

    @abstractmethod
    def status(self) -> QueueStatus:
        """Live workers, the scheduler holder and queue depths. ServiceUnavailable if the queue cannot be asked."""


class JobRegistry:
    """The job functions a worker can run, by name. Handlers take the payload and return nothing; they should
    be idempotent, since a job can run again after a crash or a requeue. Each job runs in a lane (see LANES)."""

    def __init__(self, metrics: Metrics = NO_METRICS) -> None:
        self._handlers: dict[str, JobHandler] = {}
        self._lanes: dict[str, str] = {}
        self._coalesce_by: dict[str, str] = {}
        self._metrics = metrics

    def register(
        self, name: str, handler: JobHandler, *, lane: str = DEFAULT_LANE, coalesce_by: str | None = None
    ) -> None:
        """`coalesce_by` names a payload field: at most one copy of the job waits per value of it (see JobQueue)."""
        if not JOB_NAME_PATTERN.fullmatch(name):
            raise ValidationFailed(f"Job name {name!r} must be lowercase letters, digits, '_' or '.'.")
        if lane not in LANES:
            raise ValidationFailed(f"A job's lane is one of {', '.join(LANES)}, not {lane!r}.")
        if name in self._handlers:
            raise Conflict(f"A job named {name!r} is already registered.")
        self._handlers[name] = handler
        self._lanes[name] = lane
        if coalesce_by is not None:
            self._coalesce_by[name] = coalesce_by

    def lane(self, name: str) -> str:
        return self._lanes.get(name, DEFAULT_LANE)

    def coalesce_key(self, name: str, payload: Mapping[str, JsonScalar]) -> str | None:
        """The key that copies of this job coalesce on (`<name>:<value of the field>`), or None: the job is not
        coalesced, or this payload has no usable value for the field."""
        field_name = self._coalesce_by.get(name)
        value = payload.get(field_name) if field_name is not None else None
        if value is None or isinstance(value, bool) or not isinstance(value, str | int):
            return None
        text = str(value)
        if not text or len(text) > MAX_COALESCE_VALUE_CHARS:
            return None
        return f"{name}:{text}"

    def job(self, name: str) -> Callable[[JobHandler], JobHandler]:
        """Decorator form of `register`."""

        def decorate(handler: JobHandler) -> JobHandler:
            self.register(name, handler)
            return handler

        return decorate

    def handler(self, name: str) -> JobHandler:
        """The job's function, timed: every attempt counts in the job metrics with its outcome."""
        try:
            handler = self._handlers[name]
        except KeyError:
            raise NotFound(f"No job named {name!r} is registered.") from None

        def timed(payload: JobPayload) -> None:
            started = time.perf_counter()
            outcome = "failed"
            try:
                handler(payload)
                outcome = "succeeded"
            finally:
                self._metrics.observe(JOB_DURATION, time.perf_counter() - started, kind=name)
                self._metrics.increment(JOB_RUNS, kind=name, outcome=outcome)

        return timed

    def __contains__(self, name: object) -> bool:
        return name in self._handlers

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._handlers))


def check_job(
    registry: JobRegistry, name: str, payload: Mapping[str, JsonScalar], job_id: str | None, at: datetime | None
) -> JobPayload:
    """Validation every adapter applies before accepting a job; returns a private copy of the payload."""
    if name not in registry:
        raise ValidationFailed(f"No job named {name!r} is registered.")
    if job_id is not None and not (isinstance(job_id, str) and JOB_ID_PATTERN.fullmatch(job_id)):
        raise ValidationFailed("A job id is 1 to 128 letters, digits, '_' or '-'.")
    if at is not None and at.utcoffset() is None:
        raise ValidationFailed("A job's start time must carry a timezone.")
    copy: JobPayload = {}
    for key, value in payload.items():
        if not isinstance(key, str):
            raise ValidationFailed("Job payload keys must be strings.")
        if value is not None and not isinstance(value, str | int | float | bool):
            raise ValidationFailed(f"Job payload value {key!r} must be a string, number, boolean or null (ids only).")
        if isinstance(value, float) and not math.isfinite(value):
            raise ValidationFailed(f"Job payload value {key!r} must be a finite number.")
        copy[key] = value
    return copy


_URL_CREDENTIALS = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s@]+@")
_KEY_VALUE_SECRET = re.compile(
    r"(?i)\b(password|passwd|pwd|secret|\w*token|api[_-]?key|access[_-]?key|authorization)(\s*[=:]\s*)"
    r"(?:bearer\s+|basic\s+)?[^\s,;&'\"]+"
    r"|\b(bearer|basic)(\s+)[A-Za-z0-9._~+/=-]{8,}"
)


def failure_text(exc: BaseException) -> str:
    """A one-line, bounded, secret-scrubbed description of why a job attempt failed."""
    # DomainError and InfrastructureError messages are written to be shown to a person; others are scrubbed.
    message = exc.message if isinstance(exc, DomainError | InfrastructureError) else str(exc)
    return scrub_error_text(f"{type(exc).__name__}: {message}" if message else type(exc).__name__)


def scrub_error_text(text: str) -> str:
    """One line, at most MAX_ERROR_CHARS, without credentials in URLs or key=value secrets."""
    text = _URL_CREDENTIALS.sub(r"\1[redacted]@", text)
    text = _KEY_VALUE_SECRET.sub(lambda m: f"{m[1] or m[3]}{m[2] or m[4]}[redacted]", text)
    text = " ".join(text.split())
    return text if len(text) <= MAX_ERROR_CHARS else text[: MAX_ERROR_CHARS - 1] + "…"
