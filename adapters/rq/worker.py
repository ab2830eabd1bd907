"""The parts of `mailagent worker` that talk to Redis: the job loop (RQ, jobs run in this process), the scheduler
role with a short lease, and worker heartbeats.

- `JobWorker` runs each job in the worker process itself (RQ's SimpleWorker): no fork, no re-import, no new
  database pool per job, so a job's fixed overhead is milliseconds. A job that overruns its timeout is stopped by
  SIGALRM as in RQ's forking worker; a real crash takes the process down and the supervisor (systemd) restarts it.
  It never installs signal handlers (the supervisor owns them) and it leaves Redis outages to the supervisor: a
  lost connection ends the job loop quietly instead of with a traceback per attempt.
- `SchedulerRole`: one worker per installation moves delayed jobs (scheduled wake-ups, retries) onto their queues
  when due. It holds RQ's own lock key (`rq:scheduler-lock:<queue>`, so a stock `rq worker --with-scheduler` and
  ours exclude each other) with a TTL of `lock_seconds` (10 s), refreshed every poll. If the holder dies, another
  worker takes the role within lock_seconds + one poll; a worker stopping cleanly releases it at once. (RQ's own
  scheduler holds the lock for 61 s and other workers look for it every 10 minutes.)
- `Heartbeats`: each worker writes its status every few seconds under a key that expires; `live()` lists the
  workers whose key has not expired.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import redis
from rq import Queue, SimpleWorker
from rq.exceptions import StopRequested
from rq.registry import ScheduledJobRegistry
from rq.scheduler import RQScheduler
from rq.scripts import acquire_or_refresh_lock, release_lock

from application.ports.job_queue import WorkerStatus

logger = logging.getLogger(__name__)

OUTAGE_ERRORS = (redis.ConnectionError, redis.TimeoutError)
HEARTBEAT_SECONDS = 3.0
LIVENESS_SECONDS = 15.0  # a worker silent this long is not counted as live


def scheduler_lock_key(queue_name: str) -> str:
    return RQScheduler.get_locking_key(queue_name)


def heartbeat_index_key(queue_name: str) -> str:
    return f"mailagent:workers:{queue_name}"


def heartbeat_key(queue_name: str, worker_id: str) -> str:
    return f"mailagent:worker:{queue_name}:{worker_id}"


class _QuietOutages(logging.Filter):
    """Drops RQ's own log lines about a lost Redis connection: the supervisor logs each outage once."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], OUTAGE_ERRORS):
            return False
        return "Redis connection timeout" not in record.getMessage()


_QUIET = _QuietOutages()


def subscribe_briefly(worker: Any) -> None:
    """RQ's `subscribe` with a pub/sub thread that wakes every second instead of every minute. redis-py's thread
    waits out its whole sleep once RQ has unsubscribed, so with RQ's 60 s a worker took up to a minute to stop."""
    worker.pubsub = worker.connection.pubsub()
    worker.pubsub.subscribe(**{worker.pubsub_channel_name: worker.handle_payload})
    worker.pubsub_thread = worker.pubsub.run_in_thread(
        sleep_time=1, daemon=True, exception_handler=worker._pubsub_exception_handler
    )


class JobWorker(SimpleWorker):
    """RQ's in-process worker, quiet about outages and without signal handlers of its own (see module doc).
    `on_outage(exc)` is told when the job loop lost Redis (then the loop ends; the supervisor waits it out)."""

    def __init__(self, *args: Any, on_outage: Callable[[BaseException], None] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._on_outage = on_outage
        logging.getLogger("rq.worker").addFilter(_QUIET)

    def _install_signal_handlers(self) -> None:
        pass

    def subscribe(self) -> None:
        subscribe_briefly(self)

    def dequeue_job_and_maintain_ttl(self, timeout: int | None, max_idle_time: int | None = None) -> Any:
        try:
            return super().dequeue_job_and_maintain_ttl(timeout, max_idle_time)
        except OUTAGE_ERRORS as exc:
            if self._on_outage is not None:
                self._on_outage(exc)
            raise StopRequested() from exc  # ends RQ's loop without its "unhandled exception" traceback

    def _pubsub_exception_handler(self, exc: Exception, pubsub: Any, pubsub_thread: Any) -> None:
        # RQ's command channel (`rq` CLI: shutdown, kill-horse). Wait quietly; redis-py resubscribes by itself.
        if isinstance(exc, OUTAGE_ERRORS):
            if self._on_outage is not None:
                self._on_outage(exc)
            time.sleep(2.0)
            return
        raise exc


class SchedulerRole:
    """Competes for the scheduler lock of `queue_names[0]` and, while holding it, moves due delayed jobs of every
    queue in `queue_names` onto its queue. Call `tick()` about once a second; Redis errors propagate."""

    def __init__(
        self, client: redis.Redis, queue_names: Sequence[str], owner: str, *, lock_seconds: float = 10.0
    ) -> None:
        self._client = client
        self._names = list(queue_names)
        self.owner = owner
        self._lock_seconds = max(2, round(lock_seconds))
        self._key = scheduler_lock_key(self._names[0])
        self._scheduler = RQScheduler(self._names, connection=client, name=owner)
        self.held = False

    def tick(self) -> bool:
        outcome = acquire_or_refresh_lock(self._client, self._key, self.owner, self._lock_seconds)
        was_held, self.held = self.held, outcome in ("acquired", "refreshed")
        if self.held and not was_held:
            logger.info("scheduler role taken by %s", self.owner)
        elif was_held and not self.held:
            logger.warning("scheduler role lost by %s (another worker holds it)", self.owner)
        if self.held:
            self.promote_due()
        return self.held

    def promote_due(self) -> None:
        """Move every delayed job whose time has come onto its queue (what RQ's scheduler does each second)."""
        self._scheduler.prepare_registries(self._names)
        self._scheduler.enqueue_scheduled_jobs()

    def release(self) -> None:
        if self.held:
            self.held = False
            release_lock(self._client, self._key, self.owner)


def scheduler_holder(client: redis.Redis, queue_name: str) -> str | None:
    raw = client.get(scheduler_lock_key(queue_name))
    if raw is None:
        return None
    return raw.decode() if isinstance(raw, bytes) else str(raw)


def _status_to_json(status: WorkerStatus) -> str:
    return json.dumps(
        {
            "id": status.id,
            "host": status.host,
            "pid": status.pid,
            "started_at": status.started_at.isoformat(),
            "last_seen_at": status.last_seen_at.isoformat(),
            "state": status.state,
            "jobs_done": status.jobs_done,
            "jobs_failed": status.jobs_failed,
            "scheduler": status.scheduler,
            "down": list(status.down),
            "outages": dict(status.outages),
        },
        separators=(",", ":"),
    )


def _status_from_json(raw: bytes | str) -> WorkerStatus:
    data = json.loads(raw)
    return WorkerStatus(
        id=str(data["id"]),
        host=str(data["host"]),
        pid=int(data["pid"]),
        started_at=datetime.fromisoformat(data["started_at"]),
        last_seen_at=datetime.fromisoformat(data["last_seen_at"]),
        state=str(data["state"]),
        jobs_done=int(data["jobs_done"]),
        jobs_failed=int(data["jobs_failed"]),
        scheduler=bool(data["scheduler"]),
        down=tuple(str(d) for d in data.get("down", ())),
        outages={str(k): int(v) for k, v in dict(data.get("outages", {})).items()},
    )


class Heartbeats:
    """Worker heartbeats of one installation (queue name): a key per worker that expires after LIVENESS_SECONDS,
    and a set naming them."""

    def __init__(self, client: redis.Redis, queue_name: str) -> None:
        self._client = client
        self._queue = queue_name

    def beat(self, status: WorkerStatus) -> None:
        with self._client.pipeline(transaction=False) as pipe:
            pipe.set(heartbeat_key(self._queue, status.id), _status_to_json(status), ex=int(LIVENESS_SECONDS))
            pipe.sadd(heartbeat_index_key(self._queue), status.id)
            pipe.execute()

    def remove(self, worker_id: str) -> None:
        with self._client.pipeline(transaction=False) as pipe:
            pipe.delete(heartbeat_key(self._queue, worker_id))
            pipe.srem(heartbeat_index_key(self._queue), worker_id)
            pipe.execute()

    def live(self) -> list[WorkerStatus]:
        members = self._client.smembers(heartbeat_index_key(self._queue))
        ids = sorted(m.decode() if isinstance(m, bytes) else str(m) for m in members)
        if not ids:
            return []
        raws = self._client.mget([heartbeat_key(self._queue, i) for i in ids])
        gone = [i for i, raw in zip(ids, raws, strict=True) if raw is None]
        if gone:
            self._client.srem(heartbeat_index_key(self._queue), *gone)
        found = []
        for raw in raws:
            if raw is None:
                continue
            try:
                found.append(_status_from_json(raw))
            except (ValueError, KeyError, TypeError):
                continue  # written by another version; it will expire
        return found


def delayed_count(client: redis.Redis, queue_names: Sequence[str]) -> int:
    return sum(ScheduledJobRegistry(name, connection=client).count for name in queue_names)  # type: ignore[no-untyped-call]


def utcnow() -> datetime:
    return datetime.now(UTC)


def queue_lengths(client: redis.Redis, queue_names: Sequence[str]) -> dict[str, int]:
    return {name: Queue(name, connection=client).count for name in queue_names}
