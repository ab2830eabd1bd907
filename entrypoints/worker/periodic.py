"""Periodic jobs: a ticker thread enqueues each one per interval under a time-bucketed job id.

Every process that runs a ticker (`mailagent serve` in the embedded default, every `mailagent worker` in
production) enqueues the same id for the same interval, and the JobQueue ignores a taken id, so however many
replicas tick, each periodic job runs once per interval (see docs/adr/0007-background-work.md)."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from application.dependency_health import Outages
from application.ports.clock import Clock
from application.ports.job_queue import JobQueue
from domain.errors import InfrastructureError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PeriodicJob:
    name: str  # a registered job name; it runs with an empty payload
    every_seconds: Callable[[], float]  # read each tick, so settings (and tests) can change it


class Ticker:
    def __init__(
        self,
        jobs: JobQueue,
        clock: Clock,
        periodic: Sequence[PeriodicJob],
        *,
        poll: float = 1.0,
        namespace: str = "",
        outages: Outages | None = None,
    ) -> None:
        """`namespace` (the queue name) goes into the job ids: RQ job ids are global to a Redis database, so two
        installations sharing one Redis under different queue names must not take each other's periodic ids.
        `outages` counts a queue that cannot be reached (logged once per outage, not once per tick)."""
        self._jobs, self._clock, self._periodic, self._poll = jobs, clock, periodic, poll
        self._outages = outages
        self._prefix = "tick-" + (re.sub(r"[^A-Za-z0-9_-]", "_", namespace)[:40] + "-" if namespace else "")
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.last_tick: float | None = None  # unix time of the last tick, for the scheduler heartbeat metric

    def tick(self) -> list[str]:
        """Enqueue every periodic job whose current interval has not been enqueued yet; returns their job ids."""
        now = self._clock.now().timestamp()
        ids: list[str] = []
        for job in self._periodic:
            try:
                every = max(1.0, float(job.every_seconds()))  # NaN -> 1.0; inf fails below and is logged
                bucket = int(now // every)
                job_id = f"{self._prefix}{job.name.replace('.', '-')}-{int(every)}-{bucket}"
                self._jobs.enqueue(job.name, {}, job_id=job_id)
                ids.append(job_id)
            except InfrastructureError as exc:
                if self._outages is None:
                    logger.warning("could not enqueue the periodic job %s: %s", job.name, exc.message)
                else:
                    self._outages.failed(exc.service, exc)
            except Exception:
                # One bad job (an interval that cannot be read, the queue refusing it) must not starve the others.
                logger.exception("could not enqueue the periodic job %s", job.name)
        self.last_tick = now
        return ids

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="periodic-ticker", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception:  # e.g. the clock; the thread must outlive one bad tick
                logger.exception("periodic ticker: tick failed")
            self._stop.wait(self._poll)

    def stop(self) -> None:
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout=5)
