"""Two relays ("replicas", each with its own connection pool) flushing one PostgreSQL outbox at the same time:
every committed event is published exactly once and every job enqueued exactly once (SKIP LOCKED)."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import pytest

import application.outbox as outbox_module
from adapters.in_memory.clock import InMemoryClock
from adapters.in_memory.event_bus import InMemoryEventBus
from adapters.sqlalchemy.engine import make_engine, make_session_factory
from adapters.sqlalchemy.migrate import upgrade
from adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWork
from application.outbox import OutboxRelay, enqueue_after_commit
from application.ports.job_queue import JobQueue, JsonScalar, QueueStatus, RetryPolicy
from domain.events import DomainEvent, EventType, StoredEvent
from domain.identity import Role, User, UserStatus, new_id

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
EVENTS = 400


class CountingQueue(JobQueue):
    """Records every enqueue (no dedup by id), so a job handed over twice would show."""

    def __init__(self) -> None:
        self.ids: list[str] = []
        self._lock = threading.Lock()

    def enqueue(
        self,
        name: str,
        payload: Mapping[str, JsonScalar],
        *,
        job_id: str | None = None,
        at: datetime | None = None,
        retry: RetryPolicy | None = None,
    ) -> str:
        assert job_id is not None
        with self._lock:
            self.ids.append(job_id)
        return job_id

    def cancel(self, job_id: str) -> bool:
        raise NotImplementedError

    def failed(self) -> list[Any]:
        return []

    def requeue(self, job_id: str) -> None:
        raise NotImplementedError

    def status(self) -> QueueStatus:
        raise NotImplementedError


class SlowBus(InMemoryEventBus):
    """Publishing takes a moment, so the two relays' transactions overlap."""

    def publish(self, event: StoredEvent) -> None:
        time.sleep(0.0005)
        super().publish(event)


def test_two_relays_flushing_concurrently_publish_every_event_exactly_once(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(outbox_module, "BATCH", 25)  # many small batches, so the relays really interleave
    upgrade(postgres_url)
    engines = [make_engine(postgres_url, pool_size=2) for _ in range(3)]
    writer, *replica_factories = [make_session_factory(e) for e in engines]
    clock = InMemoryClock(T0)
    user_id = new_id()
    with SqlAlchemyUnitOfWork(writer) as uow:
        uow.users.add(
            User(id=user_id, email="relay@example.com", role=Role.USER, status=UserStatus.ACTIVE, created_at=T0)
        )
        uow.commit()
    for start in range(0, EVENTS, 50):
        with SqlAlchemyUnitOfWork(writer) as uow:
            for n in range(start, start + 50):
                uow.events.append(
                    DomainEvent(
                        id=f"event-{n}", user_id=user_id, type=EventType.EMAIL_RECEIVED, occurred_at=T0, data={"n": n}
                    )
                )
                enqueue_after_commit(uow, clock, "test.job", {"n": n}, job_id=f"job-{n}")
            uow.commit()

    bus, queue = SlowBus(), CountingQueue()
    relays = [OutboxRelay(lambda f=f: SqlAlchemyUnitOfWork(f), queue, bus, clock) for f in replica_factories]
    totals: list[tuple[int, int]] = []
    lock = threading.Lock()
    barrier = threading.Barrier(len(relays))

    def run(relay: OutboxRelay) -> None:
        barrier.wait(5)
        result = relay.flush()
        with lock:
            totals.append(result)

    threads = [threading.Thread(target=run, args=(relay,)) for relay in relays]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)

    published = Counter(e.event.id for e in bus.published)
    assert len(published) == EVENTS and set(published.values()) == {1}, "each event published exactly once"
    enqueued = Counter(queue.ids)
    assert len(enqueued) == EVENTS and set(enqueued.values()) == {1}, "each job enqueued exactly once"
    assert sum(j for j, _ in totals) == EVENTS and sum(e for _, e in totals) == EVENTS
    assert all(e > 0 for _, e in totals), f"both relays should have taken a share: {totals}"
    # Nothing is left, and the store still has every event for replay, in order.
    with SqlAlchemyUnitOfWork(writer) as uow:
        assert list(uow.events.claim_unpublished(limit=10, at=T0)) == []
        assert list(uow.job_outbox.claim(limit=10)) == []
        replay = uow.events.after(user_id, 0, limit=EVENTS + 1)
        assert [s.event.data["n"] for s in replay] == list(range(EVENTS))
    for engine in engines:
        engine.dispose()
