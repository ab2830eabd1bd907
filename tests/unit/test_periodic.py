"""The periodic ticker: each periodic job once per interval, however many replicas tick one shared queue; a new
interval is a new job; one failing job does not stop the others."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

import pytest

from adapters.in_memory.clock import InMemoryClock
from adapters.in_memory.job_queue import InProcessJobQueue
from application.dependency_health import Outages
from application.ports.job_queue import JobPayload, JobRegistry, JsonScalar, RetryPolicy
from domain.errors import ServiceUnavailable
from entrypoints.worker.periodic import PeriodicJob, Ticker

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)  # a whole hour: every interval below starts here


class Harness:
    def __init__(self) -> None:
        self.clock = InMemoryClock(T0)
        self.runs: list[str] = []
        self._lock = threading.Lock()
        self.registry = JobRegistry()
        for name in ("jobs.fast", "jobs.hourly", "jobs.other"):
            self.registry.register(name, self._recorder(name))
        self.queue = FailingQueue(self.registry, self.clock)

    def _recorder(self, name: str) -> Any:
        def handler(_: JobPayload) -> None:
            with self._lock:
                self.runs.append(name)

        return handler

    def ticker(self, *periodic: PeriodicJob, poll: float = 1.0) -> Ticker:
        return Ticker(self.queue, self.clock, list(periodic), poll=poll)

    def drain(self) -> list[str]:
        assert self.queue.run_until_idle(timeout=5)
        with self._lock:
            return sorted(self.runs)


class FailingQueue(InProcessJobQueue):
    def __init__(self, registry: JobRegistry, clock: InMemoryClock) -> None:
        super().__init__(registry, clock, workers=1, poll_seconds=0.01)
        self.refuse: set[str] = set()

    def enqueue(
        self,
        name: str,
        payload: Mapping[str, JsonScalar],
        *,
        job_id: str | None = None,
        at: datetime | None = None,
        retry: RetryPolicy | None = None,
    ) -> str:
        if name in self.refuse:
            raise ServiceUnavailable("The job queue (Redis) cannot be reached.", service="redis")
        return super().enqueue(name, payload, job_id=job_id, at=at, retry=retry)


@pytest.fixture
def h() -> Iterator[Harness]:
    harness = Harness()
    harness.queue.start()
    yield harness
    harness.queue.stop()


FAST = PeriodicJob("jobs.fast", lambda: 60)
HOURLY = PeriodicJob("jobs.hourly", lambda: 3600)


def test_each_periodic_job_is_enqueued_once_per_interval(h: Harness) -> None:
    ticker = h.ticker(FAST, HOURLY)
    first = ticker.tick()
    assert len(first) == 2 and len(set(first)) == 2
    h.clock.advance(30)
    assert ticker.tick() == first  # same interval: same ids, no new jobs
    assert h.drain() == ["jobs.fast", "jobs.hourly"]
    h.clock.advance(30)  # T0 + 60 s: a new minute, the same hour
    second = ticker.tick()
    assert second[0] != first[0] and second[1] == first[1]
    h.clock.advance(59)
    assert ticker.tick() == second
    assert h.drain() == ["jobs.fast", "jobs.fast", "jobs.hourly"]
    h.clock.advance(3600)
    third = ticker.tick()
    assert third[0] not in (first[0], second[0]) and third[1] != first[1]
    assert h.drain() == ["jobs.fast"] * 3 + ["jobs.hourly"] * 2


def test_two_replicas_sharing_one_queue_run_each_job_once_per_interval(h: Harness) -> None:
    replica_one, replica_two = h.ticker(FAST, HOURLY), h.ticker(FAST, HOURLY)
    for _ in range(3):
        assert replica_one.tick() == replica_two.tick()  # both compute the same ids
        h.clock.advance(10)
    assert h.drain() == ["jobs.fast", "jobs.hourly"]
    h.clock.advance(60)
    replica_two.tick()
    replica_one.tick()
    assert h.drain() == ["jobs.fast", "jobs.fast", "jobs.hourly"]


def test_job_ids_are_valid_queue_ids_and_differ_per_job_and_interval(h: Harness) -> None:
    same_name_other_period = PeriodicJob("jobs.fast", lambda: 120)
    ids = h.ticker(FAST, same_name_other_period).tick()
    assert len(set(ids)) == 2  # a changed interval is another series, not a collision
    h.drain()


def test_the_interval_is_read_on_every_tick(h: Harness) -> None:
    every = [3600.0]
    ticker = h.ticker(PeriodicJob("jobs.fast", lambda: every[0]))
    first = ticker.tick()
    h.clock.advance(120)
    assert ticker.tick() == first
    every[0] = 60
    assert ticker.tick() != first


def test_a_failing_enqueue_is_logged_and_does_not_stop_the_others(h: Harness, caplog: pytest.LogCaptureFixture) -> None:
    h.queue.refuse.add("jobs.fast")

    def unreadable() -> float:
        raise RuntimeError("setting not available")

    ticker = h.ticker(
        FAST, PeriodicJob("jobs.other", unreadable), PeriodicJob("jobs.other", lambda: float("inf")), HOURLY
    )
    with caplog.at_level(logging.WARNING, logger="entrypoints.worker.periodic"):
        ids = ticker.tick()
    assert len(ids) == 1 and "hourly" in ids[0]
    assert caplog.text.count("could not enqueue the periodic job") == 3
    assert "jobs.fast" in caplog.text and "jobs.other" in caplog.text
    assert h.drain() == ["jobs.hourly"]
    h.queue.refuse.clear()
    assert len(ticker.tick()) == 2  # it recovers on the next tick
    assert h.drain() == ["jobs.fast", "jobs.hourly"]


def test_a_queue_outage_is_logged_once_and_counted_not_once_per_tick(
    h: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    outages = Outages()
    ticker = Ticker(h.queue, h.clock, [FAST], outages=outages)
    h.queue.refuse.add("jobs.fast")
    with caplog.at_level(logging.INFO):
        for _ in range(5):
            assert ticker.tick() == []
            h.clock.advance(1)
    assert caplog.text.count("redis is unreachable") == 1
    assert outages.is_down("redis") and outages.counts() == {"redis": 1}
    assert "Traceback" not in caplog.text


def test_the_ticker_thread_ticks_until_stopped(h: Harness) -> None:
    ticker = h.ticker(FAST, poll=0.01)
    before = set(threading.enumerate())
    ticker.start()
    ticker.start()  # idempotent
    mine = [t for t in threading.enumerate() if t not in before and t.name == "periodic-ticker"]
    assert len(mine) == 1
    try:
        deadline = time.monotonic() + 5
        while "jobs.fast" not in h.runs and time.monotonic() < deadline:
            time.sleep(0.01)
        h.clock.advance(60)
        while h.runs.count("jobs.fast") < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        ticker.stop()
    assert h.drain() == ["jobs.fast", "jobs.fast"]
    assert not mine[0].is_alive()
    h.clock.advance(60)
    time.sleep(0.05)
    assert h.drain() == ["jobs.fast", "jobs.fast"]  # stopped: no more ticks


def test_installations_sharing_a_queue_backend_do_not_take_each_others_ids(h: Harness) -> None:
    """RQ job ids are global to a Redis database: the queue name is part of the periodic ids."""
    staging = Ticker(h.queue, h.clock, [FAST], namespace="mailagent-staging")
    production = Ticker(h.queue, h.clock, [FAST], namespace="mailagent")
    odd = Ticker(h.queue, h.clock, [FAST], namespace="queue:with spaces/and.dots")
    ids = staging.tick() + production.tick() + odd.tick()
    assert len(set(ids)) == 3
    assert ids[0].startswith("tick-mailagent-staging-jobs-fast-60-")
    assert h.drain() == ["jobs.fast"] * 3  # the odd name was made a valid job id, not refused
