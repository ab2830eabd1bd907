"""One contract for JobQueue: in-process and RQ (real Redis) run, delay, retry, fail, requeue and cancel alike."""

from __future__ import annotations

import contextlib
import random
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.in_memory.clock import InMemoryClock
from adapters.in_memory.job_queue import InProcessJobQueue
from adapters.system.clock import SystemClock
from application.ports.job_queue import JobPayload, JobQueue, JobRegistry, RetryPolicy, delays
from domain.errors import NotFound, ValidationFailed

SECRET = "hunter2-s3cret"


@dataclass
class Harness:
    """A queue plus what its jobs did, and two ways to let the workers run that mean the same for both adapters."""

    queue: JobQueue
    pump: Callable[[float], None]  # let workers run for this many seconds, whatever happens
    drain: Callable[[float], bool]  # run until nothing is waiting, delayed, retrying or running
    runs: list[tuple[str, JobPayload, float]] = field(default_factory=list)  # (job name, payload, time.time())
    fault_on: threading.Event = field(default_factory=threading.Event)
    held: threading.Event = field(default_factory=threading.Event)  # a `hold` copy of test.coalesced is running
    release: threading.Event = field(default_factory=threading.Event)  # lets it finish

    def runs_of(self, name: str) -> list[JobPayload]:
        return [payload for job, payload, _ in self.runs if job == name]


def build_registry(
    harness_runs: list[tuple[str, JobPayload, float]],
    fault_on: threading.Event,
    held: threading.Event | None = None,
    release: threading.Event | None = None,
) -> JobRegistry:
    registry = JobRegistry()
    lock = threading.Lock()

    def record(name: str) -> Callable[[JobPayload], None]:
        def handler(payload: JobPayload) -> None:
            with lock:
                harness_runs.append((name, payload, time.time()))

        return handler

    registry.register("test.record", record("test.record"))

    @registry.job("test.broken")
    def broken(payload: JobPayload) -> None:
        record("test.broken")(payload)
        raise RuntimeError(f"boom: cannot reach redis://app:{SECRET}@cache:6379/0 with password={SECRET}")

    @registry.job("test.flaky")
    def flaky(payload: JobPayload) -> None:
        record("test.flaky")(payload)
        if fault_on.is_set():
            raise ConnectionError("provider unavailable")

    def coalesced(payload: JobPayload) -> None:
        record("test.coalesced")(payload)
        if payload.get("hold") and held is not None and release is not None:
            held.set()
            release.wait(60)

    registry.register("test.coalesced", coalesced, coalesce_by="account_id")
    return registry


def remove_rq_queue(client: Any, queue_name: str) -> None:
    """Every job and key of an installation's queue, every lane's included."""
    from adapters.rq.job_queue import lane_queue_names

    for name in lane_queue_names(queue_name):
        _remove_one_rq_queue(client, name)
    for key in client.scan_iter(match=f"*{queue_name}*", count=1000):
        client.delete(key)


def _remove_one_rq_queue(client: Any, queue_name: str) -> None:
    from rq import Queue
    from rq.exceptions import NoSuchJobError
    from rq.job import Job
    from rq.registry import (
        CanceledJobRegistry,
        DeferredJobRegistry,
        FailedJobRegistry,
        FinishedJobRegistry,
        ScheduledJobRegistry,
        StartedJobRegistry,
    )

    queue = Queue(queue_name, connection=client)
    job_ids = set(queue.get_job_ids())
    registries = [
        cls(queue=queue)
        for cls in (
            ScheduledJobRegistry,
            StartedJobRegistry,
            FinishedJobRegistry,
            FailedJobRegistry,
            CanceledJobRegistry,
            DeferredJobRegistry,
        )
    ]
    for registry in registries:
        job_ids.update(registry.get_job_ids(cleanup=False))
    for job_id in job_ids:
        with contextlib.suppress(NoSuchJobError):
            Job.fetch(job_id, connection=client).delete()
    client.delete(*(registry.key for registry in registries))
    queue.delete(delete_jobs=True)
    for key in client.scan_iter(match=f"*{queue_name}*", count=1000):
        client.delete(key)


@pytest.fixture(params=["in_process", "rq"])
def harness(request: pytest.FixtureRequest) -> Iterator[Harness]:
    runs: list[tuple[str, JobPayload, float]] = []
    fault_on, held, release = threading.Event(), threading.Event(), threading.Event()
    registry = build_registry(runs, fault_on, held, release)
    if request.param == "in_process":
        memory = InProcessJobQueue(registry, SystemClock(), workers=2, poll_seconds=0.02)
        memory.start()
        try:
            yield Harness(
                memory, time.sleep, lambda timeout: memory.run_until_idle(timeout), runs, fault_on, held, release
            )
        finally:
            release.set()
            memory.stop()
    else:
        from adapters.rq.job_queue import RqJobQueue

        client: Any = request.getfixturevalue("redis_client")
        queue_name = f"mailagent-test-{uuid.uuid4().hex[:10]}"
        rq_queue = RqJobQueue(client, queue_name=queue_name, registry=registry)
        try:
            yield Harness(rq_queue, rq_queue.work_for, rq_queue.run_until_idle, runs, fault_on, held, release)
        finally:
            release.set()
            remove_rq_queue(client, queue_name)


def new_id() -> str:
    return f"job-{uuid.uuid4().hex[:12]}"


def test_a_job_runs_with_its_payload(harness: Harness) -> None:
    payload: JobPayload = {"message_id": "m-1", "count": 3, "ratio": 0.5, "urgent": True, "thread_id": None}
    job_id = harness.queue.enqueue("test.record", payload)
    assert isinstance(job_id, str) and job_id
    assert harness.drain(10)
    assert harness.runs_of("test.record") == [payload]
    assert harness.queue.failed() == []


def test_a_delayed_job_does_not_run_before_its_time(harness: Harness) -> None:
    at = datetime.now(UTC) + timedelta(seconds=1.2)
    harness.queue.enqueue("test.record", {"message_id": "later"}, at=at)
    harness.pump(0.6)
    if time.time() < at.timestamp():  # a loaded machine may have slept past `at`; then only the time check holds
        assert harness.runs == []
    assert harness.drain(10)
    assert harness.runs_of("test.record") == [{"message_id": "later"}]
    assert harness.runs[0][2] >= at.timestamp()


@pytest.mark.property(88)
def test_a_failing_job_is_retried_then_listed_as_failed_with_a_safe_error(harness: Harness) -> None:
    job_id = harness.queue.enqueue(
        "test.broken", {"email_id": "e-7"}, job_id=new_id(), retry=RetryPolicy(3, 0, 0, jitter=False)
    )
    before = datetime.now(UTC)
    assert harness.drain(10)
    assert len(harness.runs_of("test.broken")) == 3
    [failed] = harness.queue.failed()
    assert (failed.id, failed.name, failed.payload, failed.attempts) == (job_id, "test.broken", {"email_id": "e-7"}, 3)
    assert failed.error.startswith("RuntimeError: boom: cannot reach")
    assert SECRET not in failed.error and "\n" not in failed.error
    assert failed.failed_at.tzinfo is not None
    assert before - timedelta(seconds=5) <= failed.failed_at <= datetime.now(UTC) + timedelta(seconds=1)


def test_retries_wait_at_least_the_policys_delay(harness: Harness) -> None:
    harness.queue.enqueue("test.broken", {"email_id": "e-8"}, retry=RetryPolicy(2, 1, 1, jitter=False))
    assert harness.drain(10)
    first, second = (at for name, _, at in harness.runs if name == "test.broken")
    assert second - first >= 1.0
    assert [f.attempts for f in harness.queue.failed()] == [2]


def test_requeue_runs_a_failed_job_again(harness: Harness) -> None:
    harness.fault_on.set()
    job_id = harness.queue.enqueue("test.flaky", {"account_id": "a-1"}, job_id=new_id())
    assert harness.drain(10)
    assert [f.id for f in harness.queue.failed()] == [job_id]

    harness.queue.requeue(job_id)  # still broken: one more attempt, then back in the failed list
    assert harness.drain(10)
    assert [(f.id, f.attempts, f.error) for f in harness.queue.failed()] == [
        (job_id, 2, "ConnectionError: provider unavailable")
    ]

    harness.fault_on.clear()  # the fault was transient
    harness.queue.requeue(job_id)
    assert harness.drain(10)
    assert harness.queue.failed() == []
    assert harness.runs_of("test.flaky") == [{"account_id": "a-1"}] * 3

    with pytest.raises(NotFound):
        harness.queue.requeue(job_id)  # it succeeded: nothing to requeue
    with pytest.raises(NotFound):
        harness.queue.requeue(new_id())


def test_the_same_job_id_runs_once(harness: Harness) -> None:
    job_id = new_id()
    assert harness.queue.enqueue("test.record", {"n": 1}, job_id=job_id) == job_id
    assert harness.queue.enqueue("test.record", {"n": 2}, job_id=job_id) == job_id
    assert harness.drain(10)
    assert harness.queue.enqueue("test.record", {"n": 3}, job_id=job_id) == job_id  # finished: still taken
    later = datetime.now(UTC) + timedelta(seconds=30)
    assert harness.queue.enqueue("test.record", {"n": 4}, job_id=job_id, at=later) == job_id
    assert harness.drain(10)
    assert harness.runs_of("test.record") == [{"n": 1}]


def test_a_coalesced_job_has_one_waiting_copy_per_key(harness: Harness) -> None:
    queue = harness.queue
    later = datetime.now(UTC) + timedelta(hours=1)
    first = queue.enqueue("test.coalesced", {"account_id": "a"}, at=later)
    assert queue.enqueue("test.coalesced", {"account_id": "a"}, at=later) == first
    assert queue.enqueue("test.coalesced", {"account_id": "a"}, at=later + timedelta(hours=1)) == first
    other_key = queue.enqueue("test.coalesced", {"account_id": "b"}, at=later)
    assert other_key != first
    # Wanted sooner than the waiting copy would run: a new copy, which from then on is the one that waits.
    sooner = queue.enqueue("test.coalesced", {"account_id": "a"}, at=later - timedelta(minutes=30))
    assert sooner not in (first, other_key)
    assert queue.enqueue("test.coalesced", {"account_id": "a"}, at=later) == sooner
    # Only copies of the same job coalesce, and a job id asked for explicitly is still honoured when taken.
    uncoalesced = queue.enqueue("test.record", {"account_id": "a"}, at=later)
    assert uncoalesced not in (first, sooner)
    assert queue.enqueue("test.coalesced", {"account_id": "a"}, job_id=first, at=later) == first

    assert all(queue.cancel(job_id) for job_id in (first, other_key, sooner, uncoalesced))
    again = queue.enqueue("test.coalesced", {"account_id": "a"}, at=later)  # a withdrawn copy absorbs nothing
    assert again not in (first, other_key, sooner)
    assert queue.cancel(again)
    assert harness.drain(10)
    assert harness.runs == []

    # A burst of requests due in a moment runs once. (Not due at once: a worker thread may start the first copy
    # between two requests, and a started copy rightly absorbs nothing, which made this assertion racy.)
    soon = datetime.now(UTC) + timedelta(seconds=5)
    ids = {queue.enqueue("test.coalesced", {"account_id": "c"}, at=soon) for _ in range(5)}
    assert len(ids) == 1
    assert harness.drain(60)
    assert harness.runs_of("test.coalesced") == [{"account_id": "c"}]


def test_a_started_copy_of_a_coalesced_job_absorbs_no_new_request(harness: Harness) -> None:
    queue = harness.queue
    running = queue.enqueue("test.coalesced", {"account_id": "a", "hold": True})
    stop = threading.Event()

    def pump() -> None:  # the RQ harness works only while pumped; the in-process one needs nothing
        while not stop.is_set():
            harness.pump(0.1)

    pumper = threading.Thread(target=pump, daemon=True)
    pumper.start()
    try:
        assert harness.held.wait(60), "the held copy never started"
        later = datetime.now(UTC) + timedelta(minutes=5)
        waiting = queue.enqueue("test.coalesced", {"account_id": "a"}, at=later)
        assert waiting != running  # asked for while the first runs: the work needs a copy of its own
        assert queue.enqueue("test.coalesced", {"account_id": "a"}, at=later) == waiting
        assert queue.cancel(waiting)
    finally:
        harness.release.set()
        stop.set()
        pumper.join(60)
    assert harness.drain(10)
    assert harness.runs_of("test.coalesced") == [{"account_id": "a", "hold": True}]


def test_cancel_prevents_a_run_and_frees_the_id(harness: Harness) -> None:
    job_id = new_id()
    harness.queue.enqueue("test.record", {"n": 1}, job_id=job_id, at=datetime.now(UTC) + timedelta(seconds=1))
    assert harness.queue.cancel(job_id) is True
    assert harness.queue.cancel(job_id) is False
    assert harness.queue.cancel(new_id()) is False
    harness.pump(1.2)
    assert harness.runs == []

    assert harness.queue.enqueue("test.record", {"n": 2}, job_id=job_id) == job_id
    assert harness.drain(10)
    assert harness.runs_of("test.record") == [{"n": 2}]
    assert harness.queue.cancel(job_id) is False  # finished


def test_cancel_stops_further_retries(harness: Harness) -> None:
    job_id = harness.queue.enqueue("test.broken", {"n": 1}, job_id=new_id(), retry=RetryPolicy(3, 1, 1, jitter=False))
    harness.pump(0.5)
    assert len(harness.runs_of("test.broken")) == 1
    assert harness.queue.cancel(job_id) is True
    assert harness.drain(5)
    harness.pump(1.0)
    assert len(harness.runs_of("test.broken")) == 1
    assert harness.queue.failed() == []


def test_bad_requests_are_refused(harness: Harness) -> None:
    queue = harness.queue
    with pytest.raises(ValidationFailed):
        queue.enqueue("test.unknown", {})
    with pytest.raises(ValidationFailed):
        queue.enqueue("test.record", {}, job_id="has:colon")
    with pytest.raises(ValidationFailed):
        queue.enqueue("test.record", {}, at=datetime(2030, 1, 1))  # naive
    with pytest.raises(ValidationFailed):
        queue.enqueue("test.record", {"ids": ["a", "b"]})  # type: ignore[dict-item]
    assert queue.cancel("has:colon") is False


def eventually(condition: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def test_in_process_delays_and_retries_follow_the_injected_clock() -> None:
    """Adapter-specific: with a test clock, only moving the clock makes delayed jobs and retries due."""
    runs: list[tuple[str, JobPayload, float]] = []
    fault_on = threading.Event()
    clock = InMemoryClock(datetime(2026, 5, 1, 9, 0, tzinfo=UTC))
    queue = InProcessJobQueue(build_registry(runs, fault_on), clock, poll_seconds=0.01)
    queue.start()
    try:
        queue.enqueue("test.record", {"n": 1}, at=clock.now() + timedelta(hours=1))
        fault_on.set()
        queue.enqueue("test.flaky", {"n": 2}, retry=RetryPolicy(2, 60, 60, jitter=False))
        assert eventually(lambda: len(runs) == 1)
        fault_on.clear()
        clock.advance(59)
        time.sleep(0.2)
        assert [name for name, _, _ in runs] == ["test.flaky"]
        clock.advance(1)  # the retry is due
        assert eventually(lambda: len(runs) == 2)
        assert not queue.run_until_idle(0.1)  # the delayed job is still an hour away
        clock.advance(3600)
        assert queue.run_until_idle(5)
        assert [name for name, _, _ in runs] == ["test.flaky", "test.flaky", "test.record"]
        assert queue.failed() == []
    finally:
        queue.stop()


def worker_registry() -> JobRegistry:
    """What MAILAGENT_JOB_REGISTRY names for the `rq worker` process below: its job writes to Redis."""
    import os

    import redis

    registry = JobRegistry()

    @registry.job("test.mark")
    def mark(payload: JobPayload) -> None:
        redis.Redis.from_url(os.environ["REDIS_URL"]).rpush(str(payload["key"]), str(payload["value"]))

    return registry


def test_rq_cli_worker_finds_the_registry_named_in_the_environment(redis_url: str, redis_prefix: str) -> None:
    """Adapter-specific: a plain `rq worker --with-scheduler` (forking work horses) runs our jobs."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    import redis

    from adapters.rq.job_queue import REGISTRY_ENV, RqJobQueue

    client = redis.Redis.from_url(redis_url)
    queue_name = f"mailagent-test-{uuid.uuid4().hex[:10]}"
    key = f"{redis_prefix}marks"
    queue = RqJobQueue(client, queue_name=queue_name, registry=worker_registry())
    try:
        queue.enqueue("test.mark", {"key": key, "value": "now"})
        queue.enqueue("test.mark", {"key": key, "value": "soon"}, at=datetime.now(UTC) + timedelta(seconds=0.5))
        env = {**os.environ, REGISTRY_ENV: f"{__name__}:worker_registry", "REDIS_URL": redis_url}
        command = [sys.executable, "-m", "rq.cli", "worker", "-w", "adapters.rq.job_queue.RegistryWorker"]
        command += ["--burst", "--with-scheduler", "--quiet"]
        command += ["--url", redis_url, "--name", f"{queue_name}-cli", queue_name]
        root = Path(__file__).resolve().parents[2]
        # Generous ceilings: on a busy 2-core machine the worker process alone may take many seconds to import.
        deadline = time.monotonic() + 120
        while not queue.is_idle() and time.monotonic() < deadline:
            subprocess.run(command, env=env, cwd=root, check=True, capture_output=True, timeout=180)
            time.sleep(0.2)
        assert sorted(client.lrange(key, 0, -1)) == [b"now", b"soon"]
        assert queue.failed() == []
    finally:
        remove_rq_queue(client, queue_name)
        client.close()


@pytest.mark.property(88)
@settings(max_examples=300)
@given(
    max_attempts=st.integers(1, 100),
    base=st.floats(0, 10_000, allow_nan=False),
    cap=st.floats(0, 1_000_000, allow_nan=False),
    jitter=st.booleans(),
    seed=st.integers(0, 2**32),
)
def test_property_backoff_delays_are_bounded_and_counted(
    max_attempts: int, base: float, cap: float, jitter: bool, seed: int
) -> None:
    policy = RetryPolicy(max_attempts, base, cap, jitter=jitter)
    waits = delays(policy, random.Random(seed))
    assert len(waits) == max_attempts - 1
    for n, wait in enumerate(waits):
        bound = min(cap, base * 2**n)
        assert 0 <= wait <= bound
        if not jitter:
            assert wait == bound


@pytest.fixture(params=["in_process", "rq"])
def idle_queue(request: pytest.FixtureRequest) -> Iterator[tuple[JobQueue, Callable[[], None], list[str]]]:
    """A queue whose workers have not started, the way to run everything in it, and the order jobs ran in."""
    ran: list[str] = []
    registry = JobRegistry()
    registry.register("test.ordinary", lambda p: ran.append(f"ordinary {p['n']}"))
    registry.register("test.sweep", lambda p: ran.append(f"sweep {p['n']}"), lane="periodic")
    if request.param == "in_process":
        memory = InProcessJobQueue(registry, SystemClock(), workers=1, poll_seconds=0.02)

        def run_in_process() -> None:
            memory.start()
            assert memory.run_until_nothing_due(10)
            memory.stop()

        yield memory, run_in_process, ran
    else:
        from adapters.rq.job_queue import RqJobQueue

        client: Any = request.getfixturevalue("redis_client")
        queue_name = f"mailagent-test-{uuid.uuid4().hex[:10]}"
        rq_queue = RqJobQueue(client, queue_name=queue_name, registry=registry)
        try:
            yield rq_queue, lambda: assert_true(rq_queue.work_burst()), ran
        finally:
            remove_rq_queue(client, queue_name)


def assert_true(value: bool) -> None:
    assert value


def test_periodic_jobs_run_before_waiting_ordinary_ones_and_status_counts_each_lane(
    idle_queue: tuple[JobQueue, Callable[[], None], list[str]],
) -> None:
    queue, run, ran = idle_queue
    for n in range(3):
        queue.enqueue("test.ordinary", {"n": n})
    queue.enqueue("test.sweep", {"n": 0})
    queue.enqueue("test.ordinary", {"n": 9}, at=datetime.now(UTC) + timedelta(hours=1))
    status = queue.status()
    assert status.workers == () and status.scheduler is None  # nobody is taking jobs yet, and it says so
    assert {k: status.depths[k] for k in ("periodic", "default", "delayed")} == {
        "periodic": 1,
        "default": 3,
        "delayed": 1,
    }
    run()
    assert ran == ["sweep 0", "ordinary 0", "ordinary 1", "ordinary 2"]  # a burst does not starve the sweep
    assert queue.status().depths["delayed"] == 1
