"""OutboxRelay with the in-memory unit of work, the in-process job queue and the in-process event bus: only what
committed is relayed, each row once, failures leave rows for the next flush, job ids and retry policies survive."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

import application.outbox as outbox_module
from adapters.in_memory.clock import InMemoryClock
from adapters.in_memory.event_bus import InMemoryEventBus
from adapters.in_memory.job_queue import InProcessJobQueue
from adapters.in_memory.unit_of_work import InMemoryStore, InMemoryUnitOfWork
from application.dependency_health import Outages
from application.outbox import OutboxRelay, enqueue_after_commit
from application.ports.job_queue import JobPayload, JobRegistry, JsonScalar, RetryPolicy
from domain.errors import ServiceUnavailable
from domain.events import DomainEvent, EventType, StoredEvent

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


@dataclass
class Enqueued:
    name: str
    payload: dict[str, JsonScalar]
    job_id: str | None
    at: datetime | None
    retry: RetryPolicy | None


class RecordingQueue(InProcessJobQueue):
    """The real in-process queue, plus a record of every enqueue call and a switch that makes it unreachable
    (optionally only after `fail_after` more successful calls)."""

    def __init__(self, registry: JobRegistry, clock: InMemoryClock) -> None:
        super().__init__(registry, clock, workers=2, poll_seconds=0.01)
        self.calls: list[Enqueued] = []
        self.down = False
        self.fail_after: int | None = None

    def enqueue(
        self,
        name: str,
        payload: Mapping[str, JsonScalar],
        *,
        job_id: str | None = None,
        at: datetime | None = None,
        retry: RetryPolicy | None = None,
    ) -> str:
        if self.fail_after is not None:
            if self.fail_after == 0:
                self.down = True
            self.fail_after -= 1
        if self.down:
            raise ServiceUnavailable("The job queue (Redis) cannot be reached.", service="redis")
        self.calls.append(Enqueued(name, dict(payload), job_id, at, retry))
        return super().enqueue(name, payload, job_id=job_id, at=at, retry=retry)


class FlakyBus(InMemoryEventBus):
    def __init__(self) -> None:
        super().__init__()
        self.down = False

    def publish(self, event: StoredEvent) -> None:
        if self.down:
            raise ServiceUnavailable("Live updates (Redis) cannot be reached.", service="redis")
        super().publish(event)


@dataclass
class World:
    store: InMemoryStore
    clock: InMemoryClock
    queue: RecordingQueue
    bus: FlakyBus
    relay: OutboxRelay
    runs: list[tuple[str, JobPayload]] = field(default_factory=list)

    def uow(self) -> InMemoryUnitOfWork:
        return InMemoryUnitOfWork(self.store)

    def drain(self) -> None:
        assert self.queue.run_until_idle(timeout=5)

    def ran(self, name: str = "test.record") -> list[JobPayload]:
        return [p for n, p in self.runs if n == name]


@pytest.fixture
def world() -> Iterator[World]:
    store, clock = InMemoryStore(), InMemoryClock(T0)
    runs: list[tuple[str, JobPayload]] = []
    lock = threading.Lock()
    registry = JobRegistry()

    @registry.job("test.record")
    def record(payload: JobPayload) -> None:
        with lock:
            runs.append(("test.record", payload))

    @registry.job("test.broken")
    def broken(payload: JobPayload) -> None:
        with lock:
            runs.append(("test.broken", payload))
        raise RuntimeError("always fails")

    queue = RecordingQueue(registry, clock)
    bus = FlakyBus()
    relay = OutboxRelay(lambda: InMemoryUnitOfWork(store), queue, bus, clock)
    queue.start()
    yield World(store, clock, queue, bus, relay, runs)
    queue.stop()


def event(n: int, user_id: str = "user-1") -> DomainEvent:
    return DomainEvent(
        id=f"event-{n}", user_id=user_id, type=EventType.EMAIL_SENT, occurred_at=T0, data={"n": n}, account_id="a"
    )


def write(world: World, n: int, *, commit: bool = True, **job: Any) -> str:
    """One use case's transaction: an event plus a job, committed or not."""
    with world.uow() as uow:
        uow.events.append(event(n))
        job_id = enqueue_after_commit(uow, world.clock, "test.record", {"n": n}, **job)
        if commit:
            uow.commit()
    return job_id


def published(world: World) -> list[Any]:
    return [e.event.data["n"] for e in world.bus.published]


def test_only_committed_jobs_and_events_are_relayed(world: World) -> None:
    write(world, 1)
    write(world, 2, commit=False)
    with world.uow() as uow:
        uow.events.append(event(3))
        enqueue_after_commit(uow, world.clock, "test.record", {"n": 3})
        uow.rollback()
    assert world.relay.flush() == (1, 1)
    world.drain()
    assert world.ran() == [{"n": 1}]
    assert published(world) == [1]
    assert world.bus.published[0].seq >= 1


def test_each_row_is_relayed_once_across_repeated_flushes(world: World) -> None:
    for n in range(5):
        write(world, n)
    assert world.relay.flush() == (5, 5)
    assert world.relay.flush() == (0, 0)
    write(world, 5)
    assert world.relay.flush() == (1, 1)
    assert world.relay.flush() == (0, 0)
    world.drain()
    assert sorted(p["n"] for p in world.ran()) == [0, 1, 2, 3, 4, 5]  # type: ignore[type-var]
    assert published(world) == [0, 1, 2, 3, 4, 5]  # in commit (seq) order
    assert len(world.queue.calls) == 6


def test_more_rows_than_one_batch_are_all_relayed_in_one_flush(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(outbox_module, "BATCH", 7)
    for n in range(30):
        write(world, n)
    assert world.relay.flush() == (30, 30)
    assert published(world) == list(range(30))
    world.drain()
    assert len(world.ran()) == 30


def test_a_queue_outage_leaves_the_jobs_for_the_next_flush_and_flush_does_not_raise(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    for n in range(3):
        write(world, n)
    world.queue.down = True
    with caplog.at_level(logging.WARNING, logger="application.outbox"):
        assert world.relay.flush() == (0, 3)  # events do not wait for jobs
    assert "enqueueing committed jobs failed" in caplog.text
    assert world.relay.flush() == (0, 0)
    world.queue.down = False
    assert world.relay.flush() == (3, 0)
    world.drain()
    assert sorted(p["n"] for p in world.ran()) == [0, 1, 2]  # type: ignore[type-var]


def test_a_queue_failing_mid_batch_loses_nothing_and_runs_nothing_twice(world: World) -> None:
    for n in range(4):
        write(world, n)
    world.queue.fail_after = 2  # the first two jobs reach the queue, then it goes down
    assert world.relay.flush() == (0, 4)
    world.drain()
    assert sorted(p["n"] for p in world.ran()) == [0, 1]  # type: ignore[type-var]  # oldest first, even in one instant
    world.queue.fail_after, world.queue.down = None, False
    assert world.relay.flush() == (4, 0)  # the whole batch again: the first two are no-ops by job id
    world.drain()
    assert sorted(p["n"] for p in world.ran()) == [0, 1, 2, 3]  # type: ignore[type-var]


def test_a_bus_outage_leaves_the_events_for_the_next_flush(world: World, caplog: pytest.LogCaptureFixture) -> None:
    for n in range(3):
        write(world, n)
    world.bus.down = True
    with caplog.at_level(logging.WARNING, logger="application.outbox"):
        assert world.relay.flush() == (3, 0)
    assert "publishing committed events failed" in caplog.text
    assert published(world) == []
    world.bus.down = False
    assert world.relay.flush() == (0, 3)
    assert world.relay.flush() == (0, 0)
    assert published(world) == [0, 1, 2]


def test_a_store_outage_does_not_raise_from_flush(world: World, caplog: pytest.LogCaptureFixture) -> None:
    def broken_uow() -> InMemoryUnitOfWork:
        raise ServiceUnavailable("The database cannot be reached.", service="database")

    relay = OutboxRelay(broken_uow, world.queue, world.bus, world.clock)
    with caplog.at_level(logging.WARNING, logger="application.outbox"):
        assert relay.flush() == (0, 0)
    assert "will retry" in caplog.text


def test_with_an_outage_counter_an_outage_is_one_line_however_many_flushes(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    outages = Outages()
    relay = OutboxRelay(world.uow, world.queue, world.bus, world.clock, outages=outages)
    write(world, 1)
    world.queue.down = world.bus.down = True
    with caplog.at_level(logging.INFO):
        for _ in range(10):
            assert relay.flush() == (0, 0)
    assert "Traceback" not in caplog.text and caplog.text.count("is unreachable") == 1
    assert outages.down() != ()
    world.queue.down = world.bus.down = False
    assert relay.flush() == (1, 1)


def test_a_job_the_queue_refuses_is_dropped_without_blocking_the_others(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    with world.uow() as uow:
        enqueue_after_commit(uow, world.clock, "test.record", {"n": 1})
        enqueue_after_commit(uow, world.clock, "no.such.job", {"n": 2}, job_id="poison")
        enqueue_after_commit(uow, world.clock, "test.record", {"n": 3})
        uow.commit()
    with caplog.at_level(logging.ERROR, logger="application.outbox"):
        world.relay.flush()
    assert "poison" in caplog.text and "no.such.job" in caplog.text
    world.drain()
    assert sorted(p["n"] for p in world.ran()) == [1, 3]  # type: ignore[type-var]
    with world.uow() as uow:
        assert list(uow.job_outbox.claim(limit=10)) == []  # not retried forever


def test_job_id_delay_and_retry_policy_survive_the_outbox(world: World) -> None:
    policy = RetryPolicy(max_attempts=4, base_delay_seconds=0.25, max_delay_seconds=3.0, jitter=False)
    later = T0 + timedelta(hours=2)
    job_id = write(world, 1, job_id="custom-id_1", at=later, retry=policy)
    assert job_id == "custom-id_1"
    default_id = write(world, 2)
    world.relay.flush()
    first, second = world.queue.calls
    assert first == Enqueued("test.record", {"n": 1}, "custom-id_1", later, policy)
    assert second == Enqueued("test.record", {"n": 2}, default_id, None, None)
    assert default_id and default_id != job_id
    assert world.queue.cancel("custom-id_1") is True  # the queue knows the job by the id we chose


def test_a_relayed_retry_policy_is_applied_by_the_queue(world: World) -> None:
    with world.uow() as uow:
        enqueue_after_commit(
            uow, world.clock, "test.broken", {"n": 1}, job_id="flaky", retry=RetryPolicy(3, 0, 0, jitter=False)
        )
        uow.commit()
    world.relay.flush()
    world.drain()
    assert len(world.ran("test.broken")) == 3
    [failed] = world.queue.failed()
    assert (failed.id, failed.attempts) == ("flaky", 3)


def test_enqueueing_the_same_job_id_again_runs_the_job_once(world: World) -> None:
    for n in range(3):  # e.g. a retried request or a sync that saw the same change three times
        with world.uow() as uow:
            enqueue_after_commit(uow, world.clock, "test.record", {"n": n}, job_id="once-per-change")
            uow.commit()
        world.relay.flush()
    world.drain()
    assert world.ran() == [{"n": 0}]
    assert [c.job_id for c in world.queue.calls] == ["once-per-change"] * 3


def test_a_job_committed_after_the_relay_started_is_relayed_by_the_next_flush(world: World) -> None:
    with world.uow() as open_transaction:
        open_transaction.events.append(event(1))
        enqueue_after_commit(open_transaction, world.clock, "test.record", {"n": 1})
        assert world.relay.flush() == (0, 0)  # not committed yet
        open_transaction.commit()
    assert world.relay.flush() == (1, 1)
    world.drain()
    assert world.ran() == [{"n": 1}] and published(world) == [1]
