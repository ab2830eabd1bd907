"""`mailagent worker` in production: RQ jobs in this process, kept alive through Redis and database outages.

One process, four activities:
- the job loop (main thread): RQ's in-process worker over the lanes' queues (periodic first). When Redis goes away
  the loop ends quietly; the supervisor waits Redis out (backoff with jitter, the outage logged once and counted)
  and starts a fresh loop. A job that fails because the database or Redis is down is not failed: the job waits for
  the dependency to answer again and runs again (jobs are idempotent), so an outage neither burns retries nor
  fills the failed list;
- the scheduler role (a thread): with a 10 s lease, so another worker takes over within ~12 s of its holder's death;
- heartbeats (a thread): what /readyz?workers and the admin System page show;
- the periodic ticker (a thread): enqueues each periodic job once per interval across every worker.

SIGTERM or SIGINT: finish the running job, release the scheduler role, stop. A second signal stops at once.
A real crash (SIGKILL, out of memory) is for the service manager to handle: see ops/systemd/.
"""

from __future__ import annotations

import logging
import os
import secrets
import signal
import socket
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from application.dependency_health import Backoff, Outages
from application.ports.job_queue import WorkerStatus
from domain.errors import ServiceUnavailable

if TYPE_CHECKING:
    from entrypoints.container import Container

logger = logging.getLogger("mailagent.worker")

WORKER_TTL_SECONDS = 35  # RQ's own registration; its blocking dequeue wakes every WORKER_TTL - 15 s
MAINTENANCE_SECONDS = 60  # RQ's registry cleaning (abandoned jobs back to their retries)
MAX_OUTAGE_WAIT_SECONDS = 120.0  # a job waits this long for a dependency before its attempt counts as failed


def _log_later(level: int, message: str, *args: object) -> None:
    """Log from a signal handler without logging in it: the handler runs in the main thread wherever it was, possibly
    inside a logging handler or a filter holding a lock that is not re-entrant (CI saw a worker deadlock on SIGTERM
    this way), so a short thread writes the record once the main thread has let go."""
    threading.Thread(target=logger.log, args=(level, message, *args), name="signal-log", daemon=True).start()


class WorkerSupervisor:
    def __init__(self, container: Container, *, burst: bool = False) -> None:
        import redis

        from adapters.rq.job_queue import lane_queue_names
        from adapters.rq.worker import HEARTBEAT_SECONDS

        self._container = container
        settings = container.settings()
        self._settings = settings
        self._burst = burst
        self.id = f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(3)}"
        self._queue_names = lane_queue_names(settings.job_queue_name)
        self._outages: Outages = container.outages()
        self._stop = threading.Event()
        self._started_at = datetime.now(UTC)
        self._worker: Any = None
        self._in_work = False
        self._done = self._failed = 0
        self._heartbeat_seconds = HEARTBEAT_SECONDS
        url = settings.resolved_redis_url
        # The job loop's connection blocks in BLMOVE for up to WORKER_TTL - 15 s: no read timeout on it. Everything
        # else (heartbeats, the scheduler role, probes) uses short timeouts, so a hung Redis is noticed.
        self._client = redis.Redis.from_url(url, socket_connect_timeout=3, socket_keepalive=True)
        self._side = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        self._threads: list[threading.Thread] = []
        self._role: Any = None

    # -- the process ------------------------------------------------------------------------------------------

    def run(self) -> None:
        from adapters.rq.job_queue import install_outage_waiter, install_registry
        from adapters.rq.worker import SchedulerRole

        self._container.job_queue()  # a bad configuration fails here, before anything starts
        install_registry(self._container.job_registry())
        install_outage_waiter(self.wait_out)
        self._role = SchedulerRole(
            self._side, self._queue_names[::-1], self.id, lock_seconds=self._settings.scheduler_lock_seconds
        )
        previous = {sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
        ticker = self._container.ticker()
        try:
            if self._burst:
                self._run_burst(ticker)
                return
            self._threads = [
                threading.Thread(target=self._every, args=(self._heartbeat_seconds, self._beat), daemon=True),
                threading.Thread(target=self._every, args=(1.0, self._scheduler_tick), daemon=True),
            ]
            for thread in self._threads:
                thread.start()
            ticker.start()
            logger.info("worker %s: taking jobs from %s", self.id, ", ".join(self._queue_names))
            self._job_loop()
        finally:
            self._stop.set()
            ticker.stop()
            for thread in self._threads:
                thread.join(timeout=5)
            self._farewell()
            install_outage_waiter(None)
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def stop(self) -> None:
        """Ask the worker to stop after the running job (what SIGTERM does)."""
        self._stop.set()
        worker = self._worker
        if worker is not None:
            worker._stop_requested = True

    def _on_signal(self, signum: int, frame: Any) -> None:
        from rq.exceptions import StopRequested
        from rq.worker import WorkerStatus as RqState

        if self._stop.is_set():
            _log_later(logging.WARNING, "worker %s: second signal, stopping now", self.id)
            raise SystemExit(1)
        _log_later(logging.INFO, "worker %s: stopping after the running job (signal %d)", self.id, signum)
        self.stop()
        worker = self._worker
        if self._in_work and worker is not None and worker.get_state() != RqState.BUSY:
            raise StopRequested()  # interrupts the blocking wait for the next job

    def _job_loop(self) -> None:
        import redis
        from rq.exceptions import StopRequested

        from adapters.rq.worker import JobWorker

        backoff = Backoff(base_seconds=1.0, cap_seconds=15.0)
        generation = 0
        while not self._stop.is_set():
            if not self._wait_for_redis():
                return
            generation += 1
            worker = JobWorker(
                self._queue_names,
                connection=self._client,
                name=f"{self.id.replace(':', '-')}-{generation}",
                worker_ttl=WORKER_TTL_SECONDS,
                maintenance_interval=MAINTENANCE_SECONDS,
                on_outage=lambda exc: self._outages.failed("redis", exc),
            )
            self._worker = worker
            started = time.monotonic()
            try:
                self._in_work = True
                worker.work(burst=self._burst, logging_level=self._settings.log_level, with_scheduler=False)
            except StopRequested:
                pass
            except redis.RedisError as exc:  # registering or unregistering the worker while Redis is away
                self._outages.failed("redis", exc)
            finally:
                self._in_work = False
                self._done += worker.successful_job_count
                self._failed += worker.failed_job_count
                self._worker = None
            if self._stop.is_set() or self._burst:
                return
            # The loop ended by itself: Redis went away (already counted) or RQ gave up on something else. Start
            # again after a pause that grows while it keeps happening.
            if time.monotonic() - started > 60:
                backoff.reset()
            self._stop.wait(backoff.next_wait())

    def _run_burst(self, ticker: Any) -> None:
        ticker.tick()
        if self._role.tick():
            self._role.release()
        self._job_loop()

    # -- waiting out outages ----------------------------------------------------------------------------------

    def _wait_for_redis(self) -> bool:
        backoff = Backoff()
        while not self._stop.is_set():
            try:
                self._side.ping()
                self._outages.recovered("redis")
                return True
            except Exception as exc:
                self._outages.failed("redis", exc)
            self._stop.wait(backoff.next_wait())
        return False

    def wait_out(self, exc: ServiceUnavailable) -> bool:
        """Called by a job whose dependency is down: wait until it answers again (True) or give up (False: on a stop
        request, after MAX_OUTAGE_WAIT_SECONDS, or for a dependency this process cannot probe)."""
        probe = self._probe(exc.service)
        if probe is None:
            return False
        self._outages.failed(exc.service, exc)
        backoff = Backoff()
        deadline = time.monotonic() + MAX_OUTAGE_WAIT_SECONDS
        while not self._stop.is_set() and time.monotonic() < deadline:
            self._stop.wait(backoff.next_wait())
            try:
                probe()
            except Exception as failure:
                self._outages.failed(exc.service, failure)
                continue
            self._outages.recovered(exc.service)
            return True
        return False

    def _probe(self, service: str) -> Callable[[], object] | None:
        if service == "database":
            return lambda: self._container.uow().ping()
        if service == "redis":
            return self._side.ping
        return None

    # -- the other threads ------------------------------------------------------------------------------------

    def _every(self, seconds: float, action: Callable[[], None]) -> None:
        import redis

        while not self._stop.is_set():
            try:
                action()
            except redis.RedisError as exc:
                self._outages.failed("redis", exc)
            except Exception:
                logger.exception("worker %s: %s failed", self.id, getattr(action, "__name__", "a task"))
            self._stop.wait(seconds)

    def _scheduler_tick(self) -> None:
        try:
            self._role.tick()
        except Exception:
            self._role.held = False  # it may well expire meanwhile; the next tick finds out
            raise

    def status(self) -> WorkerStatus:
        from rq.worker import WorkerStatus as RqState

        worker = self._worker
        down = self._outages.down()
        if self._stop.is_set():
            state = "stopping"
        elif down:
            state = "waiting"
        elif worker is not None and worker.get_state() == RqState.BUSY:
            state = "busy"
        else:
            state = "idle"
        done = self._done + (worker.successful_job_count if worker is not None else 0)
        failed = self._failed + (worker.failed_job_count if worker is not None else 0)
        return WorkerStatus(
            id=self.id,
            host=socket.gethostname(),
            pid=os.getpid(),
            started_at=self._started_at,
            last_seen_at=datetime.now(UTC),
            state=state,
            jobs_done=done,
            jobs_failed=failed,
            scheduler=bool(self._role is not None and self._role.held),
            down=down,
            outages=self._outages.counts(),
        )

    def _beat(self) -> None:
        from adapters.rq.worker import Heartbeats

        self._side.ping()
        self._outages.recovered("redis")  # before the status is taken: it says what is down
        Heartbeats(self._side, self._settings.job_queue_name).beat(self.status())

    def _farewell(self) -> None:
        from adapters.rq.worker import Heartbeats

        try:
            if self._role is not None:
                self._role.release()  # the next worker takes the role now, not when the lease runs out
            Heartbeats(self._side, self._settings.job_queue_name).remove(self.id)
        except Exception as exc:
            logger.info("worker %s: could not say goodbye (%s); its lease and heartbeat expire", self.id, exc)
        logger.info("worker %s: stopped", self.id)
